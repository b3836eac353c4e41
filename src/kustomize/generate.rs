//! Writes the `kustomization.yaml` kustomize-controller builds from (fluxcd/pkg/kustomize generator).
//!
//! When the path has no kustomization file, one is generated from the YAML files found below it;
//! then the Flux Kustomization's spec (targetNamespace, namePrefix/Suffix, patches, components,
//! images, buildMetadata) is merged into it. The file is rewritten inside a private copy of the
//! source, never in the user's tree.

use crate::flux::KustomizationSpec;
use crate::workspace::replace_file;
use crate::yaml;
use serde_json::{Map, Value, json};
use std::fs;
use std::path::{Component, Path, PathBuf};

pub const KUSTOMIZATION_FILES: [&str; 3] =
    ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// Top-level fields of kustomize's `types.Kustomization`; Flux decodes into it non-strictly, so any
/// other key is dropped rather than failing the build.
const KNOWN_FIELDS: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "openapi",
    "namePrefix",
    "nameSuffix",
    "namespace",
    "commonLabels",
    "labels",
    "commonAnnotations",
    "patchesStrategicMerge",
    "patchesJson6902",
    "patches",
    "images",
    "replacements",
    "replicas",
    "vars",
    "sortOptions",
    "resources",
    "components",
    "crds",
    "bases",
    "configMapGenerator",
    "secretGenerator",
    "helmGlobals",
    "helmCharts",
    "helmChartInflationGenerator",
    "generatorOptions",
    "configurations",
    "generators",
    "transformers",
    "validators",
    "buildMetadata",
];

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("failed to decode Kubernetes YAML from {path}: {message}")]
    Decode { path: String, message: String },
    #[error("component path '{0}' must be local and relative")]
    RemoteComponent(String),
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid kustomization file {path}: {message}")]
    Invalid { path: String, message: String },
}

/// Finds the kustomization file of `dir`, if any.
pub fn find_kustomization_file(dir: &Path) -> Option<PathBuf> {
    KUSTOMIZATION_FILES
        .iter()
        .map(|f| dir.join(f))
        .find(|p| p.is_file())
}

/// The kustomization file Flux will build from, computed without writing anything.
#[derive(Debug, Clone)]
pub struct Planned {
    /// File name inside the built folder (`kustomization.yaml` when generated).
    pub file_name: String,
    /// Its content, with the Flux spec merged in and origin annotations requested.
    pub content: Value,
    pub generated: Generated,
}

/// What writing the kustomization file decided.
#[derive(Debug, Clone, Copy)]
pub struct Generated {
    /// Flux's own build would keep `config.kubernetes.io/origin` annotations.
    pub keep_origin_annotations: bool,
}

/// Generates or merges the kustomization file of `dir` (in the original source) for `spec`.
/// `included` says whether a file is part of the source artifact (`.sourceignore`).
/// `display_root` is stripped from paths in error messages so they name repository files.
///
/// The content always asks kustomize for origin annotations, so that every built object can be
/// traced to its file; `generated` says whether Flux itself would keep them in the output.
pub fn plan_kustomization(
    dir: &Path,
    spec: &KustomizationSpec,
    display_root: &Path,
    included: &dyn Fn(&Path) -> bool,
) -> Result<Planned, GenerateError> {
    let (file_name, mut kus) = match find_kustomization_file(dir) {
        Some(file) => {
            let text = fs::read_to_string(&file).map_err(|source| GenerateError::Io {
                path: display(&file, display_root),
                source,
            })?;
            let value = yaml::parse_one(&text).map_err(|e| GenerateError::Invalid {
                path: display(&file, display_root),
                message: e.to_string(),
            })?;
            let map = match value {
                Value::Object(m) => m,
                Value::Null => Map::new(),
                _ => {
                    return Err(GenerateError::Invalid {
                        path: display(&file, display_root),
                        message: "not a mapping".into(),
                    });
                }
            };
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_else(|| "kustomization.yaml".into());
            (name, retain_known(map))
        }
        None => (
            "kustomization.yaml".to_string(),
            generate(dir, display_root, included)?,
        ),
    };
    merge_spec(&mut kus, spec, dir)?;
    let metadata = array_entry(&mut kus, "buildMetadata");
    let keep_origin_annotations = metadata.iter().any(|m| m == "originAnnotations");
    if !keep_origin_annotations {
        metadata.push(json!("originAnnotations"));
    }
    Ok(Planned {
        file_name,
        content: Value::Object(kus),
        generated: Generated {
            keep_origin_annotations,
        },
    })
}

