//! Post-rendering in helm-controller order: `postRenderers[].kustomize`, then `commonMetadata`,
//! then the origin labels; CRDs from `crds/` get only the origin labels.

use super::error::HelmError;
use super::template::Rendered;
use super::view::{name_of, namespace_of};
use serde_json::{Map, Value, json};

/// Origin labels set on every object (`internal/postrender/origin_labels.go`).
pub const ORIGIN_NAME: &str = "helm.toolkit.fluxcd.io/name";
pub const ORIGIN_NAMESPACE: &str = "helm.toolkit.fluxcd.io/namespace";

/// Applies the post-renderer chain to helm's objects per `spec.postRenderStrategy`. kustomize
/// post-renderers work in a folder made under `work` (the run's private folder: helm's output
/// may hold secret values).
pub(crate) async fn post_render(
    hr: &Value,
    hr_id: &str,
    kustomize: &[String],
    work: &std::path::Path,
    rendered: Vec<Rendered>,
) -> Result<Vec<Value>, HelmError> {
    let mut crds = Vec::new();
    let mut hooks = Vec::new();
    let mut manifests = Vec::new();
    for r in rendered {
        match (r.crd, r.hook) {
            (true, _) => crds.push(r.object),
            (false, true) => hooks.push(r.object),
            (false, false) => manifests.push(r.object),
        }
    }
    let origin = origin_labels(hr);
    let mut out: Vec<Value> = crds
        .into_iter()
        .map(|mut o| {
            set_metadata(&mut o, "labels", &origin);
            o
        })
        .collect();
    let strategy = hr
        .pointer("/spec/postRenderStrategy")
        .and_then(Value::as_str)
        .unwrap_or("combined");
    match strategy {
        "nohooks" => {
            out.extend(chain(hr, hr_id, kustomize, work, manifests).await?);
            out.extend(hooks);
        }
        "separate" => {
            out.extend(chain(hr, hr_id, kustomize, work, manifests).await?);
            out.extend(chain(hr, hr_id, kustomize, work, hooks).await?);
        }
        _ => {
            manifests.extend(hooks);
            out.extend(chain(hr, hr_id, kustomize, work, manifests).await?);
        }
    }
    Ok(out)
}

fn origin_labels(hr: &Value) -> Map<String, Value> {
    let mut labels = Map::new();
    labels.insert(ORIGIN_NAME.to_string(), Value::String(name_of(hr)));
    labels.insert(
        ORIGIN_NAMESPACE.to_string(),
        Value::String(namespace_of(hr)),
    );
    labels
}

async fn chain(
    hr: &Value,
    hr_id: &str,
    kustomize: &[String],
    work: &std::path::Path,
    mut objects: Vec<Value>,
) -> Result<Vec<Value>, HelmError> {
    if objects.is_empty() {
        return Ok(objects);
    }
    let renderers = hr
        .pointer("/spec/postRenderers")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for renderer in renderers {
        if let Some(k) = renderer.get("kustomize").filter(|k| k.is_object()) {
            objects = run_kustomize(hr_id, kustomize, work, k, &objects).await?;
        }
    }
    for field in ["labels", "annotations"] {
        if let Some(Value::Object(extra)) = hr.pointer(&format!("/spec/commonMetadata/{field}")) {
            for o in &mut objects {
                set_metadata(o, field, extra);
            }
        }
    }
    let origin = origin_labels(hr);
    for o in &mut objects {
        set_metadata(o, "labels", &origin);
    }
    Ok(objects)
}

/// Sets keys under `metadata.<field>`, creating the map; existing keys are overridden.
fn set_metadata(object: &mut Value, field: &str, entries: &Map<String, Value>) {
    let Some(obj) = object.as_object_mut() else {
        return;
    };
    let metadata = obj
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()));
    if !metadata.is_object() {
        *metadata = Value::Object(Map::new());
    }
    let Some(metadata) = metadata.as_object_mut() else {
        return;
    };
    let target = metadata
        .entry(field)
        .or_insert_with(|| Value::Object(Map::new()));
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Some(target) = target.as_object_mut() {
        for (k, v) in entries {
            target.insert(k.clone(), v.clone());
        }
    }
}

