//! The dependency graph of the reconciled Kustomizations (petgraph), and what it says about
//! each one: missing `dependsOn` targets, cycles, duplicate objects, blocked dependents, and a
//! deterministic order (topological, ties broken by namespace/name).

use crate::engine::{ClusterRender, Outcome};
use crate::flux::NamespacedName;
use crate::object::ObjectKey;
use crate::postbuild;
use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Why one Kustomization comes after another.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum EdgeKind {
    DependsOn,
    Parent,
    Produces,
}

/// The verdict for one Kustomization.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", tag = "state", content = "message")]
pub enum Status {
    Rendered,
    /// Rendered, but Flux would never apply it: a dependency fails.
    Blocked(String),
    /// The source is not available offline.
    Unavailable(String),
    Failed(String),
}

impl Status {
    pub fn label(&self) -> &'static str {
        match self {
            Status::Rendered => "rendered",
            Status::Blocked(_) => "blocked",
            Status::Unavailable(_) => "unavailable",
            Status::Failed(_) => "failed",
        }
    }
    pub fn message(&self) -> &str {
        match self {
            Status::Rendered => "",
            Status::Blocked(m) | Status::Unavailable(m) | Status::Failed(m) => m,
        }
    }
    pub fn is_failure(&self) -> bool {
        matches!(self, Status::Failed(_))
    }
}

#[derive(Debug, Default)]
pub struct Analysis {
    pub order: Vec<NamespacedName>,
    pub status: BTreeMap<NamespacedName, Status>,
    pub edges: Vec<(NamespacedName, NamespacedName, EdgeKind)>,
    pub cycles: Vec<Vec<NamespacedName>>,
}

pub fn analyze(render: &ClusterRender) -> Analysis {
    let ids: Vec<&NamespacedName> = render.kustomizations.keys().collect();
    let mut graph: DiGraph<NamespacedName, EdgeKind> = DiGraph::new();
    let index: HashMap<&NamespacedName, NodeIndex> = ids
        .iter()
        .map(|id| (*id, graph.add_node((*id).clone())))
        .collect();
    let mut errors: BTreeMap<NamespacedName, Vec<String>> = BTreeMap::new();

    // Who produces which object; duplicates are errors on every producer.
    let mut producers: BTreeMap<ObjectKey, Vec<&NamespacedName>> = BTreeMap::new();
    for (id, node) in &render.kustomizations {
        if let Some(out) = node.outcome.output() {
            for obj in &out.objects {
                producers.entry(ObjectKey::of(obj)).or_default().push(id);
            }
        }
    }
    for (key, owners) in &producers {
        if owners.len() > 1 {
            for o in owners {
                let others: Vec<String> = owners
                    .iter()
                    .filter(|x| *x != o)
                    .map(|x| x.to_string())
                    .collect();
                errors.entry((*o).clone()).or_default().push(format!(
                    "{key} is also produced by {}",
                    shorten_list(&others, 3)
                ));
            }
        }
    }

    let mut edges = Vec::new();
    for (id, node) in &render.kustomizations {
        let to = index[id];
        if let Some(parent) = &node.parent
            && let Some(&from) = index.get(parent)
        {
            edges.push((from, to, EdgeKind::Parent));
        }
        for dep in node.ks.dependencies() {
            match index.get(&dep) {
                Some(&from) => edges.push((from, to, EdgeKind::DependsOn)),
                None => errors.entry(id.clone()).or_default().push(format!(
                    "dependency '{dep}' not found: kustomizations.kustomize.toolkit.fluxcd.io \"{}\" not found",
                    dep.name
                )),
            }
        }
        for r in postbuild::references(&node.ks) {
            let kind = match r.kind {
                crate::substitute::RefKind::ConfigMap => "ConfigMap",
                crate::substitute::RefKind::Secret => "Secret",
            };
            let key = ObjectKey::new("", kind, &id.namespace, &r.name);
            for producer in producers.get(&key).into_iter().flatten() {
                if *producer != id {
                    edges.push((index[producer], to, EdgeKind::Produces));
                }
            }
        }
    }
    edges.sort_by_key(|(a, b, k)| (graph[*a].clone(), graph[*b].clone(), *k));
    edges.dedup();
    for (a, b, k) in &edges {
        graph.add_edge(*a, *b, *k);
    }

    let mut cycles = Vec::new();
    for scc in tarjan_scc(&graph) {
        let self_loop = scc.len() == 1 && graph.contains_edge(scc[0], scc[0]);
        if scc.len() < 2 && !self_loop {
            continue;
        }
        let mut members: Vec<NamespacedName> = scc.iter().map(|n| graph[*n].clone()).collect();
        members.sort();
        let mut shown: Vec<String> = members.iter().map(|m| m.to_string()).collect();
        shown.push(members[0].to_string());
        let text = format!("dependency cycle: {}", shown.join(" -> "));
        for m in &members {
            errors.entry(m.clone()).or_default().push(text.clone());
        }
        cycles.push(members);
    }

    let mut status = BTreeMap::new();
    for (id, node) in &render.kustomizations {
        let own = errors.remove(id).unwrap_or_default();
        let s = match &node.outcome {
            Outcome::Failed(m) => Status::Failed(join(m, &own)),
            Outcome::SourceUnavailable(m) if own.is_empty() => Status::Unavailable(m.clone()),
            _ if !own.is_empty() => Status::Failed(own.join("; ")),
            Outcome::SourceUnavailable(m) => Status::Unavailable(m.clone()),
            // Changed-only mode did not build it: nothing it reads changed.
            Outcome::Rendered(_) | Outcome::Unchanged(_) => Status::Rendered,
        };
        status.insert(id.clone(), s);
    }
    mark_blocked(render, &mut status);

    Analysis {
        order: topological_order(&graph),
        status,
        edges: edges
            .iter()
            .map(|(a, b, k)| (graph[*a].clone(), graph[*b].clone(), *k))
            .collect(),
        cycles,
    }
}

