//! Kubernetes objects as `serde_json::Value`, and the identity we key them by.
//!
//! Objects stay untyped between pipeline stages (kustomize output is arbitrary); this module gives
//! the accessors every stage needs (apiVersion, kind, name, namespace, labels). Their identity is
//! [`crate::model::ObjectKey`].

use serde_json::Value;

pub fn api_version(obj: &Value) -> &str {
    obj.get("apiVersion").and_then(Value::as_str).unwrap_or("")
}

pub fn kind(obj: &Value) -> &str {
    obj.get("kind").and_then(Value::as_str).unwrap_or("")
}

pub fn name(obj: &Value) -> &str {
    obj.pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
}

pub fn namespace(obj: &Value) -> Option<&str> {
    obj.pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// The API group of an apiVersion (`apps/v1` → `apps`, `v1` → ``).
pub fn group_of(api_version: &str) -> &str {
    match api_version.rsplit_once('/') {
        Some((group, _)) => group,
        None => "",
    }
}

/// The version part of an apiVersion (`apps/v1` → `v1`).
pub fn version_of(api_version: &str) -> &str {
    api_version.rsplit('/').next().unwrap_or("")
}

pub fn labels(obj: &Value) -> Option<&serde_json::Map<String, Value>> {
    obj.pointer("/metadata/labels").and_then(Value::as_object)
}

pub fn annotations(obj: &Value) -> Option<&serde_json::Map<String, Value>> {
    obj.pointer("/metadata/annotations")
        .and_then(Value::as_object)
}

/// A label or annotation value, label first.
pub fn label_or_annotation<'a>(obj: &'a Value, key: &str) -> Option<&'a str> {
    labels(obj)
        .and_then(|m| m.get(key))
        .or_else(|| annotations(obj).and_then(|m| m.get(key)))
        .and_then(Value::as_str)
}

/// Sets `metadata.<field>.<key> = value`, creating the maps as needed.
pub fn set_metadata_entry(obj: &mut Value, field: &str, key: &str, value: &str) {
    let Some(root) = obj.as_object_mut() else {
        return;
    };
    let meta = root
        .entry("metadata")
        .or_insert_with(|| Value::Object(Default::default()));
    let Some(meta) = meta.as_object_mut() else {
        return;
    };
    let map = meta
        .entry(field)
        .or_insert_with(|| Value::Object(Default::default()));
    if !map.is_object() {
        *map = Value::Object(Default::default());
    }
    if let Some(map) = map.as_object_mut() {
        map.insert(key.to_string(), Value::String(value.to_string()));
    }
}

/// `Kind.version.group/name` as Flux prints a resource in build errors (`[noGrp]` for the core group).
pub fn flux_resource_id(obj: &Value) -> String {
    let av = api_version(obj);
    let group = match group_of(av) {
        "" => "[noGrp]",
        g => g,
    };
    format!("{}.{}.{}/{}", kind(obj), version_of(av), group, name(obj))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn flux_resource_ids() {
        let o = json!({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"a","namespace":"n"}});
        assert_eq!(flux_resource_id(&o), "Deployment.v1.apps/a");
        let s = json!({"apiVersion":"v1","kind":"Secret","metadata":{"name":"db"}});
        assert_eq!(flux_resource_id(&s), "Secret.v1.[noGrp]/db");
    }

    #[test]
    fn metadata_entries() {
        let mut o = json!({"metadata":{"name":"a","labels":{"x":"1"}},"kind":"K"});
        set_metadata_entry(&mut o, "labels", "y", "2");
        set_metadata_entry(&mut o, "annotations", "z", "3");
        assert_eq!(label_or_annotation(&o, "y"), Some("2"));
        assert_eq!(label_or_annotation(&o, "z"), Some("3"));
    }
}
