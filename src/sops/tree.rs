//! The in-memory SOPS tree shared by every store: ordered mappings, sequences, typed scalars and
//! comments (as sops' `TreeBranch`, `[]interface{}` and `Comment` are), plus the conversions to and
//! from `serde_json::Value` and Go's value formatting used for the MAC.

use serde_json::{Map, Number, Value};

/// A node of one document.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    Map(Vec<Entry>),
    Seq(Vec<Node>),
    Scalar(Scalar),
    /// A comment inside a sequence (sops keeps these as sequence items).
    Comment(Comment),
}

/// A mapping item: a key/value pair or a comment line.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Entry {
    Pair(String, Node),
    Comment(Comment),
}

/// A comment's text (after `#`) and, for YAML input, additional data strings worth trying when
/// the parser's placement of the comment differs from go-yaml's.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Comment {
    pub text: String,
    pub alt_aads: Vec<String>,
}

impl Comment {
    pub fn new(text: impl Into<String>) -> Self {
        Comment {
            text: text.into(),
            alt_aads: Vec::new(),
        }
    }
}

/// A typed scalar, with the types sops distinguishes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Scalar {
    Null,
    Str(String),
    /// Bytes that are not UTF-8 (binary store payloads, `type:bytes`).
    Bytes(Vec<u8>),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// A timestamp: the text to write back and Go's `MarshalText` form (hashed by the MAC).
    Time {
        raw: String,
        canonical: String,
    },
}

impl Scalar {
    /// sops `ToBytes`: what the MAC hashes for this value. `None` for null (never hashed).
    pub fn mac_bytes(&self) -> Option<Vec<u8>> {
        Some(match self {
            Scalar::Null => return None,
            Scalar::Str(s) => s.as_bytes().to_vec(),
            Scalar::Bytes(b) => b.clone(),
            Scalar::Int(i) => i.to_string().into_bytes(),
            Scalar::Float(f) => go_format_float(*f).into_bytes(),
            Scalar::Bool(true) => b"True".to_vec(),
            Scalar::Bool(false) => b"False".to_vec(),
            Scalar::Time { canonical, .. } => canonical.as_bytes().to_vec(),
        })
    }

    /// sops `ValueToString`, used by the flat stores (dotenv, INI) when writing values.
    pub fn to_plain_string(&self) -> String {
        match self {
            Scalar::Null => String::new(),
            Scalar::Str(s) => s.clone(),
            Scalar::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
            Scalar::Int(i) => i.to_string(),
            Scalar::Float(f) => go_format_float(*f),
            Scalar::Bool(b) => b.to_string(),
            Scalar::Time { raw, .. } => raw.clone(),
        }
    }
}

/// Go `strconv.FormatFloat(f, 'f', -1, 64)`: shortest round-trip digits, never an exponent.
pub(crate) fn go_format_float(f: f64) -> String {
    if f.is_nan() {
        "NaN".to_string()
    } else if f.is_infinite() {
        if f > 0.0 { "+Inf" } else { "-Inf" }.to_string()
    } else {
        // Rust's Display for f64 is also shortest-round-trip and positional.
        format!("{f}")
    }
}

impl Node {
    /// A JSON value as sops' JSON store loads it (numbers: int when integral, else float).
    pub fn from_json(value: &Value) -> Node {
        match value {
            Value::Null => Node::Scalar(Scalar::Null),
            Value::Bool(b) => Node::Scalar(Scalar::Bool(*b)),
            Value::Number(n) => Node::Scalar(match n.as_i64() {
                Some(i) => Scalar::Int(i),
                // Beyond i64, Go's json decoding falls back to float64.
                None => Scalar::Float(n.as_f64().unwrap_or(f64::NAN)),
            }),
            Value::String(s) => Node::Scalar(Scalar::Str(s.clone())),
            Value::Array(items) => Node::Seq(items.iter().map(Node::from_json).collect()),
            Value::Object(map) => Node::Map(
                map.iter()
                    .map(|(k, v)| Entry::Pair(k.clone(), Node::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// The JSON view: comments dropped, timestamps as their text, non-UTF-8 bytes lossily.
    pub fn to_json(&self) -> Value {
        match self {
            Node::Map(entries) => {
                let mut map = Map::new();
                for entry in entries {
                    if let Entry::Pair(k, v) = entry {
                        map.insert(k.clone(), v.to_json());
                    }
                }
                Value::Object(map)
            }
            Node::Seq(items) => Value::Array(
                items
                    .iter()
                    .filter(|n| !matches!(n, Node::Comment(_)))
                    .map(Node::to_json)
                    .collect(),
            ),
            Node::Comment(c) => Value::String(c.text.clone()),
            Node::Scalar(s) => match s {
                Scalar::Null => Value::Null,
                Scalar::Str(s) => Value::String(s.clone()),
                Scalar::Bytes(b) => Value::String(String::from_utf8_lossy(b).into_owned()),
                Scalar::Int(i) => Value::Number((*i).into()),
                // Go's encoding/json writes an integral float64 without a fraction (`8080`),
                // and Flux reads that JSON back: JSON ints stored as `type:float` stay ints.
                Scalar::Float(f) if f.fract() == 0.0 && f.abs() < 9.007_199_254_740_992e15 => {
                    Value::Number((*f as i64).into())
                }
                Scalar::Float(f) => match Number::from_f64(*f) {
                    Some(n) => Value::Number(n),
                    None => Value::String(go_format_float(*f)),
                },
                Scalar::Bool(b) => Value::Bool(*b),
                Scalar::Time { raw, .. } => Value::String(raw.clone()),
            },
        }
    }

    /// The value under `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Map(entries) => entries.iter().find_map(|e| match e {
                Entry::Pair(k, v) if k == key => Some(v),
                _ => None,
            }),
            _ => None,
        }
    }

    /// Removes every `key` pair of a mapping; returns the first removed value.
    pub fn remove(&mut self, key: &str) -> Option<Node> {
        let Node::Map(entries) = self else {
            return None;
        };
        let mut removed = None;
        entries.retain_mut(|e| match e {
            Entry::Pair(k, v) if k == key => {
                if removed.is_none() {
                    removed = Some(std::mem::replace(v, Node::Scalar(Scalar::Null)));
                }
                false
            }
            _ => true,
        });
        removed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn go_float_formatting() {
        assert_eq!(go_format_float(3.0), "3");
        assert_eq!(go_format_float(1e21), "1000000000000000000000");
        assert_eq!(go_format_float(0.1), "0.1");
        assert_eq!(go_format_float(-0.5), "-0.5");
        assert_eq!(go_format_float(f64::INFINITY), "+Inf");
    }

    #[test]
    fn json_round_trip_and_mac_bytes() {
        let v = json!({"a": [1, 2.5, true, null, "x"], "b": {"c": 18446744073709551615u64}});
        let n = Node::from_json(&v);
        assert_eq!(
            n.get("a").map(Node::to_json),
            Some(json!([1, 2.5, true, null, "x"]))
        );
        match n.get("b").and_then(|b| b.get("c")) {
            Some(Node::Scalar(s)) => assert_eq!(s.mac_bytes().unwrap(), b"18446744073709552000"),
            other => panic!("{other:?}"),
        }
        assert_eq!(Scalar::Bool(true).mac_bytes().unwrap(), b"True");
        assert_eq!(Scalar::Null.mac_bytes(), None);
    }
}
