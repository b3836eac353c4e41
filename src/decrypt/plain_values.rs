//! The plain values a decryption revealed, each with where it was read, for redaction.

use crate::model::SecretValue;
use crate::sops::FileFormat;
use base64::Engine;
use serde_json::Value;

/// The values that were encrypted in an object (where the encrypted and the decrypted document
/// differ). A Secret's values are bound to their key, as the redacted Secret shows them; other
/// objects' to the field. Secret data values are base64-decoded too.
pub fn of_object(before: &Value, after: &Value) -> Vec<SecretValue> {
    let mut leaves = Vec::new();
    changed(before, after, String::new(), &mut leaves);
    let text = |p: &str| after.pointer(p).and_then(Value::as_str).unwrap_or_default();
    let (kind, ns, name) = (
        text("/kind"),
        text("/metadata/namespace"),
        text("/metadata/name"),
    );
    leaves
        .into_iter()
        .filter(|(p, _)| !structural(p))
        .map(|(pointer, value)| {
            let field = match kind {
                "Secret" => secret_key(&pointer).unwrap_or(&pointer).to_string(),
                _ => pointer.clone(),
            };
            let origin = SecretValue::object_origin(kind, ns, name, &field);
            SecretValue::new(origin, value)
        })
        .collect()
}

/// The values of a decrypted source file (`shown`: its path for messages) of `format`.
pub fn of_file(
    shown: &str,
    format: FileFormat,
    encrypted: &[u8],
    plain: &[u8],
) -> Vec<SecretValue> {
    let text = String::from_utf8_lossy(plain);
    let at = |field: &str| SecretValue::file_origin(shown, field);
    let mut out = Vec::new();
    match format {
        FileFormat::Binary => {
            out.push(SecretValue::new(at(""), text.to_string()));
            out.push(SecretValue::new(at(""), text.trim().to_string()));
        }
        FileFormat::Dotenv | FileFormat::Ini => {
            for line in text.lines().map(str::trim) {
                if line.is_empty() || line.starts_with(['#', ';', '[']) {
                    continue;
                }
                if let Some((k, v)) = line.split_once('=') {
                    out.push(SecretValue::new(at(k.trim()), v.trim().to_string()));
                }
            }
        }
        FileFormat::Yaml | FileFormat::Json => {
            let before = crate::yaml::parse_documents(&String::from_utf8_lossy(encrypted));
            let after = crate::yaml::parse_documents(&text).unwrap_or_default();
            let before = before.unwrap_or_default();
            for (i, doc) in after.iter().enumerate() {
                let mut leaves = Vec::new();
                let at_doc = if after.len() > 1 {
                    format!("#{i}")
                } else {
                    String::new()
                };
                changed(
                    before.get(i).unwrap_or(&Value::Null),
                    doc,
                    at_doc,
                    &mut leaves,
                );
                out.extend(
                    leaves
                        .into_iter()
                        .filter(|(p, _)| !structural(p.trim_start_matches(|c| c != '/')))
                        .map(|(p, v)| SecretValue::new(at(&p), v)),
                );
            }
        }
    }
    out.retain(|v| !v.value.is_empty());
    out
}

/// Fields every object has and no one means as a secret, even when a file encrypts every
/// value: registering `v1` or `Secret` would turn ordinary words into tokens.
fn structural(pointer: &str) -> bool {
    matches!(pointer, "/apiVersion" | "/kind" | "/metadata/namespace")
}

fn secret_key(pointer: &str) -> Option<&str> {
    pointer
        .strip_prefix("/data/")
        .or_else(|| pointer.strip_prefix("/stringData/"))
        .filter(|k| !k.contains('/'))
}

/// The leaves (JSON pointer, text) of `after` that differ from `before`.
fn changed(before: &Value, after: &Value, at: String, out: &mut Vec<(String, String)>) {
    match (before, after) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, vb) in b {
                let p = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                match a.get(k) {
                    Some(va) => changed(va, vb, p, out),
                    None => all(vb, p, out),
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for (i, vb) in b.iter().enumerate() {
                let p = format!("{at}/{i}");
                match a.get(i) {
                    Some(va) => changed(va, vb, p, out),
                    None => all(vb, p, out),
                }
            }
        }
        (a, b) if a != b => all(b, at, out),
        _ => {}
    }
}

fn all(v: &Value, at: String, out: &mut Vec<(String, String)>) {
    match v {
        Value::String(s) => {
            if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(s.trim())
                && let Ok(text) = String::from_utf8(bytes)
                && !text.is_empty()
            {
                out.push((at.clone(), text));
            }
            out.push((at, s.clone()));
        }
        Value::Number(n) => out.push((at, n.to_string())),
        Value::Bool(b) => out.push((at, b.to_string())),
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                all(x, format!("{at}/{i}"), out);
            }
        }
        Value::Object(m) => {
            for (k, x) in m {
                all(
                    x,
                    format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        Value::Null => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn collects_changed_leaves_with_their_origin() {
        let out = of_object(
            &json!({"kind":"Secret","metadata":{"name":"s","namespace":"n"},
                "data":{"a":"ENC[x]","b":"same"},"stringData":{"d":"ENC[y]"}}),
            &json!({"kind":"Secret","metadata":{"name":"s","namespace":"n"},
                "data":{"a":"aHVudGVyMw==","b":"same"},"stringData":{"d":"hunter2"}}),
        );
        let has = |o: &str, v: &str| out.contains(&SecretValue::new(o, v));
        assert!(has("Secret/n/s:a", "hunter3"), "{out:?}");
        assert!(has("Secret/n/s:d", "hunter2"), "{out:?}");
        assert!(!out.iter().any(|v| v.value == "same"));
    }

    #[test]
    fn identity_fields_of_a_fully_encrypted_object_are_not_secrets() {
        let out = of_object(
            &json!({"apiVersion":"ENC[a]","kind":"ENC[b]","metadata":{"name":"ENC[c]","namespace":"ENC[d]"}}),
            &json!({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"secret-name","namespace":"apps"}}),
        );
        let values: Vec<&str> = out.iter().map(|v| v.value.as_str()).collect();
        assert_eq!(values, vec!["secret-name"]);
    }

    #[test]
    fn file_values_name_their_file_and_key() {
        let env = of_file(
            "app/x.env",
            FileFormat::Dotenv,
            b"",
            b"# c\nA=one-value\nB=two\n",
        );
        assert!(env.contains(&SecretValue::new("file:app/x.env:A", "one-value")));
        let bin = of_file("app/t.txt", FileFormat::Binary, b"", b"token-value\n");
        assert!(bin.contains(&SecretValue::new("file:app/t.txt", "token-value")));
    }
}
