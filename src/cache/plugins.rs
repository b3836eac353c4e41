//! The files read by `generators`, `transformers` and `validators` entries of a kustomization.
//!
//! Each entry is either inline YAML or a path to a file of plugin configurations. Flux builds with
//! plugins disabled, so only kustomize's builtin plugins (`apiVersion: builtin`) can run; some of
//! them read more files, which kustomize resolves against the kustomization that lists the entry
//! (not the folder of the configuration file). Anything else (exec or KRM function plugins, helm,
//! a folder of configurations whose content kustomize would transform first) makes the read set
//! incomplete.

use std::path::Path;

use serde_json::Value;

use super::readset::{Found, Walker, shown};

/// Builtin plugins that read no files.
const BUILTIN_WITHOUT_FILES: [&str; 13] = [
    "AnnotationsTransformer",
    "HashTransformer",
    "IAMPolicyGenerator",
    "ImageTagTransformer",
    "LabelTransformer",
    "LegacyOrderTransformer",
    "NamespaceTransformer",
    "PrefixSuffixTransformer",
    "PrefixTransformer",
    "ReplicaCountTransformer",
    "SortOrderTransformer",
    "SuffixTransformer",
    "ValueAddTransformer",
];

/// One entry of `generators`/`transformers`/`validators` in the kustomization in `dir`.
pub(super) fn plugin_entry(walker: &mut Walker<'_>, dir: &Path, entry: &str, field: &str) {
    if let Some(configs) = inline_configs(entry) {
        for config in &configs {
            plugin_config(walker, dir, config, field);
        }
        return;
    }
    match walker.locate(dir, entry, field) {
        Some(Found::File(rel)) => {
            let shown_rel = shown(&rel);
            let Some(text) = walker.read_text(rel) else {
                return;
            };
            match crate::yaml::parse_documents(&text) {
                Ok(configs) => {
                    for config in &configs {
                        plugin_config(walker, dir, config, field);
                    }
                }
                Err(e) => walker.incomplete(format!("cannot parse {shown_rel}: {e}")),
            }
        }
        Some(Found::Dir(rel)) => walker.incomplete(format!(
            "{field} entry {} is a kustomization folder",
            shown(&rel)
        )),
        None => {}
    }
}

/// Kustomize first tries an entry as inline YAML objects and only then as a path.
fn inline_configs(entry: &str) -> Option<Vec<Value>> {
    if !entry.contains('\n') && !entry.contains(':') {
        return None;
    }
    let docs = crate::yaml::parse_documents(entry).ok()?;
    (!docs.is_empty() && docs.iter().all(Value::is_object)).then_some(docs)
}

/// One plugin configuration object.
fn plugin_config(walker: &mut Walker<'_>, dir: &Path, config: &Value, field: &str) {
    let Some(map) = config.as_object() else {
        walker.incomplete(format!("{field} in {} holds a non-mapping", shown(dir)));
        return;
    };
    let kind = map.get("kind").and_then(Value::as_str).unwrap_or("");
    let builtin = map.get("apiVersion").and_then(Value::as_str) == Some("builtin");
    if !builtin {
        walker.incomplete(format!(
            "{field} in {} uses the non-builtin plugin {kind:?}",
            shown(dir)
        ));
        return;
    }
    match kind {
        "ConfigMapGenerator" | "SecretGenerator" => walker.generator_args(dir, map, kind),
        "PatchTransformer" | "PatchJson6902Transformer" => walker.optional_path(dir, map, kind),
        "PatchStrategicMergeTransformer" => {
            for entry in walker.strings(map, "paths", dir) {
                walker.strategic_merge_patch(dir, entry, kind);
            }
        }
        "ReplacementTransformer" => {
            for item in walker.objects(map, "replacements", dir) {
                walker.optional_path(dir, item, kind);
            }
        }
        kind if BUILTIN_WITHOUT_FILES.contains(&kind) => {}
        // HelmChartInflationGenerator needs helm; unknown kinds would fail.
        kind => walker.incomplete(format!(
            "{field} in {} uses the builtin plugin {kind:?}",
            shown(dir)
        )),
    }
}
