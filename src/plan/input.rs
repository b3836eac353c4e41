//! What the planner and the checks read: the rendered cluster, its graph, the Flux files found
//! in the repository, and what the user says is installed already.

use crate::graph::Analysis;
use crate::model::{Cluster, FluxFile, Outcome, OwnerId, OwnerRecord};
use std::collections::BTreeSet;

/// Everything the planner and the checks need; cheap to make, it only borrows.
#[derive(Clone, Copy)]
pub struct ClusterInput<'a> {
    pub cluster: &'a Cluster,
    /// The graph of `cluster`, built once by [`crate::graph::analyze`].
    pub analysis: &'a Analysis,
    /// Every KS/HR document found anywhere in the repo, for orphan detection.
    pub flux_files: &'a [FluxFile],
    /// "group/Kind" or "group" patterns ("*.example.com" also works) assumed pre-installed.
    pub assume_crds: &'a [String],
    /// Schema checks to run, if any.
    pub schema: Option<&'a SchemaSettings>,
}

/// How rendered objects are checked against their schemas.
#[derive(Clone, Debug)]
pub struct SchemaSettings {
    /// Of `schema-invalid` findings: error fails the owner, warning does not.
    pub severity: crate::model::Severity,
    /// Kubernetes version of the built-in schemas (default: the shipped one).
    pub kube_version: Option<String>,
    /// Folders tried, in order, for kinds neither built in nor rendered as CRDs.
    pub locations: Vec<crate::schema::SchemaLocation>,
}

impl<'a> ClusterInput<'a> {
    /// Every owner, reported or not.
    pub fn owners(&self) -> impl Iterator<Item = &'a OwnerRecord> + 'a {
        self.cluster.all()
    }

    /// Owners whose output could not be known offline (a chart not in the cache, an unmapped
    /// source, an unbuilt one in changed-only mode): CRDs and objects they would render are
    /// unknown, so absence is not conclusive.
    pub fn unknown_outputs(&self) -> Vec<OwnerId> {
        self.owners()
            .filter(|o| matches!(o.outcome, Outcome::Skipped(_) | Outcome::Unchanged))
            .map(|o| o.id.clone())
            .collect()
    }
}

/// The message of an owner whose render failed.
pub fn render_error(owner: &OwnerRecord) -> Option<&str> {
    match &owner.outcome {
        Outcome::Failed(f) => Some(&f.message),
        _ => None,
    }
}

/// `${VAR}` names referenced in an owner's output, when substitution ran.
pub fn vars_used(owner: &OwnerRecord) -> BTreeSet<&str> {
    if !owner.vars.substituted {
        return BTreeSet::new();
    }
    owner.vars.used.iter().map(String::as_str).collect()
}

/// Of those, the ones only ever used with a default (`${VAR:=d}`): fine when undefined.
pub fn vars_with_default(owner: &OwnerRecord) -> BTreeSet<&str> {
    if !owner.vars.substituted {
        return BTreeSet::new();
    }
    owner
        .vars
        .used
        .difference(&owner.vars.used_bare)
        .map(String::as_str)
        .collect()
}

/// An owned cluster with its analysis: what tests and benchmarks plan on.
pub struct Scenario {
    pub cluster: Cluster,
    pub analysis: Analysis,
    pub flux_files: Vec<FluxFile>,
    pub assume_crds: Vec<String>,
}

impl Scenario {
    /// Analyses `owners` (all reported) with the given Flux files.
    pub fn new(owners: Vec<OwnerRecord>, flux_files: Vec<FluxFile>) -> Scenario {
        let mut cluster = Cluster::default();
        for o in owners {
            // A repeated id is the same Flux object: keep the first occurrence.
            cluster.owners.entry(o.id.clone()).or_insert(o);
        }
        let analysis = crate::graph::analyze(&cluster);
        Scenario {
            cluster,
            analysis,
            flux_files,
            assume_crds: Vec::new(),
        }
    }

    /// Re-analyses after the cluster was changed.
    pub fn reanalyze(&mut self) {
        self.analysis = crate::graph::analyze(&self.cluster);
    }

    pub fn input(&self) -> ClusterInput<'_> {
        ClusterInput {
            cluster: &self.cluster,
            analysis: &self.analysis,
            flux_files: &self.flux_files,
            assume_crds: &self.assume_crds,
            schema: None,
        }
    }
}
