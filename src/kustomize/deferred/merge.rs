//! A strategic-merge patch applied to an object kustomize has no OpenAPI schema for, with kyaml's
//! semantics (kyaml/yaml/merge2/merge2.go, kyaml/yaml/walk/*.go, kyaml/yaml/merge2/smpdirective.go):
//!
//! - maps merge key by key; a key only in the object is kept as it is (nulls and empty values too);
//! - a `null` in the patch removes the key;
//! - lists are replaced whole: kustomize merges with `InferAssociativeLists` off, so without a
//!   schema no list is associative (no merge by `name`);
//! - `$patch: delete` removes the map, `$patch: replace` puts the patch's map in place, and
//!   `$patch: merge` is the default; the directive itself never lands in the object;
//! - a value the object does not have yet is added "cleaned": nulls dropped and directives applied
//!   inside its maps, lists copied verbatim;
//! - a map meeting a scalar or list (or the other way round) is kustomize's error
//!   ("wrong node kind").

use super::DeferError;
use serde_json::{Map, Value};

const DIRECTIVE: &str = "$patch";

/// The merged value of one field; `None` means the field is absent afterwards.
pub fn merge_value(dest: Option<&Value>, patch: &Value) -> Result<Option<Value>, DeferError> {
    let dest = dest.filter(|d| !d.is_null());
    if let Some(d) = dest
        && !patch.is_null()
        && node_kind(d) != node_kind(patch)
    {
        return Err(DeferError::Merge(format!(
            "wrong node kind: a patch {} meets a {}",
            node_kind(patch),
            node_kind(d)
        )));
    }
    match patch {
        Value::Null => Ok(None),
        Value::Object(p) => match directive(p)? {
            Directive::Delete => Ok(None),
            Directive::Replace => cleaned(p).map(Some),
            Directive::Merge => match dest {
                None => cleaned(p).map(Some),
                Some(Value::Object(d)) => merge_maps(d, p).map(|m| Some(Value::Object(m))),
                Some(_) => unreachable!("kinds were compared above"),
            },
        },
        // Lists and scalars replace the object's value as they are.
        other => Ok(Some(other.clone())),
    }
}

fn merge_maps(
    dest: &Map<String, Value>,
    patch: &Map<String, Value>,
) -> Result<Map<String, Value>, DeferError> {
    let mut out = dest.clone();
    for (key, value) in patch {
        if key == DIRECTIVE {
            continue;
        }
        match merge_value(out.get(key), value)? {
            Some(v) => {
                out.insert(key.clone(), v);
            }
            None => {
                out.remove(key);
            }
        }
    }
    Ok(out)
}

/// A patch map added where the object has nothing: kyaml merges it into itself.
fn cleaned(patch: &Map<String, Value>) -> Result<Value, DeferError> {
    let mut out = Map::new();
    for (key, value) in patch {
        if key == DIRECTIVE {
            continue;
        }
        let v = match value {
            Value::Object(m) => match directive(m)? {
                Directive::Delete => None,
                _ => Some(cleaned(m)?),
            },
            Value::Null => None,
            other => Some(other.clone()),
        };
        if let Some(v) = v {
            out.insert(key.clone(), v);
        }
    }
    Ok(Value::Object(out))
}

enum Directive {
    Merge,
    Replace,
    Delete,
}

fn directive(map: &Map<String, Value>) -> Result<Directive, DeferError> {
    match map.get(DIRECTIVE) {
        None => Ok(Directive::Merge),
        Some(Value::String(s)) if s == "merge" => Ok(Directive::Merge),
        Some(Value::String(s)) if s == "replace" => Ok(Directive::Replace),
        Some(Value::String(s)) if s == "delete" => Ok(Directive::Delete),
        Some(other) => Err(DeferError::Merge(format!("unknown patch strategy {other}"))),
    }
}

fn node_kind(v: &Value) -> &'static str {
    match v {
        Value::Object(_) => "map",
        Value::Array(_) => "list",
        _ => "scalar",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn merged(dest: Value, patch: Value) -> Value {
        merge_value(Some(&dest), &patch).unwrap().unwrap()
    }

    #[test]
    fn maps_merge_lists_replace_nulls_delete() {
        let dest = json!({"keep": null, "m": {"a": null, "b": 1}, "l": [{"name": "a", "x": 1}], "s": 1, "gone": {"x": 1}});
        let patch = json!({"m": {"c": 1}, "l": [{"name": "a", "y": 2}], "s": "two", "gone": null, "new": {"k": {"j": null}, "d": {"$patch": "delete"}}});
        assert_eq!(
            merged(dest, patch),
            json!({"keep": null, "m": {"a": null, "b": 1, "c": 1}, "l": [{"name": "a", "y": 2}], "s": "two", "new": {"k": {}}})
        );
    }

    #[test]
    fn directives() {
        let dest = json!({"r": {"x": 1, "y": 2}, "d": {"x": 1}});
        let patch = json!({"r": {"$patch": "replace", "z": {"q": null, "r": 1}}, "d": {"$patch": "delete"}, "n": {"$patch": "delete"}});
        assert_eq!(merged(dest, patch), json!({"r": {"z": {"r": 1}}}));
        assert!(merge_value(Some(&json!({})), &json!({"$patch": "retainKeys"})).is_err());
    }

    #[test]
    fn kind_mismatch_is_an_error() {
        assert!(merge_value(Some(&json!({"a": 1})), &json!(5)).is_err());
        assert!(merge_value(Some(&json!([1])), &json!({"a": 1})).is_err());
        assert_eq!(
            merge_value(Some(&json!({"a": 1})), &json!(null)).unwrap(),
            None
        );
    }
}
