//! The object-level steps after substitution: list expansion, owner labels, normalization and
//! commonMetadata, as kustomize-controller applies them before server-side apply.

use crate::flux::{KS_NAME_LABEL, KS_NAMESPACE_LABEL, Kustomization};
use crate::model::RenderedObject;
use crate::object;
use base64::Engine;
use serde_json::Value;

/// `ssautil.ReadObjects`: `*List` kinds become their items (with the list's origin), kustomize's
/// own config objects and documents without an identity are dropped.
pub fn expand_lists(objects: Vec<RenderedObject>) -> Vec<RenderedObject> {
    let mut out = Vec::with_capacity(objects.len());
    for RenderedObject {
        object: obj,
        origin,
    } in objects
    {
        if object::kind(&obj).ends_with("List") && obj.get("items").is_some_and(Value::is_array) {
            for item in obj["items"].as_array().into_iter().flatten() {
                if keep(item) {
                    out.push(RenderedObject::new(item.clone(), origin.clone()));
                }
            }
        } else if keep(&obj) {
            out.push(RenderedObject::new(obj, origin));
        }
    }
    out
}

fn keep(obj: &Value) -> bool {
    !object::api_version(obj).is_empty()
        && !object::kind(obj).is_empty()
        && !object::name(obj).is_empty()
        && object::group_of(object::api_version(obj)) != "kustomize.config.k8s.io"
}

/// Owner labels, normalization, then commonMetadata (which may overwrite the owner labels).
pub fn finish_objects(mut objects: Vec<RenderedObject>, ks: &Kustomization) -> Vec<RenderedObject> {
    for obj in objects.iter_mut().map(|o| &mut o.object) {
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
        let objs = objs
            .into_iter()
            .zip([Some("x.yaml".to_string()), None])
            .map(|(o, f)| RenderedObject::new(o, f))
            .collect();
        let o = expand_lists(objs);
        assert_eq!(o.len(), 2);
        let f: Vec<_> = o.iter().map(|o| o.origin.as_deref()).collect();
        assert_eq!(f, vec![Some("x.yaml"), Some("x.yaml")]);
    }

    #[test]
    fn labels_normalize_and_common_metadata() {
        let objs = vec![
            json!({"apiVersion":"v1","kind":"Secret","metadata":{"name":"s","creationTimestamp":null},
            "stringData":{"k":"v"},"status":{}}),
        ];
        let k = ks(json!({"commonMetadata":{"labels":{"team":"a"},"annotations":{"n":"1"}}}));
        let objs = objs
            .into_iter()
            .map(|o| RenderedObject::new(o, None))
            .collect();
        let out: Vec<Value> = finish_objects(objs, &k)
            .into_iter()
            .map(|o| o.object)
            .collect();
        assert_eq!(out[0]["data"]["k"], "dg==");
        assert!(out[0].get("stringData").is_none() && out[0].get("status").is_none());
        assert_eq!(out[0]["metadata"]["labels"][KS_NAME_LABEL], "apps");
        assert_eq!(out[0]["metadata"]["labels"]["team"], "a");
        assert_eq!(out[0]["metadata"]["annotations"]["n"], "1");
        assert!(out[0]["metadata"].get("creationTimestamp").is_none());
    }
}
