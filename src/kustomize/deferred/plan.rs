//! Decides whether a planned kustomization's patches can be deferred, and splits them off.
//!
//! The top kustomization may hold only fields whose transformers commute with a patch on a
//! custom resource (namespace, prefix/suffix, labels, annotations, images, generators,
//! components, resources); every one of its `patches` must be inline, without options, a
//! strategic-merge or JSON 6902 patch whose text reads unambiguously, on a target we can
//! select alike. The rest of the build (the read set's kustomization files and every file it
//! reads) must add no field specs, schemas or variables, and the target's name or namespace is
//! trusted only when nothing in the build renames objects or sets namespaces.

use super::select::Target;
use super::{Body, DeferError, Deferred, DeferredPatches, JsonPatch, Rules, patch_text};
use crate::kustomize::Planned;
use crate::kustomize::generate::KUSTOMIZATION_FILES;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// Top-level kustomization fields that commute with deferred patches (see the module doc).
const TOP_FIELDS: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "resources",
    "bases",
    "components",
    "namespace",
    "namePrefix",
    "nameSuffix",
    "commonLabels",
    "labels",
    "commonAnnotations",
    "images",
    "patches",
    "configMapGenerator",
    "secretGenerator",
    "generatorOptions",
    "generators",
    "sortOptions",
    "buildMetadata",
];

/// Fields anywhere in the build that add field specs, schemas or late-resolved variables.
const TREE_FORBIDDEN: &[&str] = &["vars", "configurations", "crds", "openapi"];
/// Fields of a nested kustomization that may rename objects.
const RENAMES: &[&str] = &[
    "namePrefix",
    "nameSuffix",
    "replacements",
    "patches",
    "patchesJson6902",
    "patchesStrategicMerge",
    "transformers",
];
/// Fields of a nested kustomization that may set namespaces.
const SETS_NAMESPACES: &[&str] = &[
    "namespace",
    "replacements",
    "patches",
    "patchesJson6902",
    "patchesStrategicMerge",
    "transformers",
];

/// Splits `planned` into the kustomization kustomize runs and the patches applied afterwards.
/// `files` is the build's complete read set (relative to `root`).
pub fn defer(
    planned: &Planned,
    root: &Path,
    files: &[PathBuf],
) -> Result<(Planned, DeferredPatches), DeferError> {
    let top = planned
        .content
        .as_object()
        .ok_or_else(|| unsupported("kustomization is not a mapping"))?;
    let patches = match top.get("patches") {
        Some(Value::Array(list)) if !list.is_empty() => list,
        _ => return Err(unsupported("no patches")),
    };
    let facts = TopFacts::read(top)?;
    let tree = TreeFacts::scan(root, files)?;
    let deferred = patches
        .iter()
        .map(|p| parse_patch(p, &facts, &tree))
        .collect::<Result<Vec<_>, _>>()?;
    if !deferred
        .iter()
        .any(|d| matches!(d.body, Body::Strategic(_)))
    {
        // Only strategic-merge patches load kustomize's schema: nothing to gain.
        return Err(unsupported("no strategic-merge patch"));
    }
    let mut reduced = planned.clone();
    if let Some(map) = reduced.content.as_object_mut() {
        map.remove("patches");
    }
    Ok((reduced, DeferredPatches { patches: deferred }))
}

fn unsupported(what: &str) -> DeferError {
    DeferError::Unsupported(what.to_string())
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(m) => m.is_empty(),
        Value::String(s) => s.is_empty(),
        _ => false,
    }
}

/// What the top kustomization's own transformers do.
struct TopFacts {
    rules: Rules,
    namespace: bool,
    renames: bool,
}

