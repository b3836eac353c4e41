//! JSON 6902 patches applied with the `json-patch` crate, restricted to what gives kustomize's
//! result (api/filters/patchjson6902: evanphx/json-patch on the object's JSON).
//!
//! evanphx/json-patch accepts more than RFC 6902 (negative and zero-padded indices); the crate
//! refuses those, so they fall back. Paths that touch what a later top-level transformer writes
//! or what differs between the moment kustomize patches and its output (identity fields, labels
//! and annotations of the transformers, kustomize's own annotations, image fields) are refused by
//! [`super::Rules`]. kustomize reads the patched JSON back with `json.Unmarshal`, so integers
//! beyond 2^53 would lose precision there: such a result is refused too.

use super::{DeferError, Rules};
use serde_json::Value;

/// Parsed operations.
#[derive(Debug, Clone)]
pub struct JsonPatch {
    ops: json_patch::Patch,
}

impl JsonPatch {
    /// Reads the operations (already parsed from the patch text) and checks them against `rules`.
    pub fn parse(ops: &Value, rules: &Rules) -> Result<JsonPatch, DeferError> {
        let list = ops
            .as_array()
            .ok_or_else(|| DeferError::Unsupported("JSON patch is not a list".into()))?;
        for op in list {
            check_op(op, rules)?;
        }
        let ops: json_patch::Patch = serde_json::from_value(ops.clone())
            .map_err(|e| DeferError::Unsupported(format!("JSON patch: {e}")))?;
        Ok(JsonPatch { ops })
    }

    pub fn apply(&self, doc: &mut Value) -> Result<(), DeferError> {
        json_patch::patch(doc, &self.ops).map_err(|e| DeferError::Merge(e.to_string()))?;
        if has_imprecise_number(doc) {
            return Err(DeferError::Merge(
                "an integer beyond 2^53 would be rounded by kustomize".into(),
            ));
        }
        Ok(())
    }
}

fn check_op(op: &Value, rules: &Rules) -> Result<(), DeferError> {
    let name = op.get("op").and_then(Value::as_str).unwrap_or("");
    let reads = matches!(name, "test" | "copy" | "move");
    if !matches!(
        name,
        "add" | "remove" | "replace" | "test" | "copy" | "move"
    ) {
        return Err(DeferError::Unsupported(format!("JSON patch op {name:?}")));
    }
    if reads && rules.images {
        return Err(DeferError::Unsupported(format!(
            "JSON patch op {name} with an images transformer"
        )));
    }
    for field in ["path", "from"] {
        if let Some(pointer) = op.get(field) {
            let pointer = pointer
                .as_str()
                .ok_or_else(|| DeferError::Unsupported(format!("JSON patch {field}")))?;
            rules.check_pointer(&tokens(pointer)?)?;
        }
    }
    if let Some(value) = op.get("value") {
        rules.check_value(value)?;
    }
    Ok(())
}

/// The unescaped reference tokens of a JSON pointer (`~1` is `/`, `~0` is `~`).
fn tokens(pointer: &str) -> Result<Vec<String>, DeferError> {
    if pointer.is_empty() {
        return Ok(Vec::new());
    }
    let Some(rest) = pointer.strip_prefix('/') else {
        return Err(DeferError::Unsupported(format!("JSON pointer {pointer:?}")));
    };
    Ok(rest
        .split('/')
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect())
}

fn has_imprecise_number(v: &Value) -> bool {
    const LIMIT: u64 = 1 << 53;
    match v {
        Value::Number(n) => {
            n.as_i64().is_some_and(|i| i.unsigned_abs() > LIMIT)
                || n.as_u64().is_some_and(|u| u > LIMIT)
        }
        Value::Array(items) => items.iter().any(has_imprecise_number),
        Value::Object(map) => map.values().any(has_imprecise_number),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn apply(doc: Value, ops: Value) -> Result<Value, DeferError> {
        let p = JsonPatch::parse(&ops, &Rules::default())?;
        let mut doc = doc;
        p.apply(&mut doc)?;
        Ok(doc)
    }

    #[test]
    fn rfc6902_ops() {
        let doc = json!({"spec": {"a": [1, 2], "b": {"x~y": 1, "p/q": 2}}});
        let ops = json!([
            {"op": "add", "path": "/spec/a/-", "value": 3},
            {"op": "add", "path": "/spec/a/0", "value": 0},
            {"op": "remove", "path": "/spec/b/x~0y"},
            {"op": "replace", "path": "/spec/b/p~1q", "value": "r"},
            {"op": "copy", "from": "/spec/a", "path": "/spec/c"},
            {"op": "move", "from": "/spec/c", "path": "/spec/d"},
            {"op": "test", "path": "/spec/d/3", "value": 3}
        ]);
        assert_eq!(
            apply(doc, ops).unwrap(),
            json!({"spec": {"a": [0, 1, 2, 3], "b": {"p/q": "r"}, "d": [0, 1, 2, 3]}})
        );
    }

    #[test]
    fn refuses_identity_and_failures() {
        let doc = json!({"metadata": {"name": "a"}, "spec": {}});
        for ops in [
            json!([{"op": "replace", "path": "/metadata/name", "value": "b"}]),
            json!([{"op": "add", "path": "/metadata", "value": {}}]),
            json!([{"op": "remove", "path": "/metadata/annotations"}]),
            json!([{"op": "add", "path": "/metadata/annotations/config.kubernetes.io~1x", "value": "1"}]),
            json!([{"op": "remove", "path": "/spec/missing"}]),
            json!([{"op": "add", "path": "/spec/a/-1", "value": 1}]),
            json!([{"op": "test", "path": "/spec", "value": 1}]),
            json!([{"op": "frob", "path": "/spec"}]),
        ] {
            assert!(apply(doc.clone(), ops.clone()).is_err(), "{ops}");
        }
        let labelled = Rules {
            label_keys: ["team".to_string()].into(),
            ..Rules::default()
        };
        let add_label = json!([{"op": "add", "path": "/metadata/labels/x", "value": "1"}]);
        assert!(JsonPatch::parse(&add_label, &Rules::default()).is_ok());
        assert!(JsonPatch::parse(&add_label, &labelled).is_err());
    }
}
