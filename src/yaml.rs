//! YAML in and out, with Go-tooling semantics.
//!
//! Everything in fluxsim is a `serde_json::Value` (insertion-ordered) between stages; this module is
//! the only place that turns text into values and back. Reading follows go-yaml v3 as used by
//! kustomize and Flux: YAML 1.2 booleans only (`on`/`yes` stay strings), duplicate anchors allowed,
//! empty documents dropped. Writing quotes every YAML 1.1-ambiguous string (`"yes"`, `"0755"`) so
//! that the output is safe to pipe into kubectl, as Go tooling's output is.

use serde_json::Value;
use serde_saphyr::{Budget, DuplicateKeyPolicy, Options, SerializerOptions};

/// A YAML syntax error, with the line and column when the parser knows them.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct YamlError {
    pub message: String,
}

fn read_options() -> Options {
    let mut options = Options::default();
    options.strict_booleans = true;
    options.leading_zero_numbers_as_strings = true;
    options.duplicate_keys = DuplicateKeyPolicy::LastWins;
    let mut budget = Budget::default();
    budget.max_documents = 1_000_000;
    budget.max_nodes = 100_000_000;
    budget.max_total_scalar_bytes = 1 << 31;
    options.budget = Some(budget);
    options
}

/// Parses a multi-document YAML stream. Empty and `null` documents are dropped, as kustomize does.
pub fn parse_documents(text: &str) -> Result<Vec<Value>, YamlError> {
    let docs: Vec<Value> =
        serde_saphyr::from_multiple_with_options(text, read_options()).map_err(|e| YamlError {
            message: first_lines(&e.to_string()),
        })?;
    Ok(docs.into_iter().filter(|d| !d.is_null()).collect())
}

/// Parses exactly one YAML document (an empty text gives `null`).
pub fn parse_one(text: &str) -> Result<Value, YamlError> {
    let mut docs = parse_documents(text)?;
    match docs.len() {
        0 => Ok(Value::Null),
        1 => Ok(docs.remove(0)),
        n => Err(YamlError {
            message: format!("expected one YAML document, found {n}"),
        }),
    }
}

fn write_options() -> SerializerOptions {
    let mut options = SerializerOptions::default();
    options.indent_step = 2;
    options.compact_list_indent = true;
    options.prefer_block_scalars = true;
    // Long single-line strings stay on one line: folding them only adds noise to diffs.
    options.folded_wrap_chars = usize::MAX;
    options
}

/// Serializes one document (no leading `---`), ending with a newline.
pub fn to_yaml(value: &Value) -> String {
    let mut out = serde_saphyr::to_string_with_options(value, write_options())
        // A serde_json::Value always serializes; keep a readable fallback rather than panicking.
        .unwrap_or_else(|e| format!("# unserializable document: {e}\n"));
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// Serializes a stream of documents separated by `---` lines.
pub fn to_yaml_stream<'a>(values: impl IntoIterator<Item = &'a Value>) -> String {
    let mut out = String::new();
    for (i, v) in values.into_iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        out.push_str(&to_yaml(v));
    }
    out
}

/// Keeps error messages short: the parser may append a long source snippet.
fn first_lines(message: &str) -> String {
    message.lines().take(4).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn go_style_scalars() {
        let docs = parse_documents(
            "a: on\nb: yes\nc: 0755\nd: =\ne: true\nf: 3\ng: 1.5\nh: ~\n---\n---\nx: 1\n",
        )
        .unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(
            docs[0],
            json!({"a":"on","b":"yes","c":"0755","d":"=","e":true,"f":3,"g":1.5,"h":null})
        );
    }

    #[test]
    fn duplicate_anchors_are_allowed() {
        let docs = parse_documents("a: &x 1\nb: *x\nc: &x 2\nd: *x\n").unwrap();
        assert_eq!(docs[0], json!({"a":1,"b":1,"c":2,"d":2}));
    }

    #[test]
    fn output_quotes_ambiguous_strings() {
        let out =
            to_yaml(&json!({"a":"yes","b":"on","c":"0755","d":"123","e":"plain","m":"l1\nl2\n"}));
        assert!(
            out.contains("a: \"yes\"") || out.contains("a: 'yes'"),
            "{out}"
        );
        assert!(!out.contains("c: 0755"), "{out}");
        assert!(!out.contains("d: 123"), "{out}");
        assert!(out.contains("e: plain"), "{out}");
        assert!(out.contains("m: |"), "{out}");
        assert_eq!(parse_one(&out).unwrap()["m"], "l1\nl2\n");
    }

    #[test]
    fn syntax_error_is_reported() {
        assert!(parse_documents("a: [1, 2\nb: c").is_err());
    }
}
