//! One side of a diff, read from a finished run: every reported owner with its verdict and its
//! objects, redacted.

use super::model::{Side, SideOwner};
use crate::model::{Outcome, OwnerId, OwnerKind};
use crate::pipeline::Run;
use crate::snapshot;
use std::collections::BTreeSet;

/// The Kustomizations a run reports.
pub fn shown_kustomizations(run: &Run) -> impl Iterator<Item = &OwnerId> {
    run.cluster
        .owners
        .keys()
        .filter(|id| id.kind == OwnerKind::Kustomization)
}

/// A run as one side of a diff, redacted unless `show_secrets`. `shown`: Kustomizations either
/// side reports; one this side built without reporting it (an ancestor only the other side
/// needed) is added from what it kept.
pub fn side_of(run: &Run, shown: &BTreeSet<OwnerId>, show_secrets: bool) -> Side {
    let mut side = Side::default();
    let kept = run
        .cluster
        .hidden
        .values()
        .filter(|r| shown.contains(&r.id))
        .filter(|r| !matches!(r.outcome, Outcome::Unchanged | Outcome::Pending));
    let reported = snapshot::ordered(run).chain(run.cluster.releases());
    for r in reported.chain(kept) {
        let owner = SideOwner {
            status: r.outcome.clone(),
            objects: snapshot::owner_objects(run, r, show_secrets),
        };
        side.owners.insert(r.id.clone(), owner);
        if let Some(parent) = &r.parent {
            side.parents.insert(r.id.clone(), parent.clone());
        }
    }
    side
}
