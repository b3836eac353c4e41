//! Data model of a cluster diff: the two rendered sides going in, the [`ClusterDiff`] coming out.
//!
//! The input types are what the renderer hands over (one entry per Kustomization / HelmRelease);
//! the output types are what every format prints, and serialize as the `json` format (field order
//! is declaration order, so it is stable).

use serde::Serialize;
use std::collections::BTreeMap;

use crate::model::Outcome;
pub use crate::model::{ObjectKey, OwnerId, OwnerKind};

/// One owner on one side. `objects` are already redacted (secrets are `<secret:…>` tokens) and
/// only looked at when it rendered.
#[derive(Clone, Debug, PartialEq)]
pub struct SideOwner {
    pub status: Outcome,
    pub objects: Vec<serde_json::Value>,
}

/// One rendered cluster (base branch or PR head).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Side {
    pub owners: BTreeMap<OwnerId, SideOwner>,
    /// Each owner's parent (the Kustomization that applies it), when it has one.
    pub parents: BTreeMap<OwnerId, OwnerId>,
}

/// Which owners a diff looks at (`fluxsim diff [ks|hr|all]`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Scope {
    Ks,
    Hr,
    #[default]
    All,
}

impl Scope {
    pub fn includes(self, kind: OwnerKind) -> bool {
        match self {
            Scope::Ks => kind == OwnerKind::Kustomization,
            Scope::Hr => kind == OwnerKind::HelmRelease,
            Scope::All => true,
        }
    }
}

/// Labels/annotations removed before comparing: they change with every chart version bump.
pub const DEFAULT_STRIP_ATTRS: [&str; 5] = [
    "helm.sh/chart",
    "checksum/config",
    "checksum/secret",
    "app.kubernetes.io/version",
    "chart",
];

/// Fits GitHub's 65,536-character comment limit with room to spare.
pub const DEFAULT_LIMIT_BYTES: usize = 65_000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiffOptions {
    /// Lines of context around each change (`--unified N`).
    pub context: usize,
    /// Label/annotation keys removed from every `metadata.labels` / `metadata.annotations` map.
    pub strip_attrs: Vec<String>,
    /// Byte budget of the markdown output, marker included.
    pub limit_bytes: usize,
    /// ANSI colours in the `unified` and `stat` formats.
    pub color: bool,
    pub scope: Scope,
    /// The cluster the diff is of, when the repository has several: named in the markdown
    /// marker and heading, so each cluster keeps its own sticky comment.
    pub cluster: Option<String>,
}

impl Default for DiffOptions {
    fn default() -> Self {
        DiffOptions {
            context: 3,
            strip_attrs: DEFAULT_STRIP_ATTRS.iter().map(|s| s.to_string()).collect(),
            limit_bytes: DEFAULT_LIMIT_BYTES,
            color: false,
            scope: Scope::All,
            cluster: None,
        }
    }
}

/// Identity of a rendered object inside its owner: its [`ObjectKey`] (no version, so that
/// `v1beta1` → `v1` shows as a change of one object) and which of the objects with that identity
/// in one owner's output it is.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct ObjectRef {
    #[serde(flatten)]
    pub key: ObjectKey,
    /// 0 normally; 1, 2, … for further objects with the same identity in one owner's output.
    #[serde(skip_serializing_if = "is_zero")]
    pub duplicate: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl ObjectRef {
    /// `Kind[.group]/[namespace/]name`, e.g. `Deployment.apps/default/web`, `Namespace/apps`.
    pub fn label(&self) -> String {
        match self.duplicate {
            0 => self.key.label(),
            n => format!("{}#{}", self.key.label(), n + 1),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectChange {
    Added,
    Removed,
    Changed,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ObjectDiff {
    pub key: ObjectRef,
    pub change: ObjectChange,
    /// Lines added / removed in `patch`.
    pub insertions: usize,
    pub deletions: usize,
    /// Unified diff with `--- a/<owner>/<object>` / `+++ b/…` headers, uncoloured.
    pub patch: String,
}

/// The state of an owner on one side, as reported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "state", content = "message", rename_all = "snake_case")]
pub enum SideState {
    Absent,
    Rendered,
    Failed(String),
    Unavailable(String),
}

impl SideState {
    pub(crate) fn from_status(owner: Option<&SideOwner>) -> SideState {
        match owner.map(|o| &o.status) {
            None => SideState::Absent,
            Some(Outcome::Failed(f)) => SideState::Failed(f.message.clone()),
            Some(Outcome::Skipped(s)) => SideState::Unavailable(s.message.clone()),
            Some(_) => SideState::Rendered,
        }
    }

    /// Failed or unavailable: its objects are unknown.
    pub fn is_unknown(&self) -> bool {
        matches!(self, SideState::Failed(_) | SideState::Unavailable(_))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OwnerChange {
    Added,
    Removed,
    Changed,
    Unchanged,
    /// Failed or unavailable on one side only: its objects are not compared.
    NotCompared,
    /// Failed or unavailable on both sides: nothing to compare, reported briefly.
    FailedOnBoth,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub added: usize,
    pub changed: usize,
    pub removed: usize,
    pub insertions: usize,
    pub deletions: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OwnerDiff {
    pub owner: OwnerId,
    pub change: OwnerChange,
    pub base: SideState,
    pub head: SideState,
    /// A one-line status note for failed / unavailable sides, e.g.
    /// `failed on head: <msg>; its objects are not compared`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub counts: Counts,
    /// Changed objects only, sorted by key; empty when the objects were not compared.
    pub objects: Vec<ObjectDiff>,
}

/// The whole diff. `owners` holds every owner in scope (unchanged ones too), sorted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ClusterDiff {
    pub owners: Vec<OwnerDiff>,
}

impl ClusterDiff {
    /// Owners worth showing: everything except [`OwnerChange::Unchanged`].
    pub fn shown(&self) -> impl Iterator<Item = &OwnerDiff> {
        self.owners
            .iter()
            .filter(|o| o.change != OwnerChange::Unchanged)
    }

    pub fn totals(&self) -> Counts {
        let mut t = Counts::default();
        for o in &self.owners {
            t.added += o.counts.added;
            t.changed += o.counts.changed;
            t.removed += o.counts.removed;
            t.insertions += o.counts.insertions;
            t.deletions += o.counts.deletions;
        }
        t
    }
}

/// True when the head differs from the base (for `--exit-code`): any owner added, removed or
/// changed, or failed/unavailable on one side only (the diff is then unknown, so "no changes"
/// cannot be claimed). An owner failing on both sides is not a change.
pub fn has_changes(diff: &ClusterDiff) -> bool {
    diff.owners
        .iter()
        .any(|o| !matches!(o.change, OwnerChange::Unchanged | OwnerChange::FailedOnBoth))
}