/// Writes a planned kustomization file into `dir` of a private copy.
pub fn write_planned(dir: &Path, planned: &Planned) -> std::io::Result<()> {
    fs::create_dir_all(dir)?;
    // Only one kustomization file may exist in a folder.
    for other in KUSTOMIZATION_FILES {
        if other != planned.file_name {
            let p = dir.join(other);
            if p.exists() {
                fs::remove_file(p)?;
            }
        }
    }
    replace_file(
        &dir.join(&planned.file_name),
        yaml::to_yaml(&planned.content).as_bytes(),
    )
}

/// Plans and writes in one step (the folder is its own source); the tests' shorthand.
#[cfg(test)]
pub fn write_kustomization(
    dir: &Path,
    spec: &KustomizationSpec,
    display_root: &Path,
) -> Result<Generated, GenerateError> {
    let planned = plan_kustomization(dir, spec, display_root, &|_| true)?;
    write_planned(dir, &planned).map_err(|source| GenerateError::Io {
        path: display(dir, display_root),
        source,
    })?;
    Ok(planned.generated)
}

fn retain_known(mut map: Map<String, Value>) -> Map<String, Value> {
    map.retain(|k, _| KNOWN_FIELDS.contains(&k.as_str()));
    map
}

/// `findOrGenerateKustomization` for a folder without a kustomization file.
fn generate(
    dir: &Path,
    display_root: &Path,
    included: &dyn Fn(&Path) -> bool,
) -> Result<Map<String, Value>, GenerateError> {
    let mut resources = Vec::new();
    scan(dir, dir, display_root, included, &mut resources)?;
    let mut kus = Map::new();
    kus.insert(
        "apiVersion".into(),
        json!("kustomize.config.k8s.io/v1beta1"),
    );
    kus.insert("kind".into(), json!("Kustomization"));
    if resources.is_empty() {
        // Flux writes a placeholder namespace so that kustomize accepts an empty kustomization.
        kus.insert("namespace".into(), json!("_placeholder"));
    } else {
        kus.insert("resources".into(), Value::Array(resources));
    }
    Ok(kus)
}

/// Depth-first in lexical order, like Go's filepath.Walk: folders with a kustomization file are
/// added whole; other folders are descended into; only `.yaml`/`.yml` files count, and each of
/// their documents must look like a Kubernetes object.
fn scan(
    base: &Path,
    dir: &Path,
    display_root: &Path,
    included: &dyn Fn(&Path) -> bool,
    out: &mut Vec<Value>,
) -> Result<(), GenerateError> {
    let io_err = |source| GenerateError::Io {
        path: display(dir, display_root),
        source,
    };
    let mut entries: Vec<_> = fs::read_dir(dir)
        .map_err(io_err)?
        .filter_map(Result::ok)
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let Ok(ft) = entry.file_type() else { continue };
        if !included(&path) {
            continue;
        }
        let rel = || {
            format!(
                "./{}",
                path.strip_prefix(base).unwrap_or(&path).to_string_lossy()
            )
        };
        if ft.is_dir() {
            if find_kustomization_file(&path).is_some() {
                out.push(Value::String(rel()));
            } else {
                scan(base, &path, display_root, included, out)?;
            }
        } else if ft.is_file() {
            let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
            if ext != "yaml" && ext != "yml" {
                continue;
            }
            check_manifests(&path, display_root)?;
            out.push(Value::String(rel()));
        }
    }
    Ok(())
}

fn check_manifests(path: &Path, display_root: &Path) -> Result<(), GenerateError> {
    let err = |message: String| GenerateError::Decode {
        path: display(path, display_root),
        message,
    };
    let text = fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    for doc in yaml::parse_documents(&text).map_err(|e| err(e.to_string()))? {
        let kind = doc.get("kind").and_then(Value::as_str).unwrap_or("");
        if kind.is_empty() {
            return Err(err(format!("missing kind in object {}", short(&doc))));
        }
        let name = doc.pointer("/metadata/name").and_then(Value::as_str);
        if name.unwrap_or("").is_empty() && !kind.ends_with("List") {
            return Err(err(format!(
                "missing metadata.name in object {}",
                short(&doc)
            )));
        }
    }
    Ok(())
}

