//! The Flux objects committed anywhere in a source: what the orphan check compares the cluster
//! with.

use crate::flux;
use crate::model::{FluxFile, OwnerKind};
use crate::yaml;
use std::path::Path;

/// Every Flux Kustomization/HelmRelease document in the YAML files of the source at `root`
/// (what the orphan check compares the cluster with).
pub fn flux_files(root: &Path) -> Vec<FluxFile> {
    let Ok(tree) = crate::workspace::SourceTree::scan(root) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for f in &tree.files {
        let is_yaml = f.extension().is_some_and(|e| e == "yaml" || e == "yml");
        if !is_yaml {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(root.join(f)) else {
            continue;
        };
        if !text.contains("toolkit.fluxcd.io") {
            continue;
        }
        let Ok(docs) = yaml::parse_documents(&text) else {
            continue;
        };
        for d in docs {
            let kind = if flux::is_kustomization(&d) {
                OwnerKind::Kustomization
            } else if flux::is_helmrelease(&d) {
                OwnerKind::HelmRelease
            } else {
                continue;
            };
            out.push(FluxFile {
                path: f.to_string_lossy().to_string(),
                kind,
                namespace: crate::object::namespace(&d).map(str::to_string),
                name: crate::object::name(&d).to_string(),
            });
        }
    }
    out
}