impl TopFacts {
    fn read(top: &Map<String, Value>) -> Result<TopFacts, DeferError> {
        for (key, value) in top {
            if !TOP_FIELDS.contains(&key.as_str()) && !is_empty(value) {
                return Err(DeferError::Unsupported(format!("top-level {key}")));
            }
        }
        let build_metadata_ok = match top.get("buildMetadata") {
            None | Some(Value::Null) => true,
            Some(Value::Array(items)) => items.iter().all(|i| i == "originAnnotations"),
            Some(_) => false,
        };
        if !build_metadata_ok {
            return Err(unsupported("buildMetadata other than originAnnotations"));
        }
        let mut rules = Rules::default();
        rules
            .label_keys
            .extend(string_keys(top.get("commonLabels"), "commonLabels")?);
        for entry in top
            .get("labels")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let entry = entry
                .as_object()
                .ok_or_else(|| unsupported("labels entry is not a mapping"))?;
            if entry.keys().any(|k| {
                !matches!(
                    k.as_str(),
                    "pairs" | "includeSelectors" | "includeTemplates"
                )
            }) {
                return Err(unsupported("labels entry with field specs"));
            }
            rules
                .label_keys
                .extend(string_keys(entry.get("pairs"), "labels")?);
        }
        rules.annotation_keys.extend(string_keys(
            top.get("commonAnnotations"),
            "commonAnnotations",
        )?);
        rules.images = top.get("images").is_some_and(|v| !is_empty(v));
        let set = |k: &str| top.get(k).is_some_and(|v| !is_empty(v));
        Ok(TopFacts {
            rules,
            namespace: set("namespace"),
            renames: set("namePrefix") || set("nameSuffix"),
        })
    }
}

fn string_keys(map: Option<&Value>, field: &str) -> Result<Vec<String>, DeferError> {
    match map {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Object(m)) => Ok(m.keys().cloned().collect()),
        Some(_) => Err(DeferError::Unsupported(format!("{field} is not a mapping"))),
    }
}

/// What the rest of the build does, from its read set.
struct TreeFacts {
    names_stable: bool,
    namespaces_stable: bool,
}

impl TreeFacts {
    fn scan(root: &Path, files: &[PathBuf]) -> Result<TreeFacts, DeferError> {
        let mut facts = TreeFacts {
            names_stable: true,
            namespaces_stable: true,
        };
        for rel in files {
            let text = std::fs::read_to_string(root.join(rel))
                .map_err(|e| DeferError::Unsupported(format!("{}: {e}", rel.display())))?;
            if patch_text::has_schema_comment(&text) {
                return Err(DeferError::Unsupported(format!(
                    "{} has a comment kyaml may read as a field schema",
                    rel.display()
                )));
            }
            let is_kustomization = rel
                .file_name()
                .is_some_and(|n| KUSTOMIZATION_FILES.iter().any(|k| n == *k));
            if is_kustomization {
                facts.read_kustomization(rel, &text)?;
            }
        }
        Ok(facts)
    }

    fn read_kustomization(&mut self, rel: &Path, text: &str) -> Result<(), DeferError> {
        let value = crate::yaml::parse_one(text)
            .map_err(|e| DeferError::Unsupported(format!("{}: {e}", rel.display())))?;
        let Some(map) = value.as_object() else {
            return Ok(());
        };
        let set = |k: &&str| map.get(*k).is_some_and(|v| !is_empty(v));
        if let Some(field) = TREE_FORBIDDEN.iter().find(|k| set(k)) {
            return Err(DeferError::Unsupported(format!(
                "{} has {field}",
                rel.display()
            )));
        }
        self.names_stable &= !RENAMES.iter().any(set);
        self.namespaces_stable &= !SETS_NAMESPACES.iter().any(set);
        Ok(())
    }
}

