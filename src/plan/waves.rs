//! `plan()`: assigns owners to bootstrap waves (longest-path layering of the owner graph), finds cycles and
//! what they block, and computes the critical path by summed timeouts.

use std::collections::{BTreeSet, HashMap};

use super::duration::Millis;
use super::input::{ClusterInput, render_error};
use super::model::{
    CriticalPath, CriticalStep, Dependency, Plan, PlanEdge, PlannedOwner, Unscheduled, Wave,
};
use super::timing::Timing;
use crate::graph::{EdgeReason, OwnerGraph, Reach};

/// Computes the bootstrap plan of a rendered cluster. Never fails: cycles are reported, not fatal.
pub fn plan(input: &ClusterInput) -> Plan {
    let (g, reach) = (&input.analysis.graph, &input.analysis.reach);
    if g.is_empty() {
        return Plan::default();
    }
    let timings: Vec<Timing> = (0..g.len())
        .map(|i| Timing::of(g.owner(input.cluster, i)))
        .collect();
    let cycle_of = cycle_members(reach);
    let layers = layer(g, reach, &cycle_of);
    Plan {
        owners: planned_owners(input, g, &layers.wave, &timings),
        waves: waves(g, &layers.wave, &timings),
        cycles: input.analysis.cycles.clone(),
        unscheduled: (0..g.len())
            .filter(|&i| layers.wave[i].is_none() && !cycle_of.contains_key(&i))
            .map(|i| Unscheduled {
                owner: g.ids[i].clone(),
                blocked_by_cycles: layers.blocked_by[i].iter().copied().collect(),
            })
            .collect(),
        critical_path: critical_path(g, reach, &layers.wave, &timings),
        edges: edges(g),
    }
}

/// Node → the index of the cycle (among cyclic components, in topological order) it is in.
fn cycle_members(reach: &Reach) -> HashMap<usize, usize> {
    let mut cycle_of = HashMap::new();
    let cyclic = reach
        .components
        .iter()
        .enumerate()
        .filter(|(ci, _)| reach.cyclic[*ci])
        .map(|(_, comp)| comp);
    for (ci, comp) in cyclic.enumerate() {
        for &m in comp {
            cycle_of.insert(m, ci);
        }
    }
    cycle_of
}

/// Each node's wave, or the cycles that keep it from having one.
struct Layers {
    wave: Vec<Option<usize>>,
    blocked_by: Vec<BTreeSet<usize>>,
}

/// Longest-path layering in topological order; anything waiting on a cycle is left out.
fn layer(g: &OwnerGraph, reach: &Reach, cycle_of: &HashMap<usize, usize>) -> Layers {
    let n = g.len();
    let mut wave: Vec<Option<usize>> = vec![None; n];
    let mut blocked_by: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); n];
    for node in reach.topo_nodes() {
        if let Some(&c) = cycle_of.get(&node) {
            blocked_by[node].insert(c);
            continue;
        }
        let mut w = 0;
        let mut blocked = BTreeSet::new();
        for (p, _) in g.preds(node) {
            match wave[p] {
                Some(pw) => w = w.max(pw + 1),
                None => blocked.extend(blocked_by[p].iter().copied()),
            }
        }
        if blocked.is_empty() {
            wave[node] = Some(w);
        } else {
            blocked_by[node] = blocked;
        }
    }
    Layers { wave, blocked_by }
}

fn planned_owners(
    input: &ClusterInput,
    g: &OwnerGraph,
    wave: &[Option<usize>],
    timings: &[Timing],
) -> Vec<PlannedOwner> {
    (0..g.len())
        .map(|i| {
            let owner = g.owner(input.cluster, i);
            PlannedOwner {
                id: g.ids[i].clone(),
                file: owner.file.clone(),
                wave: wave[i],
                timing: timings[i].clone(),
                after: g
                    .preds(i)
                    .into_iter()
                    .map(|(p, reasons)| Dependency {
                        owner: g.ids[p].clone(),
                        reasons: sorted(reasons),
                    })
                    .collect(),
                render_error: render_error(owner).map(str::to_string),
            }
        })
        .collect()
}

