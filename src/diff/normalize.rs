//! Turns a rendered object into the text that is diffed: noise labels stripped, keys in a
//! canonical order, YAML.
//!
//! Stripping (`--strip-attrs`) touches only `labels` and `annotations` maps that sit directly in a
//! `metadata` map, at any depth: the object's own metadata, pod templates
//! (`spec.template.metadata`), CronJob `spec.jobTemplate.metadata` and its pod template,
//! StatefulSet `volumeClaimTemplates[].metadata`, and so on. Selectors (`matchLabels`, a Service's
//! `selector`) are never touched: a selector change is a real, often immutable, change. Other maps
//! that happen to be called `labels` (PrometheusRule alert labels, chart values) are left alone too.

use super::model::ObjectRef;
use crate::model::ObjectKey;
use serde_json::{Map, Value};

/// Keys that come first, in this order, in every map; the rest follow sorted. Any fixed order
/// works (key order must never show as a change); this one reads like `kubectl` output.
const LEADING_KEYS: [&str; 5] = ["apiVersion", "kind", "metadata", "name", "namespace"];

/// The identity an object is paired by (the first of its identity).
pub(crate) fn object_key(obj: &Value) -> ObjectRef {
    ObjectRef {
        key: ObjectKey::of(obj),
        duplicate: 0,
    }
}

/// Removes the `strip` keys from every `metadata.labels` / `metadata.annotations` map; a map left
/// empty by that is removed too, so `labels: {helm.sh/chart: x}` vs no labels is not a change.
pub(crate) fn strip_attrs(value: &mut Value, strip: &[String]) {
    if strip.is_empty() {
        return;
    }
    match value {
        Value::Object(map) => {
            if let Some(Value::Object(meta)) = map.get_mut("metadata") {
                for field in ["labels", "annotations"] {
                    if let Some(Value::Object(attrs)) = meta.get_mut(field) {
                        let before = attrs.len();
                        attrs.retain(|k, _| !strip.iter().any(|s| s == k));
                        if attrs.is_empty() && before > 0 {
                            meta.shift_remove(field);
                        }
                    }
                }
            }
            for child in map.values_mut() {
                strip_attrs(child, strip);
            }
        }
        Value::Array(items) => {
            for child in items {
                strip_attrs(child, strip);
            }
        }
        _ => {}
    }
}

/// A copy with every map's keys in the canonical order.
pub(crate) fn canonical(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| a.cmp(b)));
            let mut out = Map::with_capacity(map.len());
            for k in keys {
                if let Some(v) = map.get(k) {
                    out.insert(k.clone(), canonical(v));
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

fn rank(key: &str) -> usize {
    LEADING_KEYS
        .iter()
        .position(|k| *k == key)
        .unwrap_or(LEADING_KEYS.len())
}

/// The text an object is compared and shown as.
pub(crate) fn object_text(obj: &Value, strip: &[String]) -> String {
    let mut v = obj.clone();
    strip_attrs(&mut v, strip);
    crate::yaml::to_yaml(&canonical(&v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn defaults() -> Vec<String> {
        super::super::model::DEFAULT_STRIP_ATTRS
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    #[test]
    fn key_of_core_and_grouped_objects() {
        let k = object_key(&json!({"apiVersion":"apps/v1","kind":"Deployment",
            "metadata":{"name":"web","namespace":"default"}}));
        assert_eq!(k.label(), "Deployment.apps/default/web");
        let k = object_key(&json!({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"x"}}));
        assert_eq!(k.label(), "Namespace/x");
        // Garbage in: empty identity, no panic.
        assert_eq!(object_key(&json!("text")).label(), "/");
    }

    #[test]
    fn strips_metadata_maps_at_any_depth_but_not_selectors() {
        let mut v = json!({
            "metadata": {"labels": {"chart": "a-1", "app": "a"}, "annotations": {"helm.sh/chart": "a-1"}},
            "spec": {
                "selector": {"matchLabels": {"chart": "a-1"}},
                "template": {"metadata": {"annotations": {"checksum/config": "abc", "keep": "1"}}},
                "jobTemplate": {"metadata": {"labels": {"app.kubernetes.io/version": "2"}}},
                "groups": [{"labels": {"chart": "x"}}]
            }
        });
        strip_attrs(&mut v, &defaults());
        assert_eq!(
            v,
            json!({
                "metadata": {"labels": {"app": "a"}},
                "spec": {
                    "selector": {"matchLabels": {"chart": "a-1"}},
                    "template": {"metadata": {"annotations": {"keep": "1"}}},
                    "jobTemplate": {"metadata": {}},
                    "groups": [{"labels": {"chart": "x"}}]
                }
            })
        );
    }

    #[test]
    fn canonical_order_ignores_input_order() {
        let a = json!({"spec": {"b": 1, "a": [{"z": 1, "name": "n"}]}, "kind": "K", "apiVersion": "v1"});
        let b = json!({"apiVersion": "v1", "kind": "K", "spec": {"a": [{"name": "n", "z": 1}], "b": 1}});
        assert_eq!(object_text(&a, &[]), object_text(&b, &[]));
        assert!(object_text(&a, &[]).starts_with("apiVersion: v1\nkind: K\n"));
    }
}
