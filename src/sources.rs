//! Source artifacts available offline: which local folder stands for which Flux source.
//!
//! The bootstrap source (the one the root Kustomization syncs from, usually
//! `GitRepository flux-system/flux-system`) is the repository fluxsim runs on; any other
//! GitRepository/OCIRepository can be mapped to a folder with `--source NS/NAME=DIR`.
//! Anything else is "not available offline", reported per Kustomization.

use crate::flux::{SourceRef, source_display};
use crate::workspace::{Prefetched, SourceTree};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SourceKey {
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

impl SourceKey {
    pub fn of(s: &SourceRef) -> SourceKey {
        SourceKey {
            kind: s.kind.clone(),
            namespace: s.namespace.clone().unwrap_or_default(),
            name: s.name.clone(),
        }
    }
}

#[derive(Debug, thiserror::Error, Clone)]
pub enum SourceError {
    #[error("source '{0}' not available offline (map it to a folder with --source {1}=DIR)")]
    NotAvailable(String, String),
    #[error(
        "source kind '{0}' is not supported (GitRepository, OCIRepository, Bucket, ExternalArtifact)"
    )]
    UnsupportedKind(String),
    #[error("cannot read source '{0}' at {1}: {2}")]
    Unreadable(String, String, String),
}

pub struct Sources {
    bootstrap: SourceKey,
    bootstrap_root: PathBuf,
    mapped: HashMap<(String, String), PathBuf>,
    trees: Mutex<HashMap<PathBuf, Arc<SourceTree>>>,
    /// ExternalArtifacts composed during the run (namespace, name), by ArtifactGenerators.
    composed: Mutex<HashMap<(String, String), Arc<SourceTree>>>,
    /// Scans started before the run (see [`Prefetched`]).
    prefetched: Option<Arc<Prefetched>>,
}

/// The kind of source an ArtifactGenerator composes.
pub const EXTERNAL_ARTIFACT: &str = "ExternalArtifact";

impl Sources {
    pub fn new(
        bootstrap: SourceKey,
        bootstrap_root: PathBuf,
        mapped: HashMap<(String, String), PathBuf>,
    ) -> Sources {
        Sources {
            bootstrap,
            bootstrap_root,
            mapped,
            trees: Mutex::new(HashMap::new()),
            composed: Mutex::new(HashMap::new()),
            prefetched: None,
        }
    }

    /// Takes trees from `prefetched` where it scanned them.
    pub fn with_prefetched(mut self, prefetched: Option<Arc<Prefetched>>) -> Sources {
        self.prefetched = prefetched;
        self
    }

    /// Registers an ExternalArtifact composed from other sources.
    pub fn add_composed(&self, namespace: &str, name: &str, tree: SourceTree) {
        let key = (namespace.to_string(), name.to_string());
        let tree = Arc::new(tree);
        if let Ok(mut m) = self.trees.lock() {
            m.insert(tree.root.clone(), tree.clone());
        }
        if let Ok(mut m) = self.composed.lock() {
            m.insert(key, tree);
        }
    }

    fn composed_root(&self, key: &SourceKey) -> Option<PathBuf> {
        if key.kind != EXTERNAL_ARTIFACT {
            return None;
        }
        let m = self.composed.lock().ok()?;
        m.get(&(key.namespace.clone(), key.name.clone()))
            .map(|t| t.root.clone())
    }

    pub fn bootstrap(&self) -> &SourceKey {
        &self.bootstrap
    }

    pub fn bootstrap_root(&self) -> &Path {
        &self.bootstrap_root
    }

    /// The local folder standing for a source, if any.
    pub fn root_for(&self, s: &SourceRef) -> Result<PathBuf, SourceError> {
        let key = SourceKey::of(s);
        if !matches!(
            key.kind.as_str(),
            "GitRepository" | "OCIRepository" | "Bucket" | "ExternalArtifact"
        ) {
            return Err(SourceError::UnsupportedKind(key.kind));
        }
        if key == self.bootstrap {
            return Ok(self.bootstrap_root.clone());
        }
        if let Some(root) = self.composed_root(&key) {
            return Ok(root);
        }
        self.mapped
            .get(&(key.namespace.clone(), key.name.clone()))
            .cloned()
            .ok_or_else(|| {
                SourceError::NotAvailable(
                    source_display(s),
                    format!("{}/{}", key.namespace, key.name),
                )
            })
    }

    /// Whether the source `kind namespace/name` has a local folder.
    pub fn is_local(&self, kind: &str, namespace: &str, name: &str) -> bool {
        let s = SourceRef {
            kind: kind.to_string(),
            name: name.to_string(),
            namespace: Some(namespace.to_string()),
        };
        self.root_for(&s).is_ok()
    }

    /// The artifact file list of a source, scanned once per run.
    pub fn tree(&self, s: &SourceRef) -> Result<Arc<SourceTree>, SourceError> {
        let root = self.root_for(s)?;
        if let Some(t) = self.trees.lock().ok().and_then(|m| m.get(&root).cloned()) {
            return Ok(t);
        }
        let prefetched = self.prefetched.as_ref().and_then(|p| p.take(&root));
        let tree = prefetched.unwrap_or_else(|| SourceTree::scan(&root));
        let tree = tree.map_err(|e| {
            SourceError::Unreadable(source_display(s), root.display().to_string(), e.to_string())
        })?;
        let tree = Arc::new(tree);
        if let Ok(mut m) = self.trees.lock() {
            m.entry(root).or_insert_with(|| tree.clone());
        }
        Ok(tree)
    }
}

/// A `--source` value that is not `NS/NAME=DIR`.
#[derive(Debug, thiserror::Error)]
#[error("--source '{0}': expected NAMESPACE/NAME=DIR")]
pub struct MappingError(pub String);

/// Parses `NS/NAME=DIR`.
pub fn parse_mapping(s: &str) -> Result<((String, String), PathBuf), MappingError> {
    let bad = || MappingError(s.to_string());
    let (id, dir) = s.split_once('=').ok_or_else(bad)?;
    let (ns, name) = id.split_once('/').ok_or_else(bad)?;
    if ns.is_empty() || name.is_empty() || dir.is_empty() {
        return Err(bad());
    }
    Ok(((ns.to_string(), name.to_string()), PathBuf::from(dir)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sref(kind: &str, ns: &str, name: &str) -> SourceRef {
        SourceRef {
            kind: kind.into(),
            name: name.into(),
            namespace: Some(ns.into()),
        }
    }

    #[test]
    fn maps_bootstrap_and_explicit_sources() {
        let boot = SourceKey::of(&sref("GitRepository", "flux-system", "flux-system"));
        let mut m = HashMap::new();
        m.insert(("flux-system".into(), "other".into()), PathBuf::from("/o"));
        let s = Sources::new(boot, PathBuf::from("/r"), m);
        assert_eq!(
            s.root_for(&sref("GitRepository", "flux-system", "flux-system"))
                .unwrap(),
            PathBuf::from("/r")
        );
        assert_eq!(
            s.root_for(&sref("OCIRepository", "flux-system", "other"))
                .unwrap(),
            PathBuf::from("/o")
        );
        let e = s
            .root_for(&sref("GitRepository", "flux-system", "x"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("not available offline"), "{e}");
    }

    #[test]
    fn parses_mappings() {
        assert!(parse_mapping("a/b=/x").is_ok());
        assert!(parse_mapping("a=/x").is_err());
    }
}
