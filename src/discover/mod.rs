//! Where each cluster starts: the repository root and the root Flux Kustomization of every
//! cluster at or below `--path`.
//!
//! Flux syncs a cluster from a folder of its bootstrap source with a Kustomization named after
//! the namespace (`flux-system`). The folder is found three ways, as the cluster itself was set
//! up: `flux bootstrap` leaves `<folder>/flux-system/gotk-sync.yaml`; the Flux Operator's
//! `FluxInstance` (committed, or in the values of the HelmRelease that installs it) names it in
//! `spec.sync.path`; a folder of Kustomizations of the bootstrap source that no other
//! Kustomization builds (a root `ks.yaml` applied by bootstrap tooling) is one; otherwise
//! `--path` itself is the synced folder. When the repository holds
//! the sync Kustomization (its `spec.path` is the folder) it is used, else the one Flux would
//! create is synthesized. Everything else follows by building it.

mod files;
mod roots;

pub use files::flux_files;

use crate::flux::Kustomization;
use crate::workspace::secure_join;
use roots::{RootHint, Scan};
use serde_json::json;
use std::path::{Path, PathBuf};

/// The name of the Kustomization (and source) that syncs a cluster: its namespace's name.
pub const SYNTHETIC_ROOT: &str = "flux-system";

/// How a cluster's synced folder was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RootOrigin {
    /// `flux bootstrap`'s `<folder>/flux-system/` (the file named).
    Bootstrap(String),
    /// A `FluxInstance`'s `spec.sync` (the file it is in).
    FluxInstance(String),
    /// A folder of Kustomizations nothing else builds, applied by bootstrap tooling (a file
    /// of it named).
    RootKustomizations(String),
    /// `--path` is the synced folder.
    Path,
}

impl RootOrigin {
    pub fn describe(&self) -> String {
        match self {
            RootOrigin::Bootstrap(f) => format!("flux bootstrap ({f})"),
            RootOrigin::FluxInstance(f) => format!("FluxInstance sync ({f})"),
            RootOrigin::RootKustomizations(f) => format!("root Kustomizations ({f})"),
            RootOrigin::Path => "--path".to_string(),
        }
    }
}

/// One cluster: its synced folder and root Kustomization.
#[derive(Debug, Clone)]
pub struct Discovery {
    /// How `get clusters` and multi-cluster reports name it (`--cluster NAME`).
    pub name: String,
    /// Folder the bootstrap source stands for.
    pub repo_root: PathBuf,
    /// The synced folder, relative to `repo_root`.
    pub sync_path: PathBuf,
    /// The root Kustomization (real or synthetic).
    pub root: Kustomization,
    pub synthetic: bool,
    pub origin: RootOrigin,
}

#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    #[error("--path {0}: no such directory")]
    NoPath(String),
    #[error("--path {0} is not inside the source root {1}")]
    OutsideRoot(String, String),
}

/// Finds the repository root and every cluster whose synced folder is `path` or below it.
pub fn discover(path: &Path, repo_root: Option<&Path>) -> Result<Vec<Discovery>, DiscoverError> {
    let path = path
        .canonicalize()
        .map_err(|_| DiscoverError::NoPath(path.display().to_string()))?;
    if !path.is_dir() {
        return Err(DiscoverError::NoPath(path.display().to_string()));
    }
    let scan = Scan::of(&path);
    let repo_root = match repo_root {
        Some(r) => r
            .canonicalize()
            .map_err(|_| DiscoverError::NoPath(r.display().to_string()))?,
        None => guess_root(&path, &scan),
    };
    let below = path
        .strip_prefix(&repo_root)
        .map_err(|_| {
            DiscoverError::OutsideRoot(path.display().to_string(), repo_root.display().to_string())
        })?
        .to_path_buf();
    let mut hints = scan.hints(&repo_root);
    hints.retain(|h| h.sync_path.starts_with(&below) && repo_root.join(&h.sync_path).is_dir());
    if hints.is_empty() {
        hints.push(RootHint {
            sync_path: below,
            origin: RootOrigin::Path,
            source_kind: "GitRepository".to_string(),
        });
    }
    let mut clusters: Vec<Discovery> = hints
        .into_iter()
        .map(|h| cluster(&repo_root, &scan, h))
        .collect();
    name_clusters(&mut clusters);
    Ok(clusters)
}

