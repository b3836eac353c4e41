//! Reads a patch's text into values, only when every scalar in it means the same thing to every
//! YAML reader involved.
//!
//! kustomize reads a strategic-merge patch with go-yaml v3 (kyaml) and a JSON 6902 patch with
//! go-yaml v2 (`sigs.k8s.io/yaml.YAMLToJSON`), which disagree on plain scalars such as `yes`,
//! `0755` or `1_000`. Rather than emulate both, a patch is accepted only when its plain scalars
//! are unambiguous: `null`/`~`/empty, `true`/`false`, canonical decimal integers, and strings that
//! start with a letter, `_` or `/` and are not a YAML 1.1 boolean or null word. Quoted and block
//! scalars are strings everywhere. Tags, anchors, aliases, merge keys and duplicate keys are
//! refused, as are comments that kyaml could read as a field schema (`# {"$ref": …}`).

use super::DeferError;
use granit_parser::{Event, Parser, ScalarStyle};
use serde_json::{Map, Number, Value};
use std::sync::LazyLock;

/// Nesting deeper than this is refused (kustomize would accept it; we just fall back).
const MAX_DEPTH: usize = 64;

/// kyaml's `fieldmeta` reads a comment that is a JSON object as a per-field OpenAPI schema, which
/// can change how lists merge. Any `#` followed by `{` is treated as such a comment.
static SCHEMA_COMMENT: LazyLock<regex::Regex> =
    LazyLock::new(|| regex::Regex::new(r"#[#\s]*\{").expect("valid regex"));

/// Whether `text` may hold a comment kyaml reads as a field schema.
pub fn has_schema_comment(text: &str) -> bool {
    SCHEMA_COMMENT.is_match(text)
}

/// The documents of `text`, or why they cannot be read unambiguously.
pub fn parse(text: &str) -> Result<Vec<Value>, DeferError> {
    if has_schema_comment(text) {
        return Err(refuse("a comment that kyaml may read as a field schema"));
    }
    let mut options = granit_parser::Options::default();
    options.emit_comments = false;
    let mut reader = Reader {
        parser: Parser::new_from_str_with_options(text, options),
        yaml11: false,
    };
    let mut docs = Vec::new();
    loop {
        match reader.next()? {
            Event::StreamStart | Event::DocumentEnd => {}
            Event::StreamEnd => break,
            Event::DocumentStart(..) => {
                let ev = reader.next()?;
                // A list is a JSON 6902 patch, read by go-yaml v2 (YAML 1.1 words are booleans).
                reader.yaml11 = matches!(ev, Event::SequenceStart(..));
                let doc = reader.node(ev, 0)?;
                if doc.is_null() {
                    return Err(refuse("an empty document"));
                }
                docs.push(doc);
            }
            _ => return Err(refuse("an unexpected YAML event")),
        }
    }
    if docs.is_empty() {
        return Err(refuse("no document"));
    }
    Ok(docs)
}

fn refuse(what: &str) -> DeferError {
    DeferError::Unsupported(format!("patch text has {what}"))
}

struct Reader<'a> {
    parser: Parser<'a, granit_parser::StrInput<'a>>,
    /// Also refuse what go-yaml v2 reads differently from v3 (`yes`, `on`, …).
    yaml11: bool,
}

impl<'a> Reader<'a> {
    fn next(&mut self) -> Result<Event<'a>, DeferError> {
        loop {
            match self.parser.next_event() {
                None => return Err(refuse("an unexpected end")),
                Some(Err(e)) => return Err(DeferError::Unsupported(format!("patch YAML: {e}"))),
                Some(Ok((ev, _))) if is_data(&ev) => return Ok(ev),
                // Comments and anchor metadata carry no data.
                Some(Ok(_)) => {}
            }
        }
    }

    fn node(&mut self, ev: Event<'a>, depth: usize) -> Result<Value, DeferError> {
        if depth > MAX_DEPTH {
            return Err(refuse("too deep a nesting"));
        }
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                if anchor != 0 || tag.is_some() {
                    return Err(refuse("an anchor or a tag"));
                }
                scalar(&text, style, self.yaml11)
            }
            Event::SequenceStart(_, anchor, tag) => {
                if anchor != 0 || tag.is_some() {
                    return Err(refuse("an anchor or a tag"));
                }
                let mut items = Vec::new();
                loop {
                    match self.next()? {
                        Event::SequenceEnd => return Ok(Value::Array(items)),
                        ev => items.push(self.node(ev, depth + 1)?),
                    }
                }
            }
            Event::MappingStart(_, anchor, tag) => {
                if anchor != 0 || tag.is_some() {
                    return Err(refuse("an anchor or a tag"));
                }
                let mut map = Map::new();
                loop {
                    let key = match self.next()? {
                        Event::MappingEnd => return Ok(Value::Object(map)),
                        Event::Scalar(text, style, 0, None) => {
                            match scalar(&text, style, self.yaml11)? {
                                Value::String(s) => s,
                                _ => return Err(refuse("a key that is not a string")),
                            }
                        }
                        _ => return Err(refuse("a complex or tagged key")),
                    };
                    let ev = self.next()?;
                    let value = self.node(ev, depth + 1)?;
                    if map.insert(key, value).is_some() {
                        return Err(refuse("a duplicate key"));
                    }
                }
            }
            Event::Alias(_) => Err(refuse("an alias")),
            _ => Err(refuse("an unexpected YAML event")),
        }
    }
}

