//! One walk over `--path` that collects what discovery needs: the committed Flux Kustomizations,
//! the folders `flux bootstrap` left a `flux-system/gotk-sync.yaml` in, and the sync paths of
//! Flux Operator `FluxInstance`s (also when one sits in the values of the HelmRelease that
//! installs it, as the `flux-instance` chart takes it).

use super::RootOrigin;
use crate::flux::{self, Kustomization};
use crate::object;
use crate::workspace::secure_join;
use crate::yaml;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Files `flux bootstrap` writes into `<synced folder>/flux-system/`.
const BOOTSTRAP_FILES: [&str; 2] = ["gotk-sync.yaml", "gotk-components.yaml"];
const OPERATOR_GROUP: &str = "fluxcd.controlplane.io";
const GENERATOR_GROUP: &str = "source.extensions.fluxcd.io";

/// A folder some committed file says a cluster is synced from.
#[derive(Debug, Clone)]
pub struct RootHint {
    /// Relative to the repository root.
    pub sync_path: PathBuf,
    pub origin: RootOrigin,
    /// The kind of the source Flux syncs it from (a FluxInstance may use an OCIRepository).
    pub source_kind: String,
}

/// What one walk of `--path` found.
#[derive(Debug, Default)]
pub struct Scan {
    pub kustomizations: Vec<Kustomization>,
    /// The file each of `kustomizations` is in (same order).
    files: Vec<PathBuf>,
    /// Absolute folders holding a `flux-system/gotk-*.yaml`, with that file.
    bootstrap: Vec<(PathBuf, PathBuf)>,
    /// FluxInstance syncs: (sync path as written, source kind, file).
    instances: Vec<(String, String, PathBuf)>,
    /// Folders of the bootstrap repository an ArtifactGenerator copies from: where to look
    /// for the repository root when its Kustomizations all read ExternalArtifacts.
    copied: Vec<PathBuf>,
}

