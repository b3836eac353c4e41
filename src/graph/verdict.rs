//! Each owner's final verdict, as Flux would see it: a failed build, a `dependsOn` target that
//! does not exist, a dependency cycle, or a dependency that never becomes ready (blocked).

use super::Analysis;
use super::spec::depends_on;
use crate::model::{Blocked, Cluster, FailureReason, Outcome, OwnerId, OwnerKind};
use std::collections::BTreeMap;

/// The outcome every owner of `cluster` ends with, given its build outcome and the graph.
pub fn verdicts(cluster: &Cluster, a: &Analysis) -> BTreeMap<OwnerId, Outcome> {
    let g = &a.graph;
    let mut errors: Vec<Vec<(FailureReason, String)>> = vec![Vec::new(); g.len()];
    for m in &g.missing {
        let message = match m.target.kind {
            OwnerKind::Kustomization => format!(
                "dependency '{}' not found: kustomizations.kustomize.toolkit.fluxcd.io \"{}\" not found",
                m.target.name(),
                m.target.name
            ),
            OwnerKind::HelmRelease => format!(
                "unable to get '{}' dependency: helmreleases.helm.toolkit.fluxcd.io \"{}\" not found",
                m.target.name(),
                m.target.name
            ),
        };
        errors[m.dependent].push((FailureReason::MissingDependency, message));
    }
    for cycle in &a.cycles {
        let mut shown: Vec<String> = cycle.members.iter().map(|m| m.name().to_string()).collect();
        shown.push(shown[0].clone());
        let text = format!("dependency cycle: {}", shown.join(" -> "));
        for m in &cycle.members {
            if let Some(&node) = g.index.get(m) {
                errors[node].push((FailureReason::DependencyCycle, text.clone()));
            }
        }
    }
    let mut out = BTreeMap::new();
    for (node, id) in g.ids.iter().enumerate() {
        let own = std::mem::take(&mut errors[node]);
        let outcome = g.owner(cluster, node).outcome.clone();
        out.insert(id.clone(), with_graph_errors(outcome, own));
    }
    mark_blocked(cluster, a, &mut out);
    out
}

/// A build outcome combined with what the graph found wrong with the owner.
fn with_graph_errors(outcome: Outcome, own: Vec<(FailureReason, String)>) -> Outcome {
    let Some((reason, _)) = own.first() else {
        return outcome;
    };
    let reason = *reason;
    let messages = own.into_iter().map(|(_, m)| m);
    match outcome {
        Outcome::Failed(f) => {
            let message = std::iter::once(f.message)
                .chain(messages)
                .collect::<Vec<_>>()
                .join("; ");
            Outcome::failed(f.reason, message)
        }
        _ => Outcome::failed(reason, messages.collect::<Vec<_>>().join("; ")),
    }
}

/// A rendered owner whose `dependsOn` chain reaches one that never becomes Ready is blocked.
/// A Kustomization also waits on dependencies that cannot be known offline; a HelmRelease's
/// dependencies are HelmReleases, which an unavailable chart does not make fail in Flux's eyes
/// here (helm-controller would retry).
fn mark_blocked(cluster: &Cluster, a: &Analysis, out: &mut BTreeMap<OwnerId, Outcome>) {
    loop {
        let mut changed = false;
        for (node, id) in a.graph.ids.iter().enumerate() {
            if !out.get(id).is_some_and(Outcome::is_rendered) {
                continue;
            }
            let owner = a.graph.owner(cluster, node);
            let not_ready = |o: &Outcome| match id.kind {
                OwnerKind::Kustomization => o.is_not_ready(),
                OwnerKind::HelmRelease => matches!(o, Outcome::Failed(_) | Outcome::Blocked(_)),
            };
            let bad = depends_on(owner)
                .into_iter()
                .map(|(ns, name)| OwnerId::new(id.kind, &ns, &name))
                .find(|d| out.get(d).is_some_and(not_ready));
            if let Some(dep) = bad {
                let message = format!("dependency '{}' is not ready", dep.name());
                out.insert(id.clone(), Outcome::Blocked(Blocked { by: dep, message }));
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
}
