//! The `sops` metadata block (`stores/stores.go`): key groups, encryption rules, MAC and
//! lastmodified, read from its JSON view. Also the flattened form used by dotenv and INI files.

use regex::Regex;
use serde_json::{Map, Value};

use super::error::{SopsError, malformed};
use super::timefmt;

/// One master key of a key group.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum MasterKey {
    Age {
        recipient: String,
        enc: String,
    },
    /// A key type we cannot use (pgp, kms, gcp_kms, azure_kv, hc_vault, hckms); `label` names it.
    Other {
        label: String,
    },
}

impl MasterKey {
    /// Human label: the age recipient, or `pgp 35C1…` and the like.
    pub fn label(&self) -> String {
        match self {
            MasterKey::Age { recipient, .. } => recipient.clone(),
            MasterKey::Other { label } => label.clone(),
        }
    }
}

/// Which leaves are encrypted (`Tree.shouldBeEncrypted`).
#[derive(Debug, Clone, Default)]
pub(crate) struct Rules {
    pub unencrypted_suffix: Option<String>,
    pub encrypted_suffix: Option<String>,
    pub unencrypted_regex: Option<Regex>,
    pub encrypted_regex: Option<Regex>,
    pub unencrypted_comment_regex: Option<Regex>,
    pub encrypted_comment_regex: Option<Regex>,
}

/// The parsed metadata of one document.
#[derive(Debug, Clone)]
pub(crate) struct Metadata {
    /// `LastModified.Format(time.RFC3339)`: the MAC's additional data.
    pub mac_aad: String,
    pub mac: String,
    pub rules: Rules,
    pub mac_only_encrypted: bool,
    pub shamir_threshold: usize,
    pub key_groups: Vec<Vec<MasterKey>>,
}

const KEY_KINDS: [&str; 8] = [
    "kms", "gcp_kms", "azure_kv", "hc_vault", "hckms", "pgp", "age", "ssh",
];

impl Metadata {
    /// Reads the `sops` mapping (already converted to JSON).
    pub fn from_json(sops: &Value) -> Result<Metadata, SopsError> {
        let obj = sops
            .as_object()
            .ok_or_else(|| malformed("the `sops` metadata is not a mapping"))?;
        let text = |k: &str| obj.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());

        let mac = text("mac")
            .ok_or_else(|| malformed("sops metadata has no `mac`"))?
            .to_string();
        let lastmodified =
            text("lastmodified").ok_or_else(|| malformed("sops metadata has no `lastmodified`"))?;
        let mac_aad = timefmt::parse_rfc3339(lastmodified)
            .ok_or_else(|| {
                malformed(format!(
                    "sops `lastmodified` {lastmodified:?} is not an RFC 3339 time"
                ))
            })?
            .rfc3339();

        let regex = |k: &str| -> Result<Option<Regex>, SopsError> {
            text(k)
                .map(|r| {
                    Regex::new(r)
                        .map_err(|e| malformed(format!("sops `{k}` is not a valid regex: {e}")))
                })
                .transpose()
        };
        let mut rules = Rules {
            unencrypted_suffix: text("unencrypted_suffix").map(str::to_string),
            encrypted_suffix: text("encrypted_suffix").map(str::to_string),
            unencrypted_regex: regex("unencrypted_regex")?,
            encrypted_regex: regex("encrypted_regex")?,
            unencrypted_comment_regex: regex("unencrypted_comment_regex")?,
            encrypted_comment_regex: regex("encrypted_comment_regex")?,
        };
        let count = [
            rules.unencrypted_suffix.is_some(),
            rules.encrypted_suffix.is_some(),
            rules.unencrypted_regex.is_some(),
            rules.encrypted_regex.is_some(),
            rules.unencrypted_comment_regex.is_some(),
            rules.encrypted_comment_regex.is_some(),
        ]
        .iter()
        .filter(|b| **b)
        .count();
        if count > 1 {
            return Err(malformed(
                "sops metadata sets more than one of encrypted/unencrypted suffix/regex/comment_regex",
            ));
        }
        if count == 0 {
            rules.unencrypted_suffix = Some("_unencrypted".to_string());
        }