/// The cluster synced from `hint`'s folder, with its committed root Kustomization if any.
fn cluster(repo_root: &Path, scan: &Scan, hint: RootHint) -> Discovery {
    let own = scan.kustomizations.iter().find(|ks| {
        secure_join(ks.spec.path.as_deref().unwrap_or("")) == hint.sync_path
            && ks.spec.source_ref.kind == hint.source_kind
    });
    let (root, synthetic) = match own {
        Some(ks) => {
            let mut ks = ks.clone();
            if ks.id.namespace.is_empty() {
                ks.id.namespace = SYNTHETIC_ROOT.into();
            }
            (ks, false)
        }
        None => (synthetic_root(&hint.sync_path, &hint.source_kind), true),
    };
    Discovery {
        name: String::new(),
        repo_root: repo_root.to_path_buf(),
        sync_path: hint.sync_path,
        root,
        synthetic,
        origin: hint.origin,
    }
}

/// Names clusters after their folder (`clusters/production` → `production`), or after the
/// whole path where two folders share a name.
fn name_clusters(clusters: &mut [Discovery]) {
    let short = |d: &Discovery| {
        d.sync_path.file_name().map_or_else(
            || "default".to_string(),
            |n| n.to_string_lossy().into_owned(),
        )
    };
    let names: Vec<String> = clusters.iter().map(short).collect();
    for (i, d) in clusters.iter_mut().enumerate() {
        let unique = names.iter().filter(|n| **n == names[i]).count() == 1;
        d.name = if unique {
            names[i].clone()
        } else {
            d.sync_path.display().to_string()
        };
    }
}

/// The Kustomization `flux bootstrap` (or the Flux Operator) creates to sync a folder of a source
/// of kind `source_kind`.
pub fn synthetic_root(sync_path: &Path, source_kind: &str) -> Kustomization {
    let obj = json!({
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
        "kind": "Kustomization",
        "metadata": {"name": SYNTHETIC_ROOT, "namespace": SYNTHETIC_ROOT},
        "spec": {
            "interval": "10m0s",
            "path": format!("./{}", sync_path.display()),
            "prune": true,
            "sourceRef": {"kind": source_kind, "name": SYNTHETIC_ROOT, "namespace": SYNTHETIC_ROOT},
        }
    });
    // The object above is well-formed by construction.
    Kustomization::from_object(&obj).unwrap_or_else(|_| unreachable!())
}

