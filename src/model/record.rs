//! The rendered cluster: one record per owner, keyed by its identity.

use super::diagnostic::Diagnostic;
use super::identity::{ObjectKey, OwnerId};
use super::outcome::Outcome;
use crate::flux::Kustomization;
use indexmap::IndexMap;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// An object an owner renders, and the repository file it came from when known.
#[derive(Clone, Debug, PartialEq)]
pub struct RenderedObject {
    pub object: Value,
    /// Repository-relative file (kustomize's origin annotation); None for chart output.
    pub origin: Option<String>,
}

impl RenderedObject {
    pub fn new(object: Value, origin: Option<String>) -> RenderedObject {
        RenderedObject { object, origin }
    }

    pub fn key(&self) -> ObjectKey {
        ObjectKey::of(&self.object)
    }
}

/// A plain secret value and the place it was read from, e.g. `Secret/apps/db:password` or
/// `file:apps/token.sops.txt`. Redaction tokens are bound to both, so that a value planted
/// elsewhere (a guess in a plain Secret) never gets the real secret's token.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SecretValue {
    pub origin: String,
    pub value: String,
}

impl SecretValue {
    pub fn new(origin: impl Into<String>, value: impl Into<String>) -> SecretValue {
        SecretValue {
            origin: origin.into(),
            value: value.into(),
        }
    }

    /// The origin of field `field` (a data key or a JSON pointer) of an object.
    pub fn object_origin(kind: &str, namespace: &str, name: &str, field: &str) -> String {
        format!("{kind}/{namespace}/{name}:{field}")
    }

    /// The origin of a value decrypted from a source file (`field`: a key in it, or empty).
    pub fn file_origin(file: &str, field: &str) -> String {
        match field {
            "" => format!("{FILE_ORIGIN}{file}"),
            f => format!("{FILE_ORIGIN}{file}:{f}"),
        }
    }

    /// Decrypted from a source file before kustomize ran: kustomize may have put it anywhere.
    pub fn from_source_file(&self) -> bool {
        self.origin.starts_with(FILE_ORIGIN)
    }
}

const FILE_ORIGIN: &str = "file:";

/// Where a substitution variable's value came from, without the value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VarOrigin {
    /// e.g. "ConfigMap flux-system/cluster-settings" or "inline".
    pub source: String,
    /// Short hash of the value (never the value itself: it may be secret).
    pub digest: String,
}

/// What postBuild substitution saw in one Kustomization.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VarsSeen {
    /// Substitution ran (Flux skips it without variables, unless `substituteStrategy: Always`).
    pub substituted: bool,
    pub defined: IndexMap<String, VarOrigin>,
    /// `${VAR}` names referenced in the build output.
    pub used: BTreeSet<String>,
    /// Of those, the ones referenced at least once without a default.
    pub used_bare: BTreeSet<String>,
}

/// The chart a HelmRelease asks for and, once rendered, what it got.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChartInfo {
    /// Location and version as requested (known even when the chart is not available).
    pub requested: String,
    /// Chart name from Chart.yaml, once fetched.
    pub name: Option<String>,
    /// `.Chart.Version` as rendered (with Flux's build metadata).
    pub version: Option<String>,
}

/// How long an owner's work took: waiting for a subprocess slot, and running.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timing {
    pub queued: Duration,
    pub run: Duration,
    /// Time spent in the kustomize or helm subprocess itself.
    pub subprocess: Duration,
}

/// Everything the run knows about one Kustomization or HelmRelease.
#[derive(Clone, Debug)]
pub struct OwnerRecord {
    pub id: OwnerId,
    /// The Flux object as it will be applied (after its parent's patches and substitution).
    pub object: Value,
    /// The typed view of a Kustomization (None for HelmReleases).
    pub kustomization: Option<Kustomization>,
    /// The Kustomization whose output contains this object (None for the root).
    pub parent: Option<OwnerId>,
    /// Repository file the object came from, when known.
    pub file: Option<String>,
    /// The Kustomization `flux bootstrap` would create for `--path` (not in the repository).
    pub synthetic: bool,
    pub outcome: Outcome,
    pub objects: Vec<RenderedObject>,
    /// Warnings and notes about this owner (its verdict is in `outcome`).
    pub diagnostics: Vec<Diagnostic>,
    pub vars: VarsSeen,
    pub chart: Option<ChartInfo>,
    /// Plain secret values this owner handled, with where it read them (for redaction; never
    /// printed).
    pub secrets: Vec<SecretValue>,
    /// Its render came from the persistent cache.
    pub from_cache: bool,
    /// Kustomizations: whether fluxsim applied its patches on custom resources after kustomize
    /// (Some(true)), fell back to kustomize applying them (Some(false)), or neither (None).
    pub deferred_patches: Option<bool>,
    pub timing: Timing,
}

impl OwnerRecord {
    /// A record for an owner found in `parent`'s output (or the root), not built yet.
    pub fn pending(
        id: OwnerId,
        object: Value,
        parent: Option<OwnerId>,
        file: Option<String>,
    ) -> Self {
        OwnerRecord {
            id,
            object,
            kustomization: None,
            parent,
            file,
            synthetic: false,
            outcome: Outcome::Pending,
            objects: Vec::new(),
            diagnostics: Vec::new(),
            vars: VarsSeen::default(),
            chart: None,
            secrets: Vec::new(),
            from_cache: false,
            deferred_patches: None,
            timing: Timing::default(),
        }
    }

    /// The rendered objects' values.
    pub fn values(&self) -> impl Iterator<Item = &Value> + Clone {
        self.objects.iter().map(|o| &o.object)
    }
}

/// The whole rendered cluster.
#[derive(Clone, Debug, Default)]
pub struct Cluster {
    /// Every owner the run reports, by identity.
    pub owners: BTreeMap<OwnerId, OwnerRecord>,
    /// Owners that exist but changed-only mode does not report (built or not).
    pub hidden: BTreeMap<OwnerId, OwnerRecord>,
    /// Diagnostics about the cluster rather than one owner.
    pub diagnostics: Vec<Diagnostic>,
}

impl Cluster {
    pub fn get(&self, id: &OwnerId) -> Option<&OwnerRecord> {
        self.owners.get(id)
    }

    /// Reported Kustomizations, by identity.
    pub fn kustomizations(&self) -> impl Iterator<Item = &OwnerRecord> {
        self.owners
            .values()
            .filter(|r| r.id.kind == super::OwnerKind::Kustomization)
    }

    /// Reported HelmReleases, by identity.
    pub fn releases(&self) -> impl Iterator<Item = &OwnerRecord> {
        self.owners
            .values()
            .filter(|r| r.id.kind == super::OwnerKind::HelmRelease)
    }

    /// Reported and hidden owners alike: everything that exists in the cluster.
    pub fn all(&self) -> impl Iterator<Item = &OwnerRecord> {
        self.owners.values().chain(self.hidden.values())
    }
}

/// A Kustomization or HelmRelease document found somewhere in the repository (for orphans).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FluxFile {
    pub path: String,
    pub kind: super::OwnerKind,
    pub namespace: Option<String>,
    pub name: String,
}
