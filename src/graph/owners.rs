//! The owner graph: one node per Kustomization/HelmRelease (inserted sorted by kind, namespace, name), and an
//! edge prerequisite → dependent for every reason Flux would make the dependent wait, each edge carrying its
//! reasons.

use std::collections::HashMap;
use std::fmt;

use crate::model::{Cluster, ObjectKey, OwnerId, OwnerRecord};
use petgraph::graph::{DiGraph, NodeIndex};
use serde::Serialize;

use super::catalog::Catalog;
use super::spec::{
    SpecRef, chart_source, depends_on, health_check_refs, ks_source, ks_wait, substitute_from,
    values_from,
};

/// Why a dependent must wait for a prerequisite.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum EdgeReason {
    /// `spec.dependsOn`.
    DependsOn,
    /// The prerequisite is the Kustomization that applies the dependent.
    Parent,
    /// The prerequisite renders a ConfigMap/Secret in `spec.postBuild.substituteFrom`.
    SubstituteFrom { object: String },
    /// The prerequisite renders a ConfigMap/Secret in HelmRelease `spec.valuesFrom`.
    ValuesFrom { object: String },
    /// The prerequisite renders the HelmRelease's chart source (chartRef or chart.spec.sourceRef).
    ChartSource { object: String },
    /// The prerequisite renders the Kustomization's `spec.sourceRef`.
    SourceRef { object: String },
    /// The dependent dependsOn `via`, a Kustomization whose readiness (wait or healthChecks) includes the
    /// prerequisite, which it applies.
    ReadyVia { via: String },
}

impl EdgeReason {
    /// Whether the edge is implied by the objects rather than written as `dependsOn`.
    pub fn is_implicit(&self) -> bool {
        !matches!(self, EdgeReason::DependsOn)
    }

    /// Short label for graph output: `dependsOn`, `parent`, `substituteFrom`...
    pub fn label(&self) -> &'static str {
        match self {
            EdgeReason::DependsOn => "dependsOn",
            EdgeReason::Parent => "parent",
            EdgeReason::SubstituteFrom { .. } => "substituteFrom",
            EdgeReason::ValuesFrom { .. } => "valuesFrom",
            EdgeReason::ChartSource { .. } => "chart source",
            EdgeReason::SourceRef { .. } => "sourceRef",
            EdgeReason::ReadyVia { .. } => "ready via",
        }
    }
}

impl fmt::Display for EdgeReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EdgeReason::DependsOn | EdgeReason::Parent => f.write_str(self.label()),
            EdgeReason::SubstituteFrom { object }
            | EdgeReason::ValuesFrom { object }
            | EdgeReason::ChartSource { object }
            | EdgeReason::SourceRef { object } => write!(f, "{} {object}", self.label()),
            EdgeReason::ReadyVia { via } => write!(f, "dependsOn {via}, which waits for it"),
        }
    }
}

/// A `dependsOn` entry naming no existing owner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MissingDependency {
    pub dependent: usize,
    pub target: OwnerId,
}

/// A required `substituteFrom` object only the reading Kustomization itself renders: Flux
/// never builds it (the object does not exist before the build that makes it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SelfSubstitution {
    pub node: usize,
    pub object: ObjectKey,
}

/// Owners as a petgraph; node i is `ids[i]` (sorted), a record of the cluster.
#[derive(Debug, Default)]
pub struct OwnerGraph {
    pub ids: Vec<OwnerId>,
    pub self_substitution: Vec<SelfSubstitution>,
    pub graph: DiGraph<usize, Vec<EdgeReason>>,
    pub index: HashMap<OwnerId, usize>,
    pub catalog: Catalog,
    pub missing: Vec<MissingDependency>,
}

/// Builds the edge reason for a referenced object's display name.
type ReasonFor = fn(String) -> EdgeReason;