impl Scan {
    /// Walks `dir` (skipping `.git`); files that do not parse are skipped here (the build
    /// reports them with their file name).
    pub fn of(dir: &Path) -> Scan {
        let mut scan = Scan::default();
        let walk = walkdir::WalkDir::new(dir)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.file_name() != ".git")
            .filter_map(Result::ok);
        for entry in walk {
            let p = entry.path();
            let is_yaml = p.extension().is_some_and(|e| e == "yaml" || e == "yml");
            if !entry.file_type().is_file() || !is_yaml {
                continue;
            }
            scan.bootstrap_folder(p);
            let Ok(text) = std::fs::read_to_string(p) else {
                continue;
            };
            if !text.contains("toolkit.fluxcd.io")
                && !text.contains(OPERATOR_GROUP)
                && !text.contains(GENERATOR_GROUP)
            {
                continue;
            }
            if let Ok(docs) = yaml::parse_documents(&text) {
                docs.iter().for_each(|d| scan.document(d, p));
            }
        }
        scan.bootstrap.dedup_by(|a, b| a.0 == b.0);
        scan
    }

    fn bootstrap_folder(&mut self, file: &Path) {
        let named = file
            .file_name()
            .is_some_and(|n| BOOTSTRAP_FILES.iter().any(|b| n == *b));
        let parent = file.parent();
        if named
            && parent
                .and_then(Path::file_name)
                .is_some_and(|n| n == "flux-system")
            && let Some(folder) = parent.and_then(Path::parent)
        {
            self.bootstrap
                .push((folder.to_path_buf(), file.to_path_buf()));
        }
    }

    fn document(&mut self, doc: &Value, file: &Path) {
        if flux::is_kustomization(doc) {
            if let Ok(ks) = Kustomization::from_object(doc) {
                self.kustomizations.push(ks);
                self.files.push(file.to_path_buf());
            }
            return;
        }
        if object::kind(doc) == "ArtifactGenerator"
            && object::group_of(object::api_version(doc)) == GENERATOR_GROUP
        {
            self.copied.extend(copied_folders(doc));
            return;
        }
        let sync = if object::kind(doc) == "FluxInstance"
            && object::group_of(object::api_version(doc)) == OPERATOR_GROUP
        {
            doc.pointer("/spec/sync")
        } else if flux::is_helmrelease(doc) {
            // The flux-instance chart renders its `instance` value as the FluxInstance spec.
            doc.pointer("/spec/values/instance/sync")
        } else {
            None
        };
        let Some(sync) = sync else { return };
        let Some(path) = sync.get("path").and_then(Value::as_str) else {
            return;
        };
        let kind = sync
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or("GitRepository");
        self.instances
            .push((path.to_string(), kind.to_string(), file.to_path_buf()));
    }

    /// Folders named under `--path` relative to the repository root: where to look for it.
    pub fn named_paths(&self) -> Vec<PathBuf> {
        let ks = self
            .kustomizations
            .iter()
            .filter(|k| k.spec.source_ref.kind == "GitRepository")
            .filter_map(|k| k.spec.path.as_deref());
        let synced = self.instances.iter().map(|(p, _, _)| p.as_str());
        ks.chain(synced)
            .map(secure_join)
            .chain(self.copied.iter().cloned())
            .filter(|p| !p.as_os_str().is_empty())
            .collect()
    }

    /// Every synced folder found, relative to `repo_root`, sorted and without repeats.
    pub fn hints(&self, repo_root: &Path) -> Vec<RootHint> {
        let shown = |f: &Path| f.strip_prefix(repo_root).unwrap_or(f).display().to_string();
        let mut hints: Vec<RootHint> = Vec::new();
        for (folder, file) in &self.bootstrap {
            if let Ok(rel) = folder.strip_prefix(repo_root) {
                hints.push(RootHint {
                    sync_path: rel.to_path_buf(),
                    origin: RootOrigin::Bootstrap(shown(file)),
                    source_kind: "GitRepository".to_string(),
                });
            }
        }
        for (path, kind, file) in &self.instances {
            hints.push(RootHint {
                sync_path: secure_join(path),
                origin: RootOrigin::FluxInstance(shown(file)),
                source_kind: kind.clone(),
            });
        }
        if hints.is_empty() {
            hints = self.root_folders(repo_root);
        }
        hints.sort_by(|a, b| a.sync_path.cmp(&b.sync_path));
        hints.dedup_by(|a, b| a.sync_path == b.sync_path);
        hints
    }

    /// With no bootstrap folder and no FluxInstance: the folders holding Kustomizations of the
    /// bootstrap source (`flux-system`) that no Kustomization of another folder builds (the
    /// `kubernetes/flux/cluster/ks.yaml` of many home-ops repos, applied by the bootstrap
    /// tooling). Building the repository root instead would take every file twice.
    fn root_folders(&self, repo_root: &Path) -> Vec<RootHint> {
        let folder_of = |file: &Path| -> Option<PathBuf> {
            let rel = file.parent()?.strip_prefix(repo_root).ok()?;
            Some(rel.to_path_buf())
        };
        let built: Vec<(PathBuf, PathBuf)> = self
            .kustomizations
            .iter()
            .zip(&self.files)
            .filter_map(|(ks, file)| {
                let path = secure_join(ks.spec.path.as_deref().unwrap_or(""));
                Some((folder_of(file)?, path))
            })
            .collect();
        let mut hints: Vec<RootHint> = Vec::new();
        for (ks, file) in self.kustomizations.iter().zip(&self.files) {
            let source = &ks.spec.source_ref;
            if source.name != crate::discover::SYNTHETIC_ROOT || source.kind != "GitRepository" {
                continue;
            }
            let Some(folder) = folder_of(file) else {
                continue;
            };
            let reached = built
                .iter()
                .any(|(from, path)| *from != folder && folder.starts_with(path))
                || listed_by_parent(repo_root, &folder);
            if !reached && !hints.iter().any(|h| h.sync_path == folder) {
                hints.push(RootHint {
                    origin: RootOrigin::RootKustomizations(
                        file.strip_prefix(repo_root)
                            .unwrap_or(file)
                            .display()
                            .to_string(),
                    ),
                    sync_path: folder,
                    source_kind: "GitRepository".to_string(),
                });
            }
        }
        hints
    }
}