fn parse_patch(entry: &Value, top: &TopFacts, tree: &TreeFacts) -> Result<Deferred, DeferError> {
    let entry = entry
        .as_object()
        .ok_or_else(|| unsupported("patch entry is not a mapping"))?;
    if entry.keys().any(|k| k != "patch" && k != "target") {
        return Err(unsupported("patch entry with a path or options"));
    }
    let text = entry
        .get("patch")
        .and_then(Value::as_str)
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| unsupported("patch entry without inline text"))?;
    let target = match entry.get("target") {
        None | Some(Value::Null) => None,
        Some(Value::Object(t)) => {
            let t = Target::parse(t)?;
            check_target(&t, top, tree)?;
            Some(t)
        }
        Some(_) => return Err(unsupported("target is not a mapping")),
    };
    let docs = patch_text::parse(text)?;
    let body = match docs.as_slice() {
        [ops @ Value::Array(_)] => {
            if target.is_none() {
                return Err(unsupported("JSON patch without a target"));
            }
            Body::Json6902(JsonPatch::parse(ops, &top.rules)?)
        }
        _ => {
            if target.is_some() && docs.len() > 1 {
                // kustomize refuses several strategic-merge patches in one targeted entry.
                return Err(unsupported("several documents in a targeted patch"));
            }
            for doc in &docs {
                check_strategic(doc, &top.rules)?;
                if target.is_none() {
                    check_own_id(doc, top, tree)?;
                }
            }
            Body::Strategic(docs)
        }
    };
    Ok(Deferred { target, body })
}

/// A target selects after the top transformers what it selected before them.
fn check_target(t: &Target, top: &TopFacts, tree: &TreeFacts) -> Result<(), DeferError> {
    let kind = t.kind.as_ref().and_then(|p| p.literal());
    let group = t.group.as_ref().map(|p| p.text.as_str());
    if t.kind.is_none() && t.group.is_none() {
        return Err(unsupported("target without a kind or group"));
    }
    if kind.is_some_and(super::is_special_kind) || group.is_some_and(super::is_builtin_group) {
        return Err(unsupported("target kind kustomize knows"));
    }
    if t.name.is_some() && (top.renames || !tree.names_stable) {
        return Err(unsupported("target name where objects may be renamed"));
    }
    if t.namespace.is_some() && (top.namespace || !tree.namespaces_stable) {
        return Err(unsupported("target namespace where namespaces may be set"));
    }
    if let Some(s) = &t.labels
        && !s.keys().all(|k| top.rules.label_key_ok(k))
    {
        return Err(unsupported(
            "label selector on a key the labels transformer sets",
        ));
    }
    if let Some(s) = &t.annotations
        && !s.keys().all(|k| top.rules.annotation_key_ok(k))
    {
        return Err(unsupported("annotation selector on a reserved or set key"));
    }
    Ok(())
}

/// A patch without a target is found by its own id, which must be final already.
fn check_own_id(doc: &Value, top: &TopFacts, tree: &TreeFacts) -> Result<(), DeferError> {
    if top.namespace || top.renames || !tree.names_stable || !tree.namespaces_stable {
        return Err(unsupported("untargeted patch where ids may change"));
    }
    let (group, _) = super::select::split_api_version(crate::object::api_version(doc));
    if super::is_builtin_group(group) || super::is_special_kind(crate::object::kind(doc)) {
        return Err(unsupported("untargeted patch on a kind kustomize knows"));
    }
    Ok(())
}

/// One strategic-merge patch document: an object whose metadata only names it and merges
/// labels/annotations the transformers leave alone, with only `$patch` directives.
fn check_strategic(doc: &Value, rules: &Rules) -> Result<(), DeferError> {
    let map = doc
        .as_object()
        .ok_or_else(|| unsupported("patch document is not a mapping"))?;
    let str_field = |k: &str| map.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
    let name = map
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str);
    let kind = str_field("kind").unwrap_or("");
    if str_field("apiVersion").is_none() || kind.is_empty() || name.is_none_or(str::is_empty) {
        return Err(unsupported("patch without apiVersion, kind and name"));
    }
    if kind.ends_with("List") || map.contains_key("$patch") {
        return Err(unsupported("patch on a list or deleting objects"));
    }
    let meta = map["metadata"]
        .as_object()
        .ok_or_else(|| unsupported("metadata is not a mapping"))?;
    for (key, value) in meta {
        match key.as_str() {
            "name" | "namespace" => {}
            "labels" => string_entries(value, |k| rules.label_key_ok(k))?,
            "annotations" => string_entries(value, |k| rules.annotation_key_ok(k))?,
            other => {
                return Err(DeferError::Unsupported(format!(
                    "patch sets metadata.{other}"
                )));
            }
        }
    }
    for (key, value) in map {
        if !matches!(key.as_str(), "apiVersion" | "kind" | "metadata") {
            rules.check_value(value)?;
            check_directives(value, false)?;
        }
    }
    Ok(())
}