/// Kubernetes group of the objects a spec reference may name.
fn ref_group(kind: &str) -> &'static str {
    match kind {
        "ConfigMap" | "Secret" => "",
        // Chart and Kustomization sources: HelmRepository, HelmChart, OCIRepository, GitRepository, Bucket, ExternalArtifact.
        _ => "source.toolkit.fluxcd.io",
    }
}

fn ref_key(r: &SpecRef) -> ObjectKey {
    ObjectKey::new(ref_group(&r.kind), &r.kind, &r.namespace, &r.name)
}

impl OwnerGraph {
    /// The graph of every owner of the cluster, reported or hidden, with every edge Flux waits on.
    pub fn build(cluster: &Cluster) -> OwnerGraph {
        let mut owners: Vec<&OwnerRecord> = cluster.all().collect();
        owners.sort_by(|a, b| a.id.cmp(&b.id));
        // A repeated id is the same Flux object: keep the first occurrence.
        owners.dedup_by(|a, b| a.id == b.id);
        let ids: Vec<OwnerId> = owners.iter().map(|o| o.id.clone()).collect();
        let index: HashMap<OwnerId, usize> = ids.iter().cloned().zip(0..).collect();
        let mut graph = DiGraph::with_capacity(ids.len(), ids.len() * 2);
        for i in 0..ids.len() {
            graph.add_node(i);
        }
        let catalog = Catalog::build(&owners);
        let mut g = OwnerGraph {
            ids,
            self_substitution: Vec::new(),
            graph,
            index,
            catalog,
            missing: Vec::new(),
        };
        for (node, owner) in owners.iter().enumerate() {
            g.add_owner_edges(node, owner);
        }
        g.add_readiness_edges(&owners);
        g
    }

    /// A Kustomization with `wait: true` is Ready only once every owner it applies is Ready (with
    /// `healthChecks`, those it lists), recursively. So a dependent of it also waits for those owners.
    fn add_readiness_edges(&mut self, owners: &[&OwnerRecord]) {
        let n = self.len();
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (node, owner) in owners.iter().enumerate() {
            if let Some(&p) = owner.parent.as_ref().and_then(|p| self.index.get(p))
                && p != node
            {
                children[p].push(node);
            }
        }
        let direct: Vec<Vec<usize>> = (0..n)
            .map(|node| {
                let owner = owners[node];
                if ks_wait(owner) {
                    return children[node].clone();
                }
                let checks = health_check_refs(owner);
                children[node]
                    .iter()
                    .copied()
                    .filter(|&c| {
                        let id = &self.ids[c];
                        checks.iter().any(|(kind, ns, name)| {
                            kind == id.kind.as_str()
                                && *name == id.name
                                && ns.as_ref().is_none_or(|ns| *ns == id.namespace)
                        })
                    })
                    .collect()
            })
            .collect();
        let mut memo: Vec<Option<Vec<usize>>> = vec![None; n];
        let mut pending = Vec::new();
        for (prereq, dependent) in self.depends_on_edges() {
            let covered = covered(prereq, &direct, &mut memo);
            let via = self.ids[prereq].short();
            for c in covered {
                pending.push((c, dependent, via.clone()));
            }
        }
        for (c, dependent, via) in pending {
            self.add_edge(c, dependent, EdgeReason::ReadyVia { via });
        }
    }

    /// Explicit dependsOn edges as (prerequisite, dependent), in node order.
    fn depends_on_edges(&self) -> Vec<(usize, usize)> {
        let mut v: Vec<(usize, usize)> = self
            .graph
            .edge_indices()
            .filter(|&e| self.graph[e].contains(&EdgeReason::DependsOn))
            .filter_map(|e| self.graph.edge_endpoints(e))
            .map(|(a, b)| (a.index(), b.index()))
            .collect();
        v.sort_unstable();
        v
    }