/// One kustomize post-renderer: helm's output as the only resource, plus `patches` and `images`.
async fn run_kustomize(
    hr_id: &str,
    kustomize: &[String],
    work: &std::path::Path,
    spec: &Value,
    objects: &[Value],
) -> Result<Vec<Value>, HelmError> {
    let fail = |reason: String| HelmError::PostRender {
        hr: hr_id.to_string(),
        reason,
    };
    let dir = tempfile::tempdir_in(work).map_err(|e| fail(e.to_string()))?;
    let mut kustomization = json!({
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": ["helm-output.yaml"],
    });
    for key in ["patches", "images"] {
        if let Some(v) = spec.get(key).filter(|v| !v.is_null()) {
            kustomization[key] = v.clone();
        }
    }
    std::fs::write(
        dir.path().join("helm-output.yaml"),
        crate::yaml::to_yaml_stream(objects),
    )
    .map_err(|e| fail(e.to_string()))?;
    std::fs::write(
        dir.path().join("kustomization.yaml"),
        crate::yaml::to_yaml(&kustomization),
    )
    .map_err(|e| fail(e.to_string()))?;
    let program = kustomize.first().map_or("kustomize", String::as_str);
    let output = crate::process::Command::new(program)
        .args(kustomize.iter().skip(1))
        .arg(dir.path())
        .sandbox(crate::process::Sandbox::new().write(dir.path()))
        .run()
        .await
        .map_err(|e| match e {
            crate::process::ProcessError::Failed { stderr, .. } => fail(stderr),
            e => fail(e.to_string()),
        })?;
    crate::yaml::parse_documents(&output.stdout_text())
        .map_err(|e| fail(format!("unparsable kustomize output: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn metadata_then_origin_labels_win() {
        let hr = json!({"metadata":{"name":"app","namespace":"flux"},
            "spec":{"commonMetadata":{"labels":{"team":"a","helm.toolkit.fluxcd.io/name":"x"},"annotations":{"n":"1"}}}});
        let rendered = vec![
            Rendered {
                object: json!({"kind":"ConfigMap","metadata":{"name":"c"}}),
                crd: false,
                hook: false,
            },
            Rendered {
                object: json!({"kind":"CustomResourceDefinition","metadata":{"name":"d"}}),
                crd: true,
                hook: false,
            },
        ];
        let out = post_render(&hr, "flux/app", &[], &std::env::temp_dir(), rendered)
            .await
            .unwrap();
        assert_eq!(out[0]["kind"], "CustomResourceDefinition");
        assert_eq!(
            out[0]["metadata"]["labels"],
            json!({ORIGIN_NAME:"app",ORIGIN_NAMESPACE:"flux"})
        );
        assert_eq!(
            out[1]["metadata"]["labels"],
            json!({"team":"a",ORIGIN_NAME:"app",ORIGIN_NAMESPACE:"flux"})
        );
        assert_eq!(out[1]["metadata"]["annotations"], json!({"n":"1"}));
    }

    #[tokio::test]
    async fn nohooks_leaves_hooks_alone() {
        let hr = json!({"metadata":{"name":"app","namespace":"flux"},"spec":{"postRenderStrategy":"nohooks"}});
        let rendered = vec![Rendered {
            object: json!({"kind":"Job","metadata":{"name":"j"}}),
            crd: false,
            hook: true,
        }];
        let out = post_render(&hr, "flux/app", &[], &std::env::temp_dir(), rendered)
            .await
            .unwrap();
        assert_eq!(out[0], json!({"kind":"Job","metadata":{"name":"j"}}));
    }
}