/// Labels or annotations a patch merges: strings (or null to remove) on allowed keys.
fn string_entries(value: &Value, key_ok: impl Fn(&str) -> bool) -> Result<(), DeferError> {
    let map = value
        .as_object()
        .ok_or_else(|| unsupported("patch labels/annotations are not a mapping"))?;
    for (k, v) in map {
        if !key_ok(k) || !(v.is_string() || v.is_null()) {
            return Err(DeferError::Unsupported(format!(
                "patch label/annotation {k}"
            )));
        }
    }
    Ok(())
}

/// Only `$patch` (in maps, not inside lists, which are copied verbatim) among `$` keys: kyaml
/// has no `$retainKeys`, `$setElementOrder/…` or `$deleteFromPrimitiveList/…`.
fn check_directives(value: &Value, in_list: bool) -> Result<(), DeferError> {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                if k.starts_with('$') && (in_list || k != "$patch") {
                    return Err(DeferError::Unsupported(format!("patch directive {k}")));
                }
                check_directives(v, in_list)?;
            }
            Ok(())
        }
        Value::Array(items) => items.iter().try_for_each(|v| check_directives(v, true)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kustomize::Generated;
    use serde_json::json;

    fn planned(content: Value) -> Planned {
        Planned {
            file_name: "kustomization.yaml".into(),
            content,
            generated: Generated {
                keep_origin_annotations: false,
            },
        }
    }

    const HR_PATCH: &str = "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: _}\nspec: {timeout: 10m}\n";

    fn with(extra: Value, target: Value) -> Result<(Planned, DeferredPatches), DeferError> {
        let mut top =
            json!({"resources": ["a.yaml"], "patches": [{"patch": HR_PATCH, "target": target}]});
        for (k, v) in extra.as_object().unwrap() {
            top[k] = v.clone();
        }
        defer(&planned(top), Path::new("/nonexistent"), &[])
    }

    #[test]
    fn defers_custom_resource_patches_and_removes_them() {
        let (reduced, deferred) = with(
            json!({"namespace": "apps", "images": [{"name": "x", "newTag": "1"}]}),
            json!({"group": "helm.toolkit.fluxcd.io", "kind": "HelmRelease"}),
        )
        .unwrap();
        assert!(reduced.content.get("patches").is_none());
        assert_eq!(reduced.content["namespace"], "apps");
        assert_eq!(deferred.len(), 1);
    }

    #[test]
    fn refuses_what_may_differ() {
        let hr = json!({"kind": "HelmRelease"});
        for (extra, target) in [
            (json!({"replacements": [{"path": "r.yaml"}]}), hr.clone()),
            (json!({"buildMetadata": ["managedByLabel"]}), hr.clone()),
            (json!({}), json!({"kind": "Deployment"})),
            (json!({}), json!({"group": "apps"})),
            (json!({}), json!({"name": "x"})),
            (
                json!({"namespace": "a"}),
                json!({"kind": "HelmRelease", "namespace": "a"}),
            ),
            (
                json!({"namePrefix": "p-"}),
                json!({"kind": "HelmRelease", "name": "x"}),
            ),
            (
                json!({"commonLabels": {"a": "b"}}),
                json!({"kind": "HelmRelease", "labelSelector": "a=b"}),
            ),
        ] {
            assert!(
                with(extra.clone(), target.clone()).is_err(),
                "{extra} {target}"
            );
        }
        let path_patch = json!({"patches": [{"path": "p.yaml"}]});
        assert!(defer(&planned(path_patch), Path::new("/"), &[]).is_err());
    }
}