fn is_data(ev: &Event<'_>) -> bool {
    matches!(
        ev,
        Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart(..)
            | Event::DocumentEnd
            | Event::Alias(_)
            | Event::UnresolvedAlias(_)
            | Event::Scalar(..)
            | Event::SequenceStart(..)
            | Event::SequenceEnd
            | Event::MappingStart(..)
            | Event::MappingEnd
    )
}

/// The value of one scalar, when both go-yaml versions agree on it.
fn scalar(text: &str, style: ScalarStyle, yaml11: bool) -> Result<Value, DeferError> {
    if style != ScalarStyle::Plain {
        return Ok(Value::String(text.to_string()));
    }
    match text {
        "" | "~" | "null" => return Ok(Value::Null),
        "true" => return Ok(Value::Bool(true)),
        "false" => return Ok(Value::Bool(false)),
        _ => {}
    }
    if let Some(n) = canonical_int(text) {
        return Ok(Value::Number(Number::from(n)));
    }
    if is_safe_plain_string(text, yaml11) {
        return Ok(Value::String(text.to_string()));
    }
    Err(DeferError::Unsupported(format!(
        "patch scalar {text:?} may be read differently by go-yaml v2 and v3"
    )))
}

/// `0`, or an optional `-` and up to 18 digits without a leading zero.
fn canonical_int(text: &str) -> Option<i64> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let ok = text == "0"
        || (!digits.is_empty()
            && digits.len() <= 18
            && !digits.starts_with('0')
            && digits.bytes().all(|b| b.is_ascii_digit()));
    ok.then(|| text.parse().ok()).flatten()
}

/// A plain scalar that is a string to go-yaml v3 (and to v2 when `yaml11`).
fn is_safe_plain_string(text: &str, yaml11: bool) -> bool {
    const YAML11_WORDS: &[&str] = &["y", "n", "yes", "no", "on", "off"];
    // go-yaml v3 also reads `True`, `NULL`, … as booleans and null; fluxsim only `true`, `null`.
    const CORE_WORDS: &[&str] = &["true", "false", "null"];
    let lower = text.to_ascii_lowercase();
    let first = text.chars().next();
    let word = first.is_some_and(|c| c.is_ascii_alphabetic() || "_/$".contains(c))
        && !CORE_WORDS.contains(&lower.as_str())
        && !(yaml11 && YAML11_WORDS.contains(&lower.as_str()));
    // `10m`, `1Gi`: numbers, timestamps and floats (incl. `.inf`, `.nan`, hex, octal, binary)
    // only ever use the letters a–f, i, n, o, p, t, x, z; any other letter makes a string.
    let quantity = first.is_some_and(|c| c.is_ascii_digit())
        && text
            .chars()
            .any(|c| c.is_ascii_alphabetic() && !"abcdefinoptxzABCDEFINOPTXZ".contains(c));
    word || quantity
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_unambiguous_scalars() {
        let docs = parse(
            "a: x\nb: 'yes'\nc: 12\nd: -3\ne: true\nf: ~\ng:\nh: |\n  l\ni: 10m\nj: yes\n$k: on\n",
        )
        .unwrap();
        assert_eq!(
            docs,
            vec![
                json!({"a":"x","b":"yes","c":12,"d":-3,"e":true,"f":null,"g":null,"h":"l\n","i":"10m","j":"yes","$k":"on"})
            ]
        );
        let two = parse("a: 1\n---\nb: 2\n").unwrap();
        assert_eq!(two.len(), 2);
    }

    #[test]
    fn refuses_ambiguous_text() {
        for text in [
            "- {op: add, path: /a, value: yes}\n",
            "- {op: add, path: /a, value: On}\n",
            "a: 0755\n",
            "a: 1_000\n",
            "a: 1.5\n",
            "a: True\n",
            "a: 2024-01-01\n",
            "a: 0x1F\n",
            "a: 1e3\n",
            "a: -.inf\n",
            "a: 2024-01-01T10:00:00Z\n",
            "a: !!str x\n",
            "a: &x 1\nb: *x\n",
            "a: 1\na: 2\n",
            "<<: {a: 1}\n",
            "a: 1 # {\"$ref\": \"x\"}\n",
            "1: a\n",
            "",
        ] {
            assert!(parse(text).is_err(), "{text:?}");
        }
    }
}
