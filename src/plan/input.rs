//! The rendered cluster the planner works on: every Flux Kustomization and HelmRelease ("owner"),
//! the objects each one renders, and the Flux files found in the repository.

use std::collections::BTreeSet;
use std::fmt;

use indexmap::IndexMap;

/// The two kinds of Flux object that render and apply other objects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum OwnerKind {
    Kustomization,
    HelmRelease,
}

impl OwnerKind {
    /// The API group of this kind.
    pub fn group(self) -> &'static str {
        match self {
            OwnerKind::Kustomization => "kustomize.toolkit.fluxcd.io",
            OwnerKind::HelmRelease => "helm.toolkit.fluxcd.io",
        }
    }

    /// Short form used in compact output (`ks`, `hr`), as the flux CLI abbreviates them.
    pub fn short(self) -> &'static str {
        match self {
            OwnerKind::Kustomization => "ks",
            OwnerKind::HelmRelease => "hr",
        }
    }

    /// The kind as written in manifests.
    pub fn as_str(self) -> &'static str {
        match self {
            OwnerKind::Kustomization => "Kustomization",
            OwnerKind::HelmRelease => "HelmRelease",
        }
    }
}

impl fmt::Display for OwnerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Identity of a Kustomization or HelmRelease. Orders by (kind, namespace, name).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct OwnerId {
    pub kind: OwnerKind,
    pub namespace: String,
    pub name: String,
}

impl OwnerId {
    pub fn new(kind: OwnerKind, namespace: &str, name: &str) -> Self {
        Self {
            kind,
            namespace: namespace.to_string(),
            name: name.to_string(),
        }
    }

    /// `ks/flux-system/apps`: compact, unambiguous, used in graphs and test names.
    pub fn short(&self) -> String {
        format!("{}/{}/{}", self.kind.short(), self.namespace, self.name)
    }
}

impl fmt::Display for OwnerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}/{}", self.kind, self.namespace, self.name)
    }
}

/// Whether the engine managed to render an owner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RenderStatus {
    Rendered,
    Failed(String),
}

/// Where a substitution variable comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VarDef {
    /// e.g. "ConfigMap flux-system/cluster-settings" or "inline".
    pub source: String,
    /// Short hash of the value (never the value itself: it may be secret).
    pub digest: String,
}

/// One Kustomization or HelmRelease with what it renders.
#[derive(Clone, Debug)]
pub struct Owner {
    pub id: OwnerId,
    /// The Flux object as it will be applied (after its parent's patches and substitution).
    pub object: serde_json::Value,
    /// The Kustomization whose output contains this object (None for a root).
    pub parent: Option<OwnerId>,
    /// Repo-relative file the object came from, when known.
    pub file: Option<String>,
    pub status: RenderStatus,
    /// What it renders (KS: build output; HR: helm output incl. CRDs).
    pub objects: Vec<serde_json::Value>,
    /// Substitution variables available to this KS (empty for HR).
    pub vars_defined: IndexMap<String, VarDef>,
    /// `${VAR}` names referenced in its pre-substitution output.
    pub vars_used: BTreeSet<String>,
    /// Of those, the ones only ever used with a default (`${VAR:=d}`): fine when undefined.
    pub vars_with_default: BTreeSet<String>,
}

/// A Kustomization or HelmRelease document found somewhere in the repository.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FluxFile {
    pub path: String,
    pub kind: OwnerKind,
    pub namespace: Option<String>,
    pub name: String,
}

/// Everything the planner and the checks need.
#[derive(Clone, Debug, Default)]
pub struct ClusterInput {
    pub owners: Vec<Owner>,
    /// Every KS/HR document found anywhere in the repo, for orphan detection.
    pub flux_files: Vec<FluxFile>,
    /// "group/Kind" or "group" patterns ("*.example.com" also works) assumed pre-installed.
    pub assume_crds: Vec<String>,
    /// Owners whose output could not be known offline (a chart not in the cache, an unmapped
    /// source): CRDs and objects they would render are unknown, so absence is not conclusive.
    pub unknown_outputs: Vec<OwnerId>,
}