/// The nearest ancestor of `path` (within the git work tree, when there is one) in which the
/// paths named under `path` (Kustomization `spec.path`s, FluxInstance sync paths) exist; else
/// the git top level; else `path`.
fn guess_root(path: &Path, scan: &Scan) -> PathBuf {
    let top = git_toplevel(path);
    let paths: Vec<PathBuf> = scan.named_paths();
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

/// The canonical git top level of the work tree holding `path`, if any: the nearest folder
/// with a `.git` repository folder (holding `HEAD` and `objects`) or a `.git` file (a linked
/// worktree or submodule), as git's discovery finds it (`setup.c`: `is_git_directory`,
/// `read_gitfile`). Looked up on disk, not with `git rev-parse`: on a warm diff two such
/// processes were a fifth of the run. Inside a `.git` folder there is no work tree.
pub fn git_toplevel(path: &Path) -> Option<PathBuf> {
    let path = path.canonicalize().ok()?;
    if path.components().any(|c| c.as_os_str() == ".git") {
        return None;
    }
    path.ancestors()
        .find(|dir| is_work_tree_top(dir))
        .map(Path::to_path_buf)
}

fn is_work_tree_top(dir: &Path) -> bool {
    let dot_git = dir.join(".git");
    match std::fs::metadata(&dot_git) {
        Ok(m) if m.is_dir() => dot_git.join("HEAD").is_file() && dot_git.join("objects").is_dir(),
        Ok(m) if m.is_file() => std::fs::read(&dot_git).is_ok_and(|b| b.starts_with(b"gitdir: ")),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    /// The same answers as `git rev-parse --show-toplevel`, for a repository, a linked worktree,
    /// a folder outside git and the `.git` folder itself.
    #[test]
    fn git_toplevel_agrees_with_git() {
        let t = tempfile::tempdir().unwrap();
        let repo = t.path().join("repo");
        fs::create_dir_all(repo.join("a/b")).unwrap();
        let git = |dir: &Path, args: &[&str]| {
            std::process::Command::new("git")
                .arg("-C")
                .arg(dir)
                .args(args)
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("GIT_CEILING_DIRECTORIES", t.path())
                .output()
                .unwrap()
        };
        assert!(git(&repo, &["init", "-q"]).status.success());
        fs::write(repo.join("a/b/f"), "x").unwrap();
        git(&repo, &["add", "-A"]);
        let commit = [
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "-qm",
            "x",
        ];
        assert!(git(&repo, &commit).status.success());
        let wt = t.path().join("wt");
        let out = git(&repo, &["worktree", "add", "-q", wt.to_str().unwrap()]);
        assert!(out.status.success(), "{out:?}");
        fs::create_dir_all(t.path().join("plain")).unwrap();
        for dir in [
            repo.join("a/b"),
            repo.clone(),
            wt.join("a"),
            t.path().join("plain"),
            repo.join(".git"),
        ] {
            let out = git(&dir, &["rev-parse", "--show-toplevel"]);
            let by_git = out
                .status
                .success()
                .then(|| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
                .filter(|p| !p.as_os_str().is_empty())
                .map(|p| p.canonicalize().unwrap());
            assert_eq!(git_toplevel(&dir), by_git, "{}", dir.display());
        }
        assert_eq!(
            git_toplevel(&wt.join("a")),
            Some(wt.canonicalize().unwrap())
        );
    }

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
        let d = discover(&r.join("kubernetes/flux/cluster"), None)
            .unwrap()
            .remove(0);
        assert_eq!(d.repo_root, r.canonicalize().unwrap());
        assert_eq!(d.sync_path, PathBuf::from("kubernetes/flux/cluster"));
        assert!(d.synthetic);
        assert_eq!(
            d.root.spec.path.as_deref(),
            Some("./kubernetes/flux/cluster")
        );
    }

    #[test]
    fn a_root_ks_yaml_is_found_from_the_repository_root() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path().join("repo");
        let ks = |name: &str, path: &str| {
            format!(
                "---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {{name: {name}, namespace: flux-system}}\nspec: {{path: {path}, sourceRef: {{kind: GitRepository, name: flux-system}}}}\n"
            )
        };
        fs::create_dir_all(r.join("kubernetes/flux/cluster")).unwrap();
        fs::create_dir_all(r.join("kubernetes/apps/echo")).unwrap();
        fs::write(
            r.join("kubernetes/flux/cluster/ks.yaml"),
            ks("cluster-apps", "./kubernetes/apps"),
        )
        .unwrap();
        // Built by cluster-apps: not a root.
        fs::write(
            r.join("kubernetes/apps/echo/ks.yaml"),
            ks("echo", "./kubernetes/apps/echo/app"),
        )
        .unwrap();
        let found = discover(&r, Some(&r)).unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].sync_path, PathBuf::from("kubernetes/flux/cluster"));
        assert_eq!(
            found[0].origin,
            RootOrigin::RootKustomizations("kubernetes/flux/cluster/ks.yaml".into())
        );
    }

    /// `flux bootstrap`'s placeholder gotk-sync.yaml names nothing and every Kustomization
    /// reads an ExternalArtifact: the ArtifactGenerator's copy rules say where the top is.
    #[test]
    fn root_is_where_an_artifact_generator_copies_from() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path().join("repo");
        fs::create_dir_all(r.join("clusters/prod/flux-system")).unwrap();
        fs::create_dir_all(r.join("apps/base")).unwrap();
        fs::write(
            r.join("clusters/prod/flux-system/gotk-sync.yaml"),
            "# later\n",
        )
        .unwrap();
        fs::write(
            r.join("clusters/prod/artifacts.yaml"),
            "apiVersion: source.extensions.fluxcd.io/v1beta1\nkind: ArtifactGenerator\nmetadata: {name: g, namespace: flux-system}\n\
             spec:\n  sources: [{alias: repo, kind: GitRepository, name: flux-system}]\n\
             \x20 artifacts: [{name: apps, copy: [{from: '@repo/apps/base/**', to: '@artifact/'}]}]\n",
        )
        .unwrap();
        let d = discover(&r.join("clusters/prod"), None).unwrap().remove(0);
        assert_eq!(d.repo_root, r.canonicalize().unwrap());
        assert_eq!(d.sync_path, PathBuf::from("clusters/prod"));
    }
}