/// Whether the kustomization file of `folder`'s parent lists `folder` (it is part of a bigger
/// kustomize tree, so not where a cluster starts).
fn listed_by_parent(repo_root: &Path, folder: &Path) -> bool {
    let (Some(parent), Some(name)) = (folder.parent(), folder.file_name()) else {
        return false;
    };
    let dir = repo_root.join(parent);
    crate::cache::KUSTOMIZATION_FILE_NAMES.iter().any(|file| {
        let Ok(text) = std::fs::read_to_string(dir.join(file)) else {
            return false;
        };
        let Ok(value) = yaml::parse_one(&text) else {
            return false;
        };
        ["resources", "bases", "components"].iter().any(|field| {
            value
                .get(field)
                .and_then(Value::as_array)
                .is_some_and(|entries| {
                    entries
                        .iter()
                        .filter_map(Value::as_str)
                        .any(|e| secure_join(e) == Path::new(name))
                })
        })
    })
}

/// The literal folders (`apps/base` of `@repo/apps/base/**`) an ArtifactGenerator copies from
/// the bootstrap source (GitRepository `flux-system`).
fn copied_folders(doc: &Value) -> Vec<PathBuf> {
    let empty = Vec::new();
    let list = |p: &str| doc.pointer(p).and_then(Value::as_array).unwrap_or(&empty);
    let str_of = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let aliases: Vec<String> = list("/spec/sources")
        .iter()
        .filter(|s| str_of(s, "kind") == "GitRepository" && str_of(s, "name") == "flux-system")
        .map(|s| str_of(s, "alias"))
        .collect();
    let mut out = Vec::new();
    for artifact in list("/spec/artifacts") {
        for op in artifact
            .get("copy")
            .and_then(Value::as_array)
            .unwrap_or(&empty)
        {
            let from = str_of(op, "from");
            let Some((alias, rest)) = from.strip_prefix('@').and_then(|f| f.split_once('/')) else {
                continue;
            };
            if !aliases.iter().any(|a| a == alias) {
                continue;
            }
            let segments: Vec<&str> = rest.split('/').collect();
            let literal = segments
                .iter()
                .take_while(|s| !s.contains(['*', '?', '[', '{']))
                .count();
            // Without a glob the last segment may be a file: only its folder is sure.
            let keep = if literal == segments.len() {
                literal.saturating_sub(1)
            } else {
                literal
            };
            out.push(secure_join(&segments[..keep].join("/")));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::write;

    #[test]
    fn finds_bootstrap_folders_and_flux_instances() {
        let t = tempfile::tempdir().unwrap();
        write(
            t.path(),
            "clusters/prod/flux-system/gotk-sync.yaml",
            "# placeholder\n",
        );
        write(t.path(), "clusters/prod/apps.yaml", "a: 1\n");
        write(
            t.path(),
            "infra/flux/hr.yaml",
            "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: flux-instance}\n\
             spec: {values: {instance: {sync: {kind: OCIRepository, path: ./clusters/edge}}}}\n",
        );
        write(
            t.path(),
            "infra/flux/fi.yaml",
            "apiVersion: fluxcd.controlplane.io/v1\nkind: FluxInstance\nmetadata: {name: flux}\n\
             spec: {sync: {kind: GitRepository, path: clusters/prod}}\n",
        );
        let hints = Scan::of(t.path()).hints(t.path());
        let found: Vec<(String, &str)> = hints
            .iter()
            .map(|h| (h.sync_path.display().to_string(), h.source_kind.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                ("clusters/edge".to_string(), "OCIRepository"),
                ("clusters/prod".to_string(), "GitRepository")
            ]
        );
        assert!(matches!(hints[1].origin, RootOrigin::Bootstrap(_)));
    }
}
