//! `check()`: runs every check over the rendered cluster and its plan, returning sorted findings.

mod crds;
mod deps;
mod duplicates;
mod finding;
mod namespaces;
mod orphans;
mod schema;
#[cfg(test)]
mod tests;
mod vars;

pub use finding::{Code, Finding, Severity, list_some, sort_findings};

use super::input::ClusterInput;
use super::model::Plan;
use crate::graph::{OwnerGraph, Reach};
use crate::model::{OwnerId, OwnerRecord};

/// What every check gets: the input, the owner graph, reachability and the plan (for wave numbers).
pub(super) struct Ctx<'a> {
    pub input: &'a ClusterInput<'a>,
    pub g: &'a OwnerGraph,
    pub reach: &'a Reach,
    pub plan: &'a Plan,
}

impl<'a> Ctx<'a> {
    pub fn owner(&self, node: usize) -> &'a OwnerRecord {
        self.g.owner(self.input.cluster, node)
    }

    pub fn id(&self, node: usize) -> &OwnerId {
        &self.g.ids[node]
    }

    /// The owner's file, if known.
    pub fn file(&self, node: usize) -> Option<String> {
        self.owner(node).file.clone()
    }

    /// `Kustomization ns/name (wave 2)`, or `(unscheduled)` when waiting on a cycle.
    pub fn describe(&self, node: usize) -> String {
        let id = self.id(node);
        match self.plan.wave_of(id) {
            Some(w) => format!("{id} (wave {w})"),
            None => format!("{id} (unscheduled)"),
        }
    }

    /// Files of the given owners, deduplicated, in order.
    pub fn files(&self, nodes: impl IntoIterator<Item = usize>) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for f in nodes.into_iter().filter_map(|n| self.file(n)) {
            if !out.contains(&f) {
                out.push(f);
            }
        }
        out
    }
}

/// Runs all checks. `plan` must come from `plan(input)`.
pub fn check(input: &ClusterInput, plan: &Plan) -> Vec<Finding> {
    let ctx = Ctx {
        input,
        g: &input.analysis.graph,
        reach: &input.analysis.reach,
        plan,
    };
    let mut findings = Vec::new();
    deps::cycles(&ctx, &mut findings);
    deps::missing(&ctx, &mut findings);
    deps::not_waited(&ctx, &mut findings);
    deps::invalid_specs(&ctx, &mut findings);
    crds::check(&ctx, &mut findings);
    vars::check(&ctx, &mut findings);
    orphans::check(&ctx, &mut findings);
    duplicates::check(&ctx, &mut findings);
    namespaces::check(&ctx, &mut findings);
    schema::check(&ctx, &mut findings);
    sort_findings(&mut findings);
    findings
}
