//! YAML in and out, with Go-tooling semantics.
//!
//! Everything in fluxsim is a `serde_json::Value` (insertion-ordered) between stages; this module is
//! the only place that turns text into values and back. Reading follows go-yaml v3 as used by
//! kustomize and Flux: YAML 1.2 booleans only (`on`/`yes` stay strings), duplicate anchors allowed,
//! empty documents dropped. Writing quotes every YAML 1.1-ambiguous string (`"yes"`, `"0755"`) so
//! that the output is safe to pipe into kubectl, as Go tooling's output is.

mod limits;

pub use limits::{
    AliasMeter, AliasPermit, Cost, ExcessiveAliasing, MAX_ALIAS_EXPANDED_BYTES,
    MAX_ALIAS_EXPANDED_NODES, MAX_DEPTH, alias_permit,
};

use serde::Deserialize;
use serde_json::Value;
use serde_saphyr::{DuplicateKeyPolicy, Options, SerializerOptions};

/// A YAML syntax error, with the line and column when the parser knows them.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct YamlError {
    pub message: String,
}

fn read_options(input_len: usize) -> Options {
    let mut options = Options::default();
    options.strict_booleans = true;
    options.leading_zero_numbers_as_strings = true;
    options.duplicate_keys = DuplicateKeyPolicy::LastWins;
    options.budget = Some(limits::budget(input_len));
    options.alias_limits = limits::alias_limits();
    options
}

/// A document, read with a stack that grows on demand: nesting may go as deep as
/// [`MAX_DEPTH`], far beyond what a 2 MiB thread stack holds when each level recurses.
struct Grown(Value);

impl<'de> Deserialize<'de> for Grown {
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        let mut de = serde_stacker::Deserializer::new(de);
        // A debug build's frames are larger than the adapter's default 64 KiB margin assumes.
        de.red_zone = 256 * 1024;
        de.stack_size = 4 << 20;
        Value::deserialize(de).map(Grown)
    }
}

/// Parses a multi-document YAML stream. Empty and `null` documents are dropped, as kustomize does.
/// Aliases and nesting are bounded (see [`limits`]); size is not.
pub fn parse_documents(text: &str) -> Result<Vec<Value>, YamlError> {
    let _permit = alias_permit(text);
    let docs: Vec<Grown> = serde_saphyr::from_multiple_with_options(text, read_options(text.len()))
        .map_err(|e| YamlError {
            message: limits::describe(&e).unwrap_or_else(|| first_lines(&e.to_string())),
        })?;
    Ok(docs
        .into_iter()
        .map(|Grown(d)| d)
        .filter(|d| !d.is_null())
        .collect())
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

    /// Nine aliases of nine aliases …: 9^9 strings from about 400 bytes ("billion laughs").
    fn alias_bomb() -> String {
        let mut text = String::from("a0: &a0 [lol]\n");
        for i in 1..10 {
            let refs = vec![format!("*a{}", i - 1); 9].join(", ");
            text.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
        }
        text
    }

    #[test]
    fn an_alias_bomb_is_an_error() {
        let err = parse_documents(&alias_bomb()).unwrap_err();
        assert!(err.message.contains("excessive aliasing"), "{err}");
        assert!(err.message.starts_with("line "), "{err}");
    }

    #[test]
    fn one_anchor_used_many_times_is_valid() {
        let mut text = String::from("base: &b {image: x, pull: Always}\nuses:\n");
        for _ in 0..500 {
            text.push_str("  - *b\n");
        }
        let doc = parse_one(&text).unwrap();
        assert_eq!(doc["uses"].as_array().unwrap().len(), 500);
        assert_eq!(doc["uses"][499]["image"], "x");
    }

    #[test]
    fn what_go_always_accepts_parses() {
        // 390 aliases of a 1,000-item list: 390,000 nodes from aliases, under Go's 396,000.
        let items = vec!["x"; 1000].join(", ");
        let mut text = format!("base: &b [{items}]\nuses:\n");
        for _ in 0..390 {
            text.push_str("  - *b\n");
        }
        let doc = parse_one(&text).unwrap();
        assert_eq!(doc["uses"][389].as_array().unwrap().len(), 1000);
    }

    /// Run on a thread with tokio's 2 MiB stack, where fluxsim parses.
    fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(f)
            .unwrap()
            .join()
            .unwrap()
    }

    #[test]
    fn nesting_as_deep_as_go_accepts_parses() {
        let n = MAX_DEPTH;
        let flow = format!("{}1{}", "[".repeat(n - 1), "]".repeat(n - 1));
        let block: String = (0..n - 1)
            .map(|i| format!("{}k:\n", " ".repeat(i)))
            .chain([format!("{}v: 1\n", " ".repeat(n - 1))])
            .collect();
        on_small_stack(move || {
            assert!(parse_one(&flow).is_ok());
            let doc = parse_one(&block).unwrap();
            let mut at = &doc;
            for _ in 0..n - 1 {
                at = &at["k"];
            }
            assert_eq!(at["v"], 1);
            // Dropping it must not overflow either.
            drop(doc);
        });
        let deeper = format!("{}1{}", "[".repeat(n + 1), "]".repeat(n + 1));
        let err = parse_one(&deeper).unwrap_err();
        assert!(err.message.contains("nesting deeper than 10000"), "{err}");
    }

    #[test]
    fn big_streams_and_long_scalars_parse() {
        // Far past serde-saphyr's defaults: 1,000,000 events, 1,024 documents, 64 MiB scalars.
        let long = "x".repeat(70 << 20);
        let mut text = format!("a: {long}\n");
        for i in 0..3000 {
            text.push_str(&format!(
                "---\nkind: ConfigMap\nmetadata: {{name: c{i}}}\ndata:\n"
            ));
            for k in 0..200 {
                text.push_str(&format!("  k{k}: v\n"));
            }
        }
        let docs = parse_documents(&text).unwrap();
        assert_eq!(docs.len(), 3001);
        assert_eq!(docs[0]["a"].as_str().unwrap().len(), 70 << 20);
    }

    #[test]
    fn syntax_error_is_reported() {
        assert!(parse_documents("a: [1, 2\nb: c").is_err());
    }
}
