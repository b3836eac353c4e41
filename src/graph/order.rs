//! The order owners are printed in: topological over what makes a Kustomization wait for
//! another (parent, `dependsOn`, a substituteFrom producer), ties broken by namespace/name.

use super::owners::{EdgeReason, OwnerGraph};
use crate::model::{OwnerId, OwnerKind};
use std::collections::BTreeSet;

/// Kahn's algorithm over the Kustomizations with a sorted ready set; members of cycles come
/// last, sorted.
pub fn kustomization_order(g: &OwnerGraph) -> Vec<OwnerId> {
    let is_ks = |n: usize| g.ids[n].kind == OwnerKind::Kustomization;
    let orders = |reasons: &[EdgeReason]| {
        reasons.iter().any(|r| {
            matches!(
                r,
                EdgeReason::Parent | EdgeReason::DependsOn | EdgeReason::SubstituteFrom { .. }
            )
        })
    };
    let nodes: Vec<usize> = (0..g.len()).filter(|&n| is_ks(n)).collect();
    let mut succs: Vec<Vec<usize>> = vec![Vec::new(); g.len()];
    let mut indegree = vec![0usize; g.len()];
    for &n in &nodes {
        for (p, reasons) in g.preds(n) {
            if p != n && is_ks(p) && orders(reasons) {
                succs[p].push(n);
                indegree[n] += 1;
            }
        }
    }
    let mut ready: BTreeSet<(&OwnerId, usize)> = nodes
        .iter()
        .filter(|&&n| indegree[n] == 0)
        .map(|&n| (&g.ids[n], n))
        .collect();
    let mut order = Vec::with_capacity(nodes.len());
    let mut seen = vec![false; g.len()];
    while let Some((id, n)) = ready.pop_first() {
        order.push(id.clone());
        seen[n] = true;
        for &m in &succs[n] {
            indegree[m] = indegree[m].saturating_sub(1);
            if indegree[m] == 0 && !seen[m] {
                ready.insert((&g.ids[m], m));
            }
        }
    }
    // Ids are sorted, so the rest is too.
    order.extend(
        nodes
            .iter()
            .filter(|&&n| !seen[n])
            .map(|&n| g.ids[n].clone()),
    );
    order
}
