//! The owner graph of a rendered cluster and what it says: one node per Kustomization and
//! HelmRelease, an edge for every reason Flux makes one wait for another (dependsOn, parent,
//! substituteFrom and valuesFrom producers, chart and source producers, readiness through
//! `wait`/`healthChecks`), the objects each owner renders, cycles, missing dependencies and the
//! output order. Built once per run; the verdicts, the plan and the checks all read it.

mod catalog;
mod cycles;
pub mod objects;
mod order;
mod owners;
mod reach;
pub mod spec;
mod verdict;

pub use catalog::{Catalog, default_namespace};
pub use cycles::Cycle;
pub use owners::{EdgeReason, MissingDependency, OwnerGraph, SelfSubstitution};
pub use reach::{BitSet, Reach};
pub use verdict::{Verdicts, verdicts};

use crate::model::{Cluster, OwnerId};

/// The graph of a cluster and what follows from it.
#[derive(Debug)]
pub struct Analysis {
    pub graph: OwnerGraph,
    pub reach: Reach,
    /// One per cyclic component, members sorted.
    pub cycles: Vec<Cycle>,
    /// Kustomizations in output order.
    pub order: Vec<OwnerId>,
}

/// Builds the graph of every owner of `cluster` (reported and hidden) and analyses it.
pub fn analyze(cluster: &Cluster) -> Analysis {
    let graph = OwnerGraph::build(cluster);
    let reach = Reach::new(&graph.graph);
    let cycles = cycles::find_cycles(&graph, &reach);
    let order = order::kustomization_order(&graph);
    Analysis {
        graph,
        reach,
        cycles,
        order,
    }
}
