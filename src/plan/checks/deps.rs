//! Dependency checks: cycles, dependsOn targets that do not exist, dependencies that are Ready as soon as
//! they are applied, and invalid timing fields.

use std::collections::BTreeMap;

use super::super::timing::Readiness;
use super::{Code, Ctx, Finding, Severity, list_some};
use crate::graph::EdgeReason;
use crate::graph::spec::depends_on;
use crate::model::{OwnerId, OwnerKind};

/// One error per cycle, naming a closed path and the reason of each step.
pub(super) fn cycles(ctx: &Ctx, out: &mut Vec<Finding>) {
    for cycle in &ctx.plan.cycles {
        let Some((first, rest)) = cycle.members.split_first() else {
            continue;
        };
        let via: Vec<String> = cycle
            .path
            .windows(2)
            .zip(&cycle.steps)
            .map(|(w, reasons)| {
                let why: Vec<String> = reasons.iter().map(EdgeReason::to_string).collect();
                format!(
                    "{} waits for {} ({})",
                    w[0].short(),
                    w[1].short(),
                    why.join(", ")
                )
            })
            .collect();
        let blocked = ctx
            .plan
            .unscheduled
            .iter()
            .filter(|u| {
                u.blocked_by_cycles
                    .iter()
                    .any(|&c| ctx.plan.cycles.get(c) == Some(cycle))
            })
            .count();
        let mut message = format!(
            "dependency cycle {}: Flux has no cycle detection, so these never become Ready ({})",
            cycle.display(),
            via.join("; ")
        );
        if blocked > 0 {
            message.push_str(&format!("; {blocked} dependent owner(s) are blocked by it"));
        }
        let mut f = Finding::new(
            Code::DependencyCycle,
            Severity::Error,
            Some(first.clone()),
            message,
        );
        f.also = rest.to_vec();
        f.files = ctx.files(
            cycle
                .members
                .iter()
                .filter_map(|m| ctx.g.index.get(m).copied()),
        );
        out.push(f);
    }
}

/// dependsOn naming nothing: Flux retries forever and the owner never becomes Ready.
pub(super) fn missing(ctx: &Ctx, out: &mut Vec<Finding>) {
    for m in &ctx.g.missing {
        let dependent = ctx.id(m.dependent);
        let other_kind = match m.target.kind {
            OwnerKind::Kustomization => OwnerKind::HelmRelease,
            OwnerKind::HelmRelease => OwnerKind::Kustomization,
        };
        let other = OwnerId {
            kind: other_kind,
            ..m.target.clone()
        };
        let mut message = format!(
            "dependsOn {} which does not exist; Flux retries forever with \"dependency '{}/{}' not found\"",
            m.target, m.target.namespace, m.target.name
        );
        if ctx.g.index.contains_key(&other) {
            message.push_str(&format!(
                " ({other} exists, but a {}'s dependsOn refers only to {}s)",
                m.target.kind, m.target.kind
            ));
        }
        let mut f = Finding::new(
            Code::MissingDependency,
            Severity::Error,
            Some(dependent.clone()),
            message,
        );
        f.files = ctx.files([m.dependent]);
        out.push(f);
    }
}

/// Kustomizations others dependsOn that have neither `wait` nor `healthChecks`: Ready means only applied.
pub(super) fn not_waited(ctx: &Ctx, out: &mut Vec<Finding>) {
    let mut dependents: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for node in 0..ctx.g.len() {
        let owner = ctx.owner(node);
        for (ns, name) in depends_on(owner) {
            let target = OwnerId {
                kind: owner.id.kind,
                namespace: ns,
                name,
            };
            if let Some(&t) = ctx.g.index.get(&target) {
                dependents.entry(t).or_default().push(node);
            }
        }
    }
    for (target, mut deps) in dependents {
        let Some(planned) = ctx.plan.owner(ctx.id(target)) else {
            continue;
        };
        if planned.timing.readiness != Readiness::AppliedOnly {
            continue;
        }
        deps.sort_unstable();
        deps.dedup();
        let names: Vec<&OwnerId> = deps.iter().map(|&d| ctx.id(d)).collect();
        let message = format!(
            "{} is depended on by {} but has wait: {} and no healthChecks, so Ready means only applied: \
             dependents may start before its workloads run (set spec.wait: true or spec.healthChecks)",
            ctx.id(target),
            list_some(&names, 5),
            if planned.timing.wait_defaulted {
                "unset"
            } else {
                "false"
            },
        );
        let mut f = Finding::new(
            Code::DependencyNotWaited,
            Severity::Warning,
            Some(ctx.id(target).clone()),
            message,
        );
        f.files = ctx.files([target]);
        out.push(f);
    }
}

/// Missing interval, unparsable durations: the Flux API rejects such objects, so their parent's apply fails.
pub(super) fn invalid_specs(ctx: &Ctx, out: &mut Vec<Finding>) {
    for planned in &ctx.plan.owners {
        if planned.timing.problems.is_empty() {
            continue;
        }
        let message = format!(
            "{}: {} (the Flux API rejects the object)",
            planned.id,
            planned.timing.problems.join("; ")
        );
        let mut f = Finding::new(
            Code::InvalidSpec,
            Severity::Error,
            Some(planned.id.clone()),
            message,
        );
        f.files = planned.file.iter().cloned().collect();
        out.push(f);
    }
}
