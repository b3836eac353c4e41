//! Each owner's final verdict, as Flux would see it: a failed build, a `dependsOn` target that
//! does not exist, a dependency cycle, or a dependency that never becomes ready (blocked).

use super::Analysis;
use super::spec::depends_on;
use crate::model::{
    Blocked, Cluster, Diagnostic, FailureReason, ObjectKey, Outcome, OwnerId, OwnerKind,
};
use std::collections::BTreeMap;

/// What the graph decides about the owners.
#[derive(Debug, Default)]
pub struct Verdicts {
    /// The outcome every owner ends with.
    pub outcomes: BTreeMap<OwnerId, Outcome>,
    /// Warnings about an owner the graph found (no failure).
    pub diagnostics: Vec<(OwnerId, Diagnostic)>,
}

/// The outcome every owner of `cluster` ends with, given its build outcome and the graph.
pub fn verdicts(cluster: &Cluster, a: &Analysis) -> Verdicts {
    let g = &a.graph;
    let mut found = Verdicts::default();
    let mut errors: Vec<Vec<(FailureReason, String)>> = vec![Vec::new(); g.len()];
    for (node, errors) in errors.iter_mut().enumerate() {
        let (own, warnings) = unplaced_objects(cluster, a, node);
        errors.extend(own);
        found
            .diagnostics
            .extend(warnings.into_iter().map(|d| (g.ids[node].clone(), d)));
    }
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
    for s in &g.self_substitution {
        // kustomize-controller's message, then why it never goes away.
        let plural = if s.object.kind == "Secret" {
            "secrets"
        } else {
            "configmaps"
        };
        let message = format!(
            "substitute from '{}/{}' error: {plural} \"{}\" not found (only this Kustomization renders it, so Flux never builds it: a bootstrap deadlock; render it from a Kustomization this one depends on, or mark it optional)",
            s.object.kind, s.object.name, s.object.name
        );
        errors[s.node].push((FailureReason::Build, message));
    }
    for cycle in &a.cycles {
        // In dependency order (each one waits for the next), as the plan's finding prints it.
        let shown: Vec<String> = cycle.path.iter().map(|m| m.name().to_string()).collect();
        let text = format!("dependency cycle: {}", shown.join(" -> "));
        for m in &cycle.members {
            if let Some(&node) = g.index.get(m) {
                errors[node].push((FailureReason::DependencyCycle, text.clone()));
            }
        }
    }
    for (node, id) in g.ids.iter().enumerate() {
        let own = std::mem::take(&mut errors[node]);
        let outcome = g.owner(cluster, node).outcome.clone();
        found
            .outcomes
            .insert(id.clone(), with_graph_errors(outcome, own));
    }
    mark_blocked(cluster, a, &mut found.outcomes);
    found
}

/// Namespaced objects a Kustomization renders with no namespace: without `targetNamespace`
/// nothing sets one, and the server-side apply of the whole set fails (fluxcd/pkg ssa
/// `<Kind>/<name> namespace not specified`). Objects of unknown scope (their CRD is not in the
/// render) get one warning per Kustomization, except kinds named as Kubernetes names
/// cluster-scoped ones (`Cluster*`, `*Class`).
fn unplaced_objects(
    cluster: &Cluster,
    a: &Analysis,
    node: usize,
) -> (Vec<(FailureReason, String)>, Vec<Diagnostic>) {
    let owner = a.graph.owner(cluster, node);
    let mut errors = Vec::new();
    let mut unknown: Vec<String> = Vec::new();
    if owner.id.kind != OwnerKind::Kustomization || !owner.outcome.is_rendered() {
        return (errors, Vec::new());
    }
    for o in owner
        .objects
        .iter()
        .filter(|o| crate::object::namespace(&o.object).is_none())
    {
        let key = ObjectKey::of(&o.object);
        match a.graph.catalog.scopes.is_namespaced(&key.group, &key.kind) {
            Some(true) => errors.push((
                FailureReason::Build,
                format!(
                    "{}/{} namespace not specified: it has no metadata.namespace and the Kustomization sets no targetNamespace",
                    key.kind, key.name
                ),
            )),
            Some(false) => {}
            None if key.kind.starts_with("Cluster") || key.kind.ends_with("Class") => {}
            None => unknown.push(format!("{}/{}", key.group_kind(), key.name)),
        }
    }
    let warnings = (!unknown.is_empty()).then(|| {
        Diagnostic::warning(format!(
            "{} ha{} no namespace and {} CRD is not in the render: if namespaced, Flux fails the apply with \"namespace not specified\"",
            unknown.join(", "),
            if unknown.len() == 1 { "s" } else { "ve" },
            if unknown.len() == 1 { "its" } else { "their" },
        ))
    });
    (errors, warnings.into_iter().collect())
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
