//! The bootstrap plan as data: owners with their timing, waves, cycles, the critical path and edges.
//! Field order is the JSON field order; every list is sorted so output is deterministic.

use serde::Serialize;

use super::duration::Millis;
use super::timing::Timing;
use crate::graph::{Cycle, EdgeReason};
use crate::model::OwnerId;

/// A prerequisite of an owner, with why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Dependency {
    pub owner: OwnerId,
    pub reasons: Vec<EdgeReason>,
}

/// One Kustomization or HelmRelease in the plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PlannedOwner {
    pub id: OwnerId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// None when on or downstream of a dependency cycle.
    pub wave: Option<usize>,
    pub timing: Timing,
    /// Direct prerequisites, sorted.
    pub after: Vec<Dependency>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub render_error: Option<String>,
}

/// Owners Flux reconciles in parallel after a cold bootstrap once all earlier waves are Ready.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Wave {
    pub index: usize,
    pub owners: Vec<OwnerId>,
    /// Owners of earlier waves that members of this wave directly wait for.
    pub waits_for: Vec<OwnerId>,
    /// The slowest member's timeout: how long this wave can take before something fails.
    pub worst_case: Millis,
    pub worst_case_seconds: u64,
}

/// An owner that cannot be scheduled because it (transitively) waits for a cycle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Unscheduled {
    pub owner: OwnerId,
    /// Indices into `Plan::cycles`.
    pub blocked_by_cycles: Vec<usize>,
}

/// One step of the critical path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CriticalStep {
    pub owner: OwnerId,
    pub timeout: Millis,
    /// Sum of timeouts up to and including this step.
    pub cumulative: Millis,
}

/// The chain of owners with the largest summed worst-case time (timeouts with Flux's defaults).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CriticalPath {
    pub steps: Vec<CriticalStep>,
    pub total: Millis,
    pub total_seconds: u64,
}

/// A graph edge: `to` waits for `from`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PlanEdge {
    pub from: OwnerId,
    pub to: OwnerId,
    pub reasons: Vec<EdgeReason>,
}

/// The whole bootstrap plan.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// Every owner, sorted by id.
    pub owners: Vec<PlannedOwner>,
    pub waves: Vec<Wave>,
    pub cycles: Vec<Cycle>,
    pub unscheduled: Vec<Unscheduled>,
    pub critical_path: CriticalPath,
    /// Sorted by (from, to).
    pub edges: Vec<PlanEdge>,
}

impl Plan {
    /// Looks an owner up by id.
    pub fn owner(&self, id: &OwnerId) -> Option<&PlannedOwner> {
        self.owners
            .binary_search_by(|o| o.id.cmp(id))
            .ok()
            .map(|i| &self.owners[i])
    }

    /// The wave an owner is in (None if unscheduled or unknown).
    pub fn wave_of(&self, id: &OwnerId) -> Option<usize> {
        self.owner(id).and_then(|o| o.wave)
    }
}
