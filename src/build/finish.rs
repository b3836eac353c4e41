//! The object-level steps after substitution: list expansion, owner labels, normalization and
//! commonMetadata, as kustomize-controller applies them before server-side apply.

use crate::flux::{KS_NAME_LABEL, KS_NAMESPACE_LABEL, Kustomization};
use crate::object;
use base64::Engine;
use serde_json::Value;

/// `ssautil.ReadObjects`: `*List` kinds become their items, kustomize's own config objects and
/// documents without an identity are dropped. `files` stays aligned with the objects.
pub fn expand_lists(
    objects: Vec<Value>,
    files: Vec<Option<String>>,
) -> (Vec<Value>, Vec<Option<String>>) {
    let mut out = Vec::with_capacity(objects.len());
    let mut out_files = Vec::with_capacity(objects.len());
    for (obj, file) in objects.into_iter().zip(files) {
        if object::kind(&obj).ends_with("List") && obj.get("items").is_some_and(Value::is_array) {
            for item in obj["items"].as_array().into_iter().flatten() {
                if keep(item) {
                    out.push(item.clone());
                    out_files.push(file.clone());
                }
            }
        } else if keep(&obj) {
            out.push(obj);
            out_files.push(file);
        }
    }
    (out, out_files)
}

fn keep(obj: &Value) -> bool {
    !object::api_version(obj).is_empty()
        && !object::kind(obj).is_empty()
        && !object::name(obj).is_empty()
        && object::group_of(object::api_version(obj)) != "kustomize.config.k8s.io"
}

/// Owner labels, normalization, then commonMetadata (which may overwrite the owner labels).
pub fn finish_objects(mut objects: Vec<Value>, ks: &Kustomization) -> Vec<Value> {
    for obj in objects.iter_mut() {
        object::set_metadata_entry(obj, "labels", KS_NAME_LABEL, &ks.id.name);
        object::set_metadata_entry(obj, "labels", KS_NAMESPACE_LABEL, &ks.id.namespace);
        normalize(obj);
        if let Some(cm) = &ks.spec.common_metadata {
            for (k, v) in &cm.labels {
                object::set_metadata_entry(obj, "labels", k, v);
            }
            for (k, v) in &cm.annotations {
                object::set_metadata_entry(obj, "annotations", k, v);
            }
        }
    }
    objects
}

/// `pkg/ssa/normalize`: Secret `stringData` folds into `data`, `status` goes (except on CRDs),
/// a null `creationTimestamp` goes.
fn normalize(obj: &mut Value) {
    let is_secret = object::kind(obj) == "Secret" && object::api_version(obj) == "v1";
    let is_crd = object::kind(obj) == "CustomResourceDefinition";
    let Some(map) = obj.as_object_mut() else {
        return;
    };
    if is_secret && let Some(Value::Object(string_data)) = map.remove("stringData") {
        let data = map
            .entry("data")
            .or_insert_with(|| Value::Object(Default::default()));
        if !data.is_object() {
            *data = Value::Object(Default::default());
        }
        if let Some(data) = data.as_object_mut() {
            for (k, v) in string_data {
                let text = match v {
                    Value::String(s) => s,
                    Value::Null => String::new(),
                    other => other.to_string(),
                };
                let encoded = base64::engine::general_purpose::STANDARD.encode(text);
                data.insert(k, Value::String(encoded));
            }
        }
    }
    if !is_crd {
        map.remove("status");
    }
    if let Some(meta) = map.get_mut("metadata").and_then(Value::as_object_mut)
        && meta.get("creationTimestamp").is_some_and(Value::is_null)
    {
        meta.remove("creationTimestamp");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ks(extra: Value) -> Kustomization {
        let mut o = json!({"apiVersion":"kustomize.toolkit.fluxcd.io/v1","kind":"Kustomization",
            "metadata":{"name":"apps","namespace":"flux-system"},"spec":{}});
        o["spec"] = extra;
        Kustomization::from_object(&o).unwrap()
    }

    #[test]
    fn lists_expand_and_config_objects_drop() {
        let objs = vec![
            json!({"apiVersion":"v1","kind":"ConfigMapList","items":[
                {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}},
                {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"b"}}]}),
            json!({"apiVersion":"kustomize.config.k8s.io/v1beta1","kind":"Kustomization","metadata":{"name":"k"}}),
        ];
        let (o, f) = expand_lists(objs, vec![Some("x.yaml".into()), None]);
        assert_eq!(o.len(), 2);
        assert_eq!(f, vec![Some("x.yaml".into()), Some("x.yaml".into())]);
    }

    #[test]
    fn labels_normalize_and_common_metadata() {
        let objs = vec![
            json!({"apiVersion":"v1","kind":"Secret","metadata":{"name":"s","creationTimestamp":null},
            "stringData":{"k":"v"},"status":{}}),
        ];
        let k = ks(json!({"commonMetadata":{"labels":{"team":"a"},"annotations":{"n":"1"}}}));
        let out = finish_objects(objs, &k);
        assert_eq!(out[0]["data"]["k"], "dg==");
        assert!(out[0].get("stringData").is_none() && out[0].get("status").is_none());
        assert_eq!(out[0]["metadata"]["labels"][KS_NAME_LABEL], "apps");
        assert_eq!(out[0]["metadata"]["labels"]["team"], "a");
        assert_eq!(out[0]["metadata"]["annotations"]["n"], "1");
        assert!(out[0]["metadata"].get("creationTimestamp").is_none());
    }
}