        let mac_only_encrypted = match obj.get("mac_only_encrypted") {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => s == "true",
            _ => false,
        };
        let shamir_threshold = match obj.get("shamir_threshold") {
            Some(Value::Number(n)) => n.as_u64().unwrap_or(0) as usize,
            Some(Value::String(s)) => s.parse().map_err(|_| {
                malformed(format!("sops `shamir_threshold` {s:?} is not an integer"))
            })?,
            _ => 0,
        };

        let top = group_from(obj)?;
        let key_groups = if !top.is_empty() {
            vec![top]
        } else {
            let groups = obj
                .get("key_groups")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            let mut out = Vec::new();
            for g in groups {
                let g = g
                    .as_object()
                    .ok_or_else(|| malformed("a sops key group is not a mapping"))?;
                out.push(group_from(g)?);
            }
            out
        };
        if key_groups.is_empty() {
            return Err(malformed("sops metadata lists no keys"));
        }
        Ok(Metadata {
            mac_aad,
            mac,
            rules,
            mac_only_encrypted,
            shamir_threshold,
            key_groups,
        })
    }
}

/// The master keys of one group (or of the top level).
fn group_from(obj: &Map<String, Value>) -> Result<Vec<MasterKey>, SopsError> {
    let mut keys = Vec::new();
    for kind in KEY_KINDS {
        let Some(list) = obj.get(kind).and_then(Value::as_array) else {
            continue;
        };
        for entry in list {
            let field = |k: &str| {
                entry
                    .get(k)
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string()
            };
            keys.push(match kind {
                "age" => {
                    let recipient = field("recipient");
                    let enc = field("enc");
                    if enc.is_empty() {
                        return Err(malformed(format!("age key {recipient} has no `enc`")));
                    }
                    MasterKey::Age { recipient, enc }
                }
                "pgp" => MasterKey::Other {
                    label: format!("pgp {}", field("fp")),
                },
                "kms" => MasterKey::Other {
                    label: format!("kms {}", field("arn")),
                },
                "gcp_kms" => MasterKey::Other {
                    label: format!("gcp_kms {}", field("resource_id")),
                },
                "azure_kv" => MasterKey::Other {
                    label: format!("azure_kv {}/{}", field("vault_url"), field("name")),
                },
                "hc_vault" => MasterKey::Other {
                    label: format!("hc_vault {}/{}", field("vault_address"), field("key_name")),
                },
                other => MasterKey::Other {
                    label: format!("{other} {}", field("key_id")).trim().to_string(),
                },
            });
        }
    }
    Ok(keys)
}

/// Best-effort list of every master key label (for placeholders of undecryptable documents).
pub(crate) fn recipient_labels(sops: &Value) -> Vec<String> {
    let Some(obj) = sops.as_object() else {
        return Vec::new();
    };
    let mut labels: Vec<String> = group_from(obj)
        .unwrap_or_default()
        .iter()
        .map(MasterKey::label)
        .collect();
    if let Some(groups) = obj.get("key_groups").and_then(Value::as_array) {
        for g in groups.iter().filter_map(Value::as_object) {
            labels.extend(
                group_from(g)
                    .unwrap_or_default()
                    .iter()
                    .map(MasterKey::label),
            );
        }
    }
    labels
}

/// Rebuilds the metadata mapping from flattened `key__map_sub__list_0` entries (`stores/flatten.go`),
/// after `DecodeNewLines` (`\n` escapes).
pub(crate) fn unflatten(entries: &[(String, String)]) -> Value {
    let mut root = Value::Object(Map::new());
    for (flat, value) in entries {
        let tokens = tokenize(flat);
        let value = Value::String(value.replace("\\n", "\n"));
        insert(&mut root, &tokens, value);
    }
    root
}