/// The waves with their members, what they wait for and their worst-case time.
fn waves(g: &OwnerGraph, wave: &[Option<usize>], timings: &[Timing]) -> Vec<Wave> {
    let wave_count = wave.iter().flatten().max().map_or(0, |m| m + 1);
    let mut waves: Vec<Wave> = (0..wave_count)
        .map(|index| Wave {
            index,
            owners: Vec::new(),
            waits_for: Vec::new(),
            worst_case: Millis(0),
            worst_case_seconds: 0,
        })
        .collect();
    for (i, w) in wave.iter().enumerate() {
        let Some(w) = w else { continue };
        let wv = &mut waves[*w];
        wv.owners.push(g.ids[i].clone());
        wv.worst_case = wv.worst_case.max(timings[i].timeout.value);
        wv.worst_case_seconds = wv.worst_case.as_secs();
    }
    for wv in &mut waves {
        let mut deps = BTreeSet::new();
        for id in &wv.owners {
            if let Some(&i) = g.index.get(id) {
                deps.extend(g.preds(i).into_iter().map(|(p, _)| p));
            }
        }
        wv.waits_for = deps.into_iter().map(|p| g.ids[p].clone()).collect();
    }
    waves
}

/// Every edge with its reasons, sorted by (from, to).
fn edges(g: &OwnerGraph) -> Vec<PlanEdge> {
    let mut edges: Vec<PlanEdge> = g
        .graph
        .edge_indices()
        .filter_map(|e| {
            let (a, b) = g.graph.edge_endpoints(e)?;
            Some(PlanEdge {
                from: g.ids[a.index()].clone(),
                to: g.ids[b.index()].clone(),
                reasons: sorted(&g.graph[e]),
            })
        })
        .collect();
    edges.sort_by(|x, y| (&x.from, &x.to).cmp(&(&y.from, &y.to)));
    edges
}

fn sorted(reasons: &[EdgeReason]) -> Vec<EdgeReason> {
    let mut v = reasons.to_vec();
    v.sort();
    v
}

/// Longest chain by summed timeouts over scheduled owners. Ties go to the smallest owner id.
fn critical_path(
    g: &OwnerGraph,
    reach: &Reach,
    wave: &[Option<usize>],
    timings: &[Timing],
) -> CriticalPath {
    let n = g.len();
    let mut best = vec![Millis(0); n];
    let mut via: Vec<Option<usize>> = vec![None; n];
    for node in reach.topo_nodes() {
        if wave[node].is_none() {
            continue;
        }
        let mut longest: Option<(Millis, usize)> = None;
        for (p, _) in g.preds(node) {
            if wave[p].is_some() && longest.is_none_or(|(m, _)| best[p] > m) {
                longest = Some((best[p], p));
            }
        }
        let base = longest.map_or(Millis(0), |(m, _)| m);
        via[node] = longest.map(|(_, p)| p);
        best[node] = base.saturating_add(timings[node].timeout.value);
    }
    let Some(end) = (0..n)
        .filter(|&i| wave[i].is_some())
        .fold(None, |acc: Option<usize>, i| match acc {
            Some(a) if best[a] >= best[i] => Some(a),
            _ => Some(i),
        })
    else {
        return CriticalPath::default();
    };
    let mut chain = vec![end];
    while let Some(p) = via[*chain.last().unwrap_or(&end)] {
        chain.push(p);
    }
    chain.reverse();
    let mut cumulative = Millis(0);
    let steps: Vec<CriticalStep> = chain
        .into_iter()
        .map(|i| {
            cumulative = cumulative.saturating_add(timings[i].timeout.value);
            CriticalStep {
                owner: g.ids[i].clone(),
                timeout: timings[i].timeout.value,
                cumulative,
            }
        })
        .collect();
    CriticalPath {
        total: cumulative,
        total_seconds: cumulative.as_secs(),
        steps,
    }
}

#[cfg(test)]
mod tests {
    use super::super::duration::Millis;
    use super::super::fixtures::{self, OwnerExt, hr_id, ks, ks_id};
    use super::*;
    use serde_json::json;

    fn wave_names(p: &Plan) -> Vec<Vec<String>> {
        p.waves
            .iter()
            .map(|w| w.owners.iter().map(|id| id.short()).collect())
            .collect()
    }

