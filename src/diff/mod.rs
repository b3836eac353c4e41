//! Diff of two rendered clusters (base branch vs PR head), for PR comments and local review.
//!
//! [`diff`] pairs owners (Kustomizations, HelmReleases) and their objects and computes per-object
//! unified patches; [`unified`], [`markdown`], [`json`] and [`stat`] print a [`ClusterDiff`];
//! [`materialize`] extracts the base revision's tree for the caller to render.

mod base;
mod engine;
mod json;
mod markdown;
mod model;
mod normalize;
mod side;
mod stat;
mod unified;

pub use base::{
    BASELINES_DIR, BaseError, BaseRev, BaseTree, materialize, materialize_rev, prune_baselines,
    resolve_base,
};
pub use engine::diff;
pub use json::json;
pub use markdown::{MARKER, markdown};
pub use model::{
    ClusterDiff, Counts, DEFAULT_LIMIT_BYTES, DEFAULT_STRIP_ATTRS, DiffOptions, ObjectChange,
    ObjectDiff, ObjectKey, ObjectRef, OwnerChange, OwnerDiff, OwnerId, OwnerKind, Scope, Side,
    SideOwner, SideState, has_changes,
};
pub use side::{shown_kustomizations, side_of};
pub use stat::stat;
pub use unified::unified;

/// Builders shared by the format tests.
#[cfg(test)]
mod test_support {
    use super::*;
    use crate::model::{FailureReason, Outcome};
    use serde_json::{Value, json};

    fn cm(i: usize, value: &str) -> Value {
        json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": format!("cm-{i:03}"), "namespace": "apps"},
            "data": {"a": "1", "b": "2", "c": "3", "value": value, "x": "4", "y": "5"}})
    }

    /// `owners` HelmReleases `apps/app-NN`, each with `objects` ConfigMaps changed by one line.
    pub(crate) fn changed_cluster(owners: usize, objects: usize) -> ClusterDiff {
        changed_cluster_sizes(&vec![objects; owners])
    }

    /// HelmReleases `apps/app-NN` with `sizes[NN]` ConfigMaps each, changed by one line.
    pub(crate) fn changed_cluster_sizes(sizes: &[usize]) -> ClusterDiff {
        let mut base = Side::default();
        let mut head = Side::default();
        for (o, &objects) in sizes.iter().enumerate() {
            let owner = OwnerId {
                kind: OwnerKind::HelmRelease,
                namespace: "apps".into(),
                name: format!("app-{o:02}"),
            };
            let side = |v: &str| SideOwner {
                status: Outcome::Rendered,
                objects: (0..objects).map(|i| cm(i, v)).collect(),
            };
            base.owners.insert(owner.clone(), side("old"));
            head.owners.insert(owner, side("new"));
        }
        diff(&base, &head, &DiffOptions::default())
    }

    /// HelmRelease `default/app` rendered on base, failed with "boom" on head.
    pub(crate) fn failed_head_cluster() -> ClusterDiff {
        let owner = OwnerId {
            kind: OwnerKind::HelmRelease,
            namespace: "default".into(),
            name: "app".into(),
        };
        let mut base = Side::default();
        let mut head = Side::default();
        base.owners.insert(
            owner.clone(),
            SideOwner {
                status: Outcome::Rendered,
                objects: vec![cm(0, "x")],
            },
        );
        head.owners.insert(
            owner,
            SideOwner {
                status: Outcome::failed(FailureReason::Build, "boom"),
                objects: vec![],
            },
        );
        diff(&base, &head, &DiffOptions::default())
    }
}