#[derive(Debug, PartialEq)]
enum Token {
    Key(String),
    Index(usize),
}

fn tokenize(path: &str) -> Vec<Token> {
    const MAP: &str = "__map_";
    const LIST: &str = "__list_";
    let mut tokens = Vec::new();
    let mut rest = path;
    let mut current_is_list = false;
    loop {
        let next_map = rest.find(MAP);
        let next_list = rest.find(LIST);
        let (cut, sep_len, next_is_list) = match (next_map, next_list) {
            (Some(m), Some(l)) if l < m => (l, LIST.len(), true),
            (Some(m), _) => (m, MAP.len(), false),
            (None, Some(l)) => (l, LIST.len(), true),
            (None, None) => (rest.len(), 0, false),
        };
        let piece = &rest[..cut];
        tokens.push(if current_is_list {
            Token::Index(piece.parse().unwrap_or(0))
        } else {
            Token::Key(piece.to_string())
        });
        if sep_len == 0 {
            break;
        }
        rest = &rest[cut + sep_len..];
        current_is_list = next_is_list;
    }
    tokens
}

fn insert(node: &mut Value, tokens: &[Token], value: Value) {
    let Some((first, rest)) = tokens.split_first() else {
        *node = value;
        return;
    };
    let child = match first {
        Token::Key(k) => {
            if !node.is_object() {
                *node = Value::Object(Map::new());
            }
            match node.as_object_mut() {
                Some(map) => map.entry(k.clone()).or_insert(Value::Null),
                None => return,
            }
        }
        Token::Index(i) => {
            if !node.is_array() {
                *node = Value::Array(Vec::new());
            }
            let Some(list) = node.as_array_mut() else {
                return;
            };
            // Indices come from the file; refuse absurd ones instead of allocating them.
            if *i > 10_000 {
                return;
            }
            if list.len() <= *i {
                list.resize(*i + 1, Value::Null);
            }
            &mut list[*i]
        }
    };
    insert(child, rest, value);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unflattens_sops_keys() {
        let v = unflatten(&[
            ("age__list_0__map_recipient".into(), "age1x".into()),
            ("age__list_0__map_enc".into(), "a\\nb".into()),
            (
                "key_groups__list_1__map_age__list_0__map_recipient".into(),
                "age1y".into(),
            ),
            ("mac".into(), "ENC[x]".into()),
        ]);
        assert_eq!(v["age"][0], json!({"recipient": "age1x", "enc": "a\nb"}));
        assert_eq!(v["key_groups"][1]["age"][0]["recipient"], "age1y");
        assert_eq!(v["mac"], "ENC[x]");
    }

    #[test]
    fn parses_metadata_and_rejects_missing_fields() {
        let base = json!({
            "age": [{"recipient": "age1x", "enc": "E"}],
            "pgp": [{"fp": "ABC", "enc": "P"}],
            "lastmodified": "2024-11-12T13:33:42Z",
            "mac": "ENC[…]",
            "encrypted_regex": "^(data|stringData)$",
        });
        let m = Metadata::from_json(&base).unwrap();
        assert_eq!(m.mac_aad, "2024-11-12T13:33:42Z");
        assert_eq!(m.key_groups[0].len(), 2);
        assert!(m.rules.encrypted_regex.is_some() && m.rules.unencrypted_suffix.is_none());

        for missing in ["mac", "lastmodified"] {
            let mut v = base.clone();
            v.as_object_mut().unwrap().remove(missing);
            let err = Metadata::from_json(&v).unwrap_err().to_string();
            assert!(err.contains(missing), "{err}");
        }
        let mut v = base.clone();
        v["unencrypted_suffix"] = json!("_x");
        assert!(Metadata::from_json(&v).is_err());
        let mut v = base;
        v.as_object_mut().unwrap().remove("encrypted_regex");
        assert_eq!(
            Metadata::from_json(&v)
                .unwrap()
                .rules
                .unencrypted_suffix
                .as_deref(),
            Some("_unencrypted")
        );
    }
}