    #[test]
    fn kube_prometheus_stack_waves_and_critical_path() {
        let p = plan(&fixtures::kube_prometheus_stack().input());
        assert_eq!(
            wave_names(&p),
            vec![
                vec!["ks/flux-system/flux-system"],
                vec!["ks/flux-system/infrastructure"],
                vec![
                    "hr/cert-manager/cert-manager",
                    "hr/monitoring/kube-prometheus-stack-crds",
                    "hr/rook-ceph/rook-ceph-rbd"
                ],
                vec!["hr/monitoring/kube-prometheus-stack"],
            ]
        );
        // 9m30s (default) + 9m30s + 5m (HR default) + 15m.
        assert_eq!(
            p.critical_path.total,
            Millis::from_secs(570 + 570 + 300 + 900)
        );
        let chain: Vec<String> = p
            .critical_path
            .steps
            .iter()
            .map(|s| s.owner.short())
            .collect();
        assert_eq!(chain[2], "hr/cert-manager/cert-manager");
        assert_eq!(p.waves[2].worst_case, Millis::from_secs(300));
        let kps = p
            .owner(&hr_id("monitoring", "kube-prometheus-stack"))
            .unwrap();
        let reasons: Vec<String> = kps
            .after
            .iter()
            .map(|d| format!("{} {:?}", d.owner.short(), d.reasons))
            .collect();
        assert_eq!(kps.after.len(), 5, "{reasons:#?}");
        let root = &kps.after[0];
        assert_eq!(root.owner, ks_id("flux-system", "flux-system"));
        assert!(matches!(root.reasons[0], EdgeReason::ChartSource { .. }));
    }

    #[test]
    fn wait_true_parent_makes_dependents_wait_for_its_children() {
        let p = plan(&fixtures::cert_manager_chain().input());
        let wh = p
            .owner(&ks_id("flux-system", "cert-manager-webhooks"))
            .unwrap();
        assert!(
            wh.after
                .iter()
                .any(|d| d.owner == hr_id("cert-manager", "cert-manager")
                    && d.reasons
                        == vec![EdgeReason::ReadyVia {
                            via: "ks/flux-system/cert-manager".to_string()
                        }])
        );
        assert_eq!(
            p.wave_of(&ks_id("flux-system", "cert-manager-webhooks")),
            Some(3)
        );
        assert_eq!(
            p.wave_of(&ks_id("flux-system", "cert-manager-issuers")),
            Some(5)
        );
    }

    #[test]
    fn cycles_are_excluded_and_block_dependents() {
        let p = plan(&fixtures::cycle().input());
        assert_eq!(wave_names(&p), vec![vec!["ks/flux-system/flux-system"]]);
        assert_eq!(p.cycles.len(), 1);
        assert_eq!(
            p.cycles[0].display(),
            "ks/flux-system/a -> ks/flux-system/b -> ks/flux-system/a"
        );
        assert_eq!(
            p.cycles[0].steps,
            vec![vec![EdgeReason::DependsOn], vec![EdgeReason::DependsOn]]
        );
        assert_eq!(p.unscheduled.len(), 1);
        assert_eq!(p.unscheduled[0].owner, ks_id("flux-system", "c"));
        assert_eq!(p.unscheduled[0].blocked_by_cycles, vec![0]);
        assert_eq!(p.critical_path.steps.len(), 1);
    }

    #[test]
    fn child_depending_on_a_dependent_of_its_waiting_parent_deadlocks() {
        // platform waits for its child; app waits for platform; the child waits for app.
        let r = fixtures::root();
        let platform = ks("flux-system", "platform", json!({"wait": true})).under(&r);
        let child = ks(
            "flux-system",
            "child",
            json!({"dependsOn": [{"name": "app"}]}),
        )
        .under(&platform);
        let app = ks(
            "flux-system",
            "app",
            json!({"dependsOn": [{"name": "platform"}]}),
        )
        .under(&r);
        let p = plan(&fixtures::cluster(vec![r, platform, child, app]).input());
        assert_eq!(p.cycles.len(), 1, "{:#?}", p.cycles);
        assert_eq!(p.cycles[0].members.len(), 2);
    }

    #[test]
    fn substitute_from_producer_is_a_prerequisite() {
        let p = plan(&fixtures::vars().input());
        let apps = p.owner(&ks_id("flux-system", "apps")).unwrap();
        let settings = apps
            .after
            .iter()
            .find(|d| d.owner == ks_id("flux-system", "settings"))
            .unwrap();
        assert_eq!(
            settings.reasons,
            vec![
                EdgeReason::DependsOn,
                EdgeReason::SubstituteFrom {
                    object: "ConfigMap flux-system/cluster-settings".to_string()
                },
                EdgeReason::SubstituteFrom {
                    object: "ConfigMap flux-system/extra-settings".to_string()
                },
            ]
        );
    }

    #[test]
    fn empty_input_gives_an_empty_plan() {
        let empty = super::super::input::Scenario::new(Vec::new(), Vec::new());
        assert_eq!(plan(&empty.input()), Plan::default());
    }

    #[test]
    fn render_errors_are_carried() {
        let input = fixtures::cluster(vec![fixtures::root().failed("kustomize build failed")]);
        let p = plan(&input.input());
        assert_eq!(
            p.owners[0].render_error.as_deref(),
            Some("kustomize build failed")
        );
    }
}