/// `a, b, c and 4 more`.
fn shorten_list(items: &[String], keep: usize) -> String {
    if items.len() <= keep {
        return items.join(", ");
    }
    format!(
        "{} and {} more",
        items[..keep].join(", "),
        items.len() - keep
    )
}

fn join(first: &str, rest: &[String]) -> String {
    std::iter::once(first.to_string())
        .chain(rest.iter().cloned())
        .collect::<Vec<_>>()
        .join("; ")
}

/// A rendered Kustomization whose `dependsOn` chain reaches a failure never becomes Ready in Flux.
fn mark_blocked(render: &ClusterRender, status: &mut BTreeMap<NamespacedName, Status>) {
    loop {
        let mut changed = false;
        for (id, node) in &render.kustomizations {
            if status.get(id) != Some(&Status::Rendered) {
                continue;
            }
            let bad = node.ks.dependencies().into_iter().find(|d| {
                status.get(d).is_some_and(|s| {
                    matches!(
                        s,
                        Status::Failed(_) | Status::Blocked(_) | Status::Unavailable(_)
                    )
                })
            });
            if let Some(dep) = bad {
                status.insert(
                    id.clone(),
                    Status::Blocked(format!("dependency '{dep}' is not ready")),
                );
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
}

/// Kahn's algorithm with a sorted ready set; members of cycles come last, sorted.
fn topological_order(graph: &DiGraph<NamespacedName, EdgeKind>) -> Vec<NamespacedName> {
    let mut indegree: HashMap<NodeIndex, usize> = graph.node_indices().map(|n| (n, 0)).collect();
    for e in graph.edge_indices() {
        if let Some((a, b)) = graph.edge_endpoints(e)
            && a != b
        {
            *indegree.entry(b).or_default() += 1;
        }
    }
    let mut ready: BTreeSet<(NamespacedName, NodeIndex)> = indegree
        .iter()
        .filter(|(_, d)| **d == 0)
        .map(|(n, _)| (graph[*n].clone(), *n))
        .collect();
    let mut order = Vec::new();
    let mut seen = BTreeSet::new();
    while let Some(first) = ready.pop_first() {
        let n = first.1;
        order.push(first.0);
        seen.insert(n);
        let mut next: Vec<NodeIndex> = graph.neighbors(n).collect();
        next.sort();
        next.dedup();
        for m in next {
            if m == n {
                continue;
            }
            let count = graph.edges_connecting(n, m).count();
            if let Some(d) = indegree.get_mut(&m) {
                *d = d.saturating_sub(count);
                if *d == 0 && !seen.contains(&m) {
                    ready.insert((graph[m].clone(), m));
                }
            }
        }
    }
    let mut rest: Vec<NamespacedName> = graph
        .node_indices()
        .filter(|n| !seen.contains(n))
        .map(|n| graph[n].clone())
        .collect();
    rest.sort();
    order.extend(rest);
    order
}

/// Statuses of the HelmReleases: their own outcome, missing or cyclic `dependsOn` targets
/// (HelmRelease → HelmRelease, namespace defaulting to the dependent's), and blocked dependents.
pub fn analyze_releases(
    releases: &BTreeMap<NamespacedName, crate::releases::HrNode>,
) -> BTreeMap<NamespacedName, Status> {
    use crate::releases::HrOutcome;
    let deps = |n: &crate::releases::HrNode| -> Vec<NamespacedName> {
        n.object
            .pointer("/spec/dependsOn")
            .and_then(serde_json::Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|d| {
                let name = d.get("name")?.as_str()?;
                let ns = d
                    .get("namespace")
                    .and_then(serde_json::Value::as_str)
                    .filter(|s| !s.is_empty())
                    .unwrap_or(&n.id.namespace);
                Some(NamespacedName::new(ns, name))
            })
            .collect()
    };
    let mut graph: DiGraph<NamespacedName, ()> = DiGraph::new();
    let index: HashMap<&NamespacedName, NodeIndex> = releases
        .keys()
        .map(|id| (id, graph.add_node(id.clone())))
        .collect();
    let mut errors: BTreeMap<NamespacedName, Vec<String>> = BTreeMap::new();
    for (id, n) in releases {
        for d in deps(n) {
            match index.get(&d) {
                Some(&from) => {
                    graph.add_edge(from, index[id], ());
                }
                None => errors.entry(id.clone()).or_default().push(format!(
                    "unable to get '{d}' dependency: helmreleases.helm.toolkit.fluxcd.io \"{}\" not found",
                    d.name
                )),
            }
        }
    }
    for scc in tarjan_scc(&graph) {
        if scc.len() < 2 && !graph.contains_edge(scc[0], scc[0]) {
            continue;
        }
        let mut members: Vec<NamespacedName> = scc.iter().map(|n| graph[*n].clone()).collect();
        members.sort();
        let mut shown: Vec<String> = members.iter().map(|m| m.to_string()).collect();
        shown.push(members[0].to_string());
        for m in &members {
            errors
                .entry(m.clone())
                .or_default()
                .push(format!("dependency cycle: {}", shown.join(" -> ")));
        }
    }
    let mut status: BTreeMap<NamespacedName, Status> = releases
        .iter()
        .map(|(id, n)| {
            let own = errors.remove(id).unwrap_or_default();
            let s = match &n.outcome {
                HrOutcome::Failed(m) => Status::Failed(join(m, &own)),
                _ if !own.is_empty() => Status::Failed(own.join("; ")),
                HrOutcome::Unavailable(m) => Status::Unavailable(m.clone()),
                HrOutcome::Rendered(_) => Status::Rendered,
            };
            (id.clone(), s)
        })
        .collect();
    loop {
        let mut changed = false;
        for (id, n) in releases {
            if status.get(id) != Some(&Status::Rendered) {
                continue;
            }
            if let Some(dep) = deps(n)
                .into_iter()
                .find(|d| matches!(status.get(d), Some(Status::Failed(_) | Status::Blocked(_))))
            {
                status.insert(
                    id.clone(),
                    Status::Blocked(format!("dependency '{dep}' is not ready")),
                );
                changed = true;
            }
        }
        if !changed {
            break status;
        }
    }
}
