//! The `Merge` copy strategy: a YAML file merged into the one already at the destination.
//!
//! fluxcd/source-watcher `internal/builder/merge.go`: every document of each file is merged into
//! one map (`loadYAML`), then the source's map is merged over the destination's: nested maps
//! merge key by key, anything else (lists included) is replaced, as Helm merges `--values` files.
//! The result is written by `sigs.k8s.io/yaml`, so keys come out sorted.

use serde_json::{Map, Value};

/// Why two files could not be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("cannot unmarshal YAML document: {0}")]
    Yaml(#[from] crate::yaml::YamlError),
    #[error("cannot unmarshal YAML document: not a mapping")]
    NotAMap,
}

/// Merges `overlay` (the copied file) over `base` (the file already staged) and returns the text.
pub fn merge_yaml(base: &str, overlay: &str) -> Result<String, MergeError> {
    let merged = merge_map(load(base)?, load(overlay)?);
    Ok(sorted_yaml(Value::Object(merged)))
}

/// All documents of a file, merged in order into one map.
fn load(text: &str) -> Result<Map<String, Value>, MergeError> {
    let mut out = Map::new();
    for doc in crate::yaml::parse_documents(text)? {
        match doc {
            Value::Object(m) => out = merge_map(out, m),
            _ => return Err(MergeError::NotAMap),
        }
    }
    Ok(out)
}

fn merge_map(mut base: Map<String, Value>, overlay: Map<String, Value>) -> Map<String, Value> {
    for (k, v) in overlay {
        match (base.remove(&k), v) {
            (Some(Value::Object(b)), Value::Object(o)) => {
                base.insert(k, Value::Object(merge_map(b, o)));
            }
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
    base
}

fn sorted_yaml(v: Value) -> String {
    fn sort(v: Value) -> Value {
        match v {
            Value::Object(m) => {
                let mut entries: Vec<(String, Value)> = m.into_iter().collect();
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                Value::Object(entries.into_iter().map(|(k, v)| (k, sort(v))).collect())
            }
            Value::Array(a) => Value::Array(a.into_iter().map(sort).collect()),
            other => other,
        }
    }
    match sort(v) {
        Value::Object(m) if m.is_empty() => "{}\n".to_string(),
        v => crate::yaml::to_yaml(&v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_merge_deeply_and_lists_are_replaced() {
        let base = "replicas: 1\nimage: {repo: a, tag: '1'}\nports: [80, 443]\n";
        let overlay = "image: {tag: '2'}\nports: [8080]\nextra: true\n";
        let out = crate::yaml::parse_one(&merge_yaml(base, overlay).unwrap()).unwrap();
        assert_eq!(
            out,
            serde_json::json!({"extra": true, "image": {"repo": "a", "tag": "2"}, "ports": [8080], "replicas": 1})
        );
    }

    #[test]
    fn keys_come_out_sorted_and_documents_fold_into_one() {
        let out = merge_yaml("b: 1\n---\na: 1\n", "c: 3\n").unwrap();
        assert_eq!(out, "a: 1\nb: 1\nc: 3\n");
    }

    #[test]
    fn a_scalar_document_is_an_error() {
        assert!(matches!(
            merge_yaml("a: 1", "- x\n"),
            Err(MergeError::NotAMap)
        ));
        assert_eq!(merge_yaml("", "").unwrap(), "{}\n");
    }
}