    fn add_owner_edges(&mut self, node: usize, owner: &OwnerRecord) {
        if let Some(parent) = owner.parent.as_ref().and_then(|p| self.index.get(p)) {
            self.add_edge(*parent, node, EdgeReason::Parent);
        }
        for (ns, name) in depends_on(owner) {
            // Kustomizations depend only on Kustomizations, HelmReleases only on HelmReleases.
            let target = OwnerId {
                kind: owner.id.kind,
                namespace: ns,
                name,
            };
            match self.index.get(&target) {
                Some(&dep) => self.add_edge(dep, node, EdgeReason::DependsOn),
                None => self.missing.push(MissingDependency {
                    dependent: node,
                    target,
                }),
            }
        }
        let mut object_edges: Vec<(SpecRef, ReasonFor)> = Vec::new();
        for r in substitute_from(owner) {
            let key = ref_key(&r);
            if self.catalog.providers_of(&key) == [node] {
                self.self_substitution
                    .push(SelfSubstitution { node, object: key });
            }
            object_edges.push((r, |object| EdgeReason::SubstituteFrom { object }));
        }
        for r in values_from(owner) {
            object_edges.push((r, |object| EdgeReason::ValuesFrom { object }));
        }
        if let Some(r) = chart_source(owner) {
            object_edges.push((r, |object| EdgeReason::ChartSource { object }));
        }
        if let Some(r) = ks_source(owner) {
            object_edges.push((r, |object| EdgeReason::SourceRef { object }));
        }
        for (r, reason) in object_edges {
            let key = ref_key(&r);
            let providers = self.catalog.providers_of(&key).to_vec();
            for p in providers {
                self.add_edge(p, node, reason(key.described()));
            }
        }
    }

    /// Adds `reason` to the edge from → to; self-edges are dropped (a root KS renders its own GitRepository).
    fn add_edge(&mut self, from: usize, to: usize, reason: EdgeReason) {
        if from == to {
            return;
        }
        let (a, b) = (NodeIndex::new(from), NodeIndex::new(to));
        match self.graph.find_edge(a, b) {
            Some(e) => {
                let reasons = &mut self.graph[e];
                if !reasons.contains(&reason) {
                    reasons.push(reason);
                }
            }
            None => {
                self.graph.add_edge(a, b, vec![reason]);
            }
        }
    }

    /// Direct prerequisites of `node` with the reasons, sorted by node index.
    pub fn preds(&self, node: usize) -> Vec<(usize, &[EdgeReason])> {
        let mut v: Vec<(usize, &[EdgeReason])> = self
            .graph
            .edges_directed(NodeIndex::new(node), petgraph::Direction::Incoming)
            .map(|e| {
                use petgraph::visit::EdgeRef;
                (e.source().index(), e.weight().as_slice())
            })
            .collect();
        v.sort_by_key(|(n, _)| *n);
        v
    }

    /// Direct dependents of `node`, sorted by node index.
    pub fn succs(&self, node: usize) -> Vec<usize> {
        let mut v: Vec<usize> = self
            .graph
            .neighbors_directed(NodeIndex::new(node), petgraph::Direction::Outgoing)
            .map(NodeIndex::index)
            .collect();
        v.sort_unstable();
        v
    }

    /// The record at node `node`.
    pub fn owner<'a>(&self, cluster: &'a Cluster, node: usize) -> &'a OwnerRecord {
        let id = &self.ids[node];
        cluster
            .owners
            .get(id)
            .or_else(|| cluster.hidden.get(id))
            .expect("graph nodes are records of the cluster it was built from")
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// Owners whose readiness `node`'s readiness includes, transitively; sorted. Parent loops in malformed input
/// are cut by marking a node as in progress (empty) before recursing.
fn covered(node: usize, direct: &[Vec<usize>], memo: &mut [Option<Vec<usize>>]) -> Vec<usize> {
    if let Some(done) = &memo[node] {
        return done.clone();
    }
    memo[node] = Some(Vec::new());
    let mut out = Vec::new();
    for &c in &direct[node] {
        out.push(c);
        out.extend(covered(c, direct, memo));
    }
    out.sort_unstable();
    out.dedup();
    memo[node] = Some(out.clone());
    out
}
