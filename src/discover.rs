//! Where the cluster starts: the repository root and the root Flux Kustomization for `--path`.
//!
//! Flux syncs `--path` with a Kustomization of the bootstrap source (normally `flux-system`).
//! When the repository holds that Kustomization (its `spec.path` is `--path`), we use it;
//! otherwise we synthesize the one `flux bootstrap` would create. Everything else — root
//! Kustomizations in `ks.yaml` or `cluster.yaml`, apps synced directly — follows by building it.

use crate::flux::{self, Kustomization};
use crate::model::{FluxFile, OwnerKind};
use crate::workspace::secure_join;
use crate::yaml;
use serde_json::json;
use std::path::{Path, PathBuf};

/// The name of the Kustomization that syncs `--path` when the repository does not contain it.
pub const SYNTHETIC_ROOT: &str = "flux-system";

#[derive(Debug)]
pub struct Discovery {
    /// Folder the bootstrap source stands for.
    pub repo_root: PathBuf,
    /// `--path` relative to `repo_root`.
    pub sync_path: PathBuf,
    /// The root Kustomization (real or synthetic).
    pub root: Kustomization,
    pub synthetic: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    #[error("--path {0}: no such directory")]
    NoPath(String),
    #[error("--path {0} is not inside the source root {1}")]
    OutsideRoot(String, String),
}

/// Finds the repository root and the root Kustomization for `path`.
pub fn discover(path: &Path, repo_root: Option<&Path>) -> Result<Discovery, DiscoverError> {
    let path = path
        .canonicalize()
        .map_err(|_| DiscoverError::NoPath(path.display().to_string()))?;
    if !path.is_dir() {
        return Err(DiscoverError::NoPath(path.display().to_string()));
    }
    let flux_objects = scan_kustomizations(&path);
    let repo_root = match repo_root {
        Some(r) => r
            .canonicalize()
            .map_err(|_| DiscoverError::NoPath(r.display().to_string()))?,
        None => guess_root(&path, &flux_objects),
    };
    let sync_path = path
        .strip_prefix(&repo_root)
        .map_err(|_| {
            DiscoverError::OutsideRoot(path.display().to_string(), repo_root.display().to_string())
        })?
        .to_path_buf();
    let own = flux_objects.iter().find(|ks| {
        secure_join(ks.spec.path.as_deref().unwrap_or("")) == sync_path
            && ks.spec.source_ref.kind == "GitRepository"
    });
    let (root, synthetic) = match own {
        Some(ks) => {
            let mut ks = ks.clone();
            if ks.id.namespace.is_empty() {
                ks.id.namespace = SYNTHETIC_ROOT.into();
            }
            (ks, false)
        }
        None => (synthetic_root(&sync_path), true),
    };
    Ok(Discovery {
        repo_root,
        sync_path,
        root,
        synthetic,
    })
}

/// The Kustomization `flux bootstrap` writes to sync a path.
pub fn synthetic_root(sync_path: &Path) -> Kustomization {
    let obj = json!({
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
        "kind": "Kustomization",
        "metadata": {"name": SYNTHETIC_ROOT, "namespace": SYNTHETIC_ROOT},
        "spec": {
            "interval": "10m0s",
            "path": format!("./{}", sync_path.display()),
            "prune": true,
            "sourceRef": {"kind": "GitRepository", "name": SYNTHETIC_ROOT, "namespace": SYNTHETIC_ROOT},
        }
    });
    // The object above is well-formed by construction.
    Kustomization::from_object(&obj).unwrap_or_else(|_| unreachable!())
}

/// Flux Kustomizations in YAML files below `dir` (unparsable files are skipped here; the build
/// reports them with their file name).
fn scan_kustomizations(dir: &Path) -> Vec<Kustomization> {
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.file_name() != ".git")
        .filter_map(Result::ok)
    {
        let p = entry.path();
        let is_yaml = p.extension().is_some_and(|e| e == "yaml" || e == "yml");
        if !entry.file_type().is_file() || !is_yaml {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(p) else {
            continue;
        };
        let Ok(docs) = yaml::parse_documents(&text) else {
            continue;
        };
        out.extend(
            docs.iter()
                .filter(|d| flux::is_kustomization(d))
                .filter_map(|d| Kustomization::from_object(d).ok()),
        );
    }
    out
}

/// The nearest ancestor of `path` (within the git work tree, when there is one) in which the
/// `spec.path`s of the Kustomizations found under `path` exist; else the git top level; else `path`.
fn guess_root(path: &Path, found: &[Kustomization]) -> PathBuf {
    let top = git_toplevel(path);
    let paths: Vec<PathBuf> = found
        .iter()
        .filter(|k| k.spec.source_ref.kind == "GitRepository")
        .filter_map(|k| k.spec.path.as_deref())
        .map(secure_join)
        .filter(|p| !p.as_os_str().is_empty())
        .collect();
    if !paths.is_empty() {
        let mut best: Option<(usize, PathBuf)> = None;
        for dir in path.ancestors() {
            let hits = paths.iter().filter(|p| dir.join(p).is_dir()).count();
            if hits > best.as_ref().map_or(0, |b| b.0) {
                best = Some((hits, dir.to_path_buf()));
            }
            if hits == paths.len() || top.as_deref() == Some(dir) {
                break;
            }
        }
        if let Some((_, dir)) = best {
            return dir;
        }
    }
    top.unwrap_or_else(|| path.to_path_buf())
}

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

/// The canonical git top level of the repository holding `path`, if any.
pub fn git_toplevel(path: &Path) -> Option<PathBuf> {
    let out = crate::process::Command::new("git")
        .arg("-C")
        .arg(path)
        .args(["rev-parse", "--show-toplevel"])
        .run_blocking()
        .ok()?;
    let s = String::from_utf8(out.stdout).ok()?;
    PathBuf::from(s.trim()).canonicalize().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn root_is_where_child_paths_exist() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path().join("repo");
        fs::create_dir_all(r.join("kubernetes/flux/cluster")).unwrap();
        fs::create_dir_all(r.join("kubernetes/apps")).unwrap();
        fs::write(
            r.join("kubernetes/flux/cluster/ks.yaml"),
            "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: cluster-apps, namespace: flux-system}\nspec: {path: ./kubernetes/apps, sourceRef: {kind: GitRepository, name: flux-system}}\n",
        )
        .unwrap();
        let d = discover(&r.join("kubernetes/flux/cluster"), None).unwrap();
        assert_eq!(d.repo_root, r.canonicalize().unwrap());
        assert_eq!(d.sync_path, PathBuf::from("kubernetes/flux/cluster"));
        assert!(d.synthetic);
        assert_eq!(
            d.root.spec.path.as_deref(),
            Some("./kubernetes/flux/cluster")
        );
    }
}