fn short(doc: &Value) -> String {
    let s = doc.to_string();
    if s.len() > 120 {
        format!("{}...", &s[..s.floor_char_boundary(120)])
    } else {
        s
    }
}

/// `GenerateManifest`: the Flux spec wins over, or is appended to, the file's own settings.
fn merge_spec(
    kus: &mut Map<String, Value>,
    spec: &KustomizationSpec,
    dir: &Path,
) -> Result<(), GenerateError> {
    let has_resources = kus
        .get("resources")
        .and_then(Value::as_array)
        .is_some_and(|r| !r.is_empty());
    if !has_resources {
        // Keeps kustomize from failing on "kustomization.yaml is empty"; as a side effect the
        // build keeps config.kubernetes.io/origin annotations, exactly as in Flux.
        kus.insert("buildMetadata".into(), json!(["originAnnotations"]));
    }
    if let Some(ns) = spec.target_namespace.as_deref().filter(|s| !s.is_empty()) {
        kus.insert("namespace".into(), json!(ns));
    }
    if let Some(p) = spec.name_prefix.as_deref().filter(|s| !s.is_empty()) {
        kus.insert("namePrefix".into(), json!(p));
    }
    if let Some(s) = spec.name_suffix.as_deref().filter(|s| !s.is_empty()) {
        kus.insert("nameSuffix".into(), json!(s));
    }
    if !spec.patches.is_empty() {
        let list = array_entry(kus, "patches");
        list.extend(spec.patches.iter().map(flux_patch));
    }
    if !spec.components.is_empty() {
        let mut add = Vec::new();
        for c in &spec.components {
            if c.contains("://") || Path::new(c).is_absolute() {
                return Err(GenerateError::RemoteComponent(c.clone()));
            }
            if spec.ignore_missing_components && !dir.join(c).exists() {
                continue;
            }
            add.push(json!(c));
        }
        array_entry(kus, "components").extend(add);
    }
    for image in &spec.images {
        merge_image(array_entry(kus, "images"), image);
    }
    if !spec.build_metadata.is_empty() {
        kus.insert("buildMetadata".into(), json!(spec.build_metadata));
    }
    Ok(())
}

fn array_entry<'a>(kus: &'a mut Map<String, Value>, key: &str) -> &'a mut Vec<Value> {
    let v = kus.entry(key).or_insert_with(|| json!([]));
    if !v.is_array() {
        *v = json!([]);
    }
    match v {
        Value::Array(a) => a,
        _ => unreachable!("just made an array"),
    }
}

/// A Flux patch `{patch, target}` as a kustomize patch entry (same shape; empty target dropped).
fn flux_patch(p: &Value) -> Value {
    let mut out = Map::new();
    if let Some(patch) = p.get("patch") {
        out.insert("patch".into(), patch.clone());
    }
    if let Some(target) = p.get("target").and_then(Value::as_object) {
        let t: Map<String, Value> = target
            .iter()
            .filter(|(_, v)| v.as_str().is_some_and(|s| !s.is_empty()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if !t.is_empty() {
            out.insert("target".into(), Value::Object(t));
        }
    }
    Value::Object(out)
}

/// kustomize-controller ≥ v1.9.4: an image with the same name is updated field-wise (newTag and
/// digest together), otherwise appended.
fn merge_image(images: &mut Vec<Value>, image: &Value) {
    let name = image.get("name").and_then(Value::as_str).unwrap_or("");
    let set = |k: &str| {
        image
            .get(k)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    if let Some(existing) = images
        .iter_mut()
        .find(|i| i.get("name").and_then(Value::as_str) == Some(name))
        .and_then(Value::as_object_mut)
    {
        if let Some(n) = set("newName") {
            existing.insert("newName".into(), json!(n));
        }
        if set("newTag").is_some() || set("digest").is_some() {
            existing.remove("newTag");
            existing.remove("digest");
            for k in ["newTag", "digest"] {
                if let Some(v) = set(k) {
                    existing.insert(k.into(), json!(v));
                }
            }
        }
        return;
    }
    let entry: Map<String, Value> = ["name", "newName", "newTag", "digest"]
        .iter()
        .filter_map(|k| set(k).map(|v| (k.to_string(), json!(v))))
        .collect();
    images.push(Value::Object(entry));
}

/// A path for messages: relative to the source root, and never showing our temp folders.
pub fn display(path: &Path, root: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let parts: Vec<String> = rel
        .components()
        .filter(|c| !matches!(c, Component::CurDir))
        .map(|c| c.as_os_str().to_string_lossy().to_string())
        .collect();
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::write;

    fn read(dir: &Path) -> Value {
        yaml::parse_one(&fs::read_to_string(dir.join("kustomization.yaml")).unwrap()).unwrap()
    }

    #[test]
    fn generates_recursively_in_lexical_order() {
        let t = tempfile::tempdir().unwrap();
        let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n";
        write(t.path(), "apps/a.yaml", cm);
        write(t.path(), "apps/b/kustomization.yaml", "resources: []\n");
        write(t.path(), "apps/b/x.yaml", cm);
        write(t.path(), "apps/c/d.yml", cm);
        write(t.path(), "apps/notes.txt", "hi");
        write(t.path(), "apps/UP.YAML", "not: k8s");
        write(t.path(), "apps/z.yaml", cm);
        let spec = KustomizationSpec {
            target_namespace: Some("prod".into()),
            ..Default::default()
        };
        write_kustomization(&t.path().join("apps"), &spec, t.path()).unwrap();
        let k = read(&t.path().join("apps"));
        assert_eq!(k["namespace"], "prod");
        assert_eq!(
            k["resources"],
            json!(["./a.yaml", "./b", "./c/d.yml", "./z.yaml"])
        );
    }

    #[test]
    fn non_kubernetes_yaml_fails_generation() {
        let t = tempfile::tempdir().unwrap();
        write(t.path(), "apps/values.yaml", "replicas: 2\n");
        let err = write_kustomization(&t.path().join("apps"), &Default::default(), t.path())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("apps/values.yaml") && err.contains("missing kind"),
            "{err}"
        );
    }

    #[test]
    fn spec_replaces_and_appends() {
        let t = tempfile::tempdir().unwrap();
        write(
            t.path(),
            "app/kustomization.yaml",
            "namespace: a\nnamePrefix: p-\nresources: [x.yaml]\nunknownField: 1\npatches: [{path: p.yaml}]\nimages: [{name: nginx, newTag: '1', digest: sha256:aa}]\n",
        );
        let spec: KustomizationSpec = serde_json::from_value(json!({
            "targetNamespace": "b", "namePrefix": "q-",
            "patches": [{"patch": "x", "target": {"kind": "Deployment", "name": ""}}],
            "images": [{"name": "nginx", "newTag": "2"}, {"name": "redis", "newName": "valkey"}],
            "components": ["../c"]
        }))
        .unwrap();
        let g = write_kustomization(&t.path().join("app"), &spec, t.path()).unwrap();
        assert!(!g.keep_origin_annotations);
        let k = read(&t.path().join("app"));
        assert_eq!(k["namespace"], "b");
        assert_eq!(k["namePrefix"], "q-");
        assert!(k.get("unknownField").is_none());
        assert_eq!(k["buildMetadata"], json!(["originAnnotations"]));
        assert_eq!(
            k["patches"],
            json!([{"path":"p.yaml"},{"patch":"x","target":{"kind":"Deployment"}}])
        );
        assert_eq!(
            k["images"],
            json!([{"name":"nginx","newTag":"2"},{"name":"redis","newName":"valkey"}])
        );
        assert_eq!(k["components"], json!(["../c"]));
    }

    #[test]
    fn components_only_keeps_origin_annotations() {
        let t = tempfile::tempdir().unwrap();
        write(t.path(), "app/kustomization.yaml", "components: [../c]\n");
        let g = write_kustomization(&t.path().join("app"), &Default::default(), t.path()).unwrap();
        assert!(g.keep_origin_annotations);
        assert_eq!(
            read(&t.path().join("app"))["buildMetadata"],
            json!(["originAnnotations"])
        );
    }

    #[test]
    fn empty_folder_gets_placeholder() {
        let t = tempfile::tempdir().unwrap();
        fs::create_dir_all(t.path().join("empty")).unwrap();
        write_kustomization(&t.path().join("empty"), &Default::default(), t.path()).unwrap();
        assert_eq!(read(&t.path().join("empty"))["namespace"], "_placeholder");
    }
}
