//! Custom resources versus their CustomResourceDefinitions: the CRD must come from the owner itself or from
//! something it (transitively) waits for, or a cold bootstrap fails with "no matches for kind".

use std::collections::BTreeMap;

use super::{Code, Ctx, Finding, Severity, list_some};
use crate::graph::objects::{group_kind, is_builtin_group, is_flux_group};
use crate::model::ObjectKey;

/// Whether `group`/`kind` matches an `assume_crds` pattern: `group/Kind`, `group`, or `*.suffix[/Kind]`.
pub(super) fn assumed(patterns: &[String], group: &str, kind: &str) -> bool {
    patterns.iter().any(|p| {
        let (gp, kp) = match p.split_once('/') {
            Some((g, k)) => (g, Some(k)),
            None => (p.as_str(), None),
        };
        let group_ok = match gp.strip_prefix("*.") {
            Some(suffix) => group
                .strip_suffix(suffix)
                .is_some_and(|rest| rest.ends_with('.')),
            None => gp == group,
        };
        group_ok && kp.is_none_or(|k| k == kind)
    })
}

pub(super) fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    // (group, kind) → number of owners using a Flux kind, for one summary note.
    let mut flux_kinds: BTreeMap<(String, String), usize> = BTreeMap::new();
    for node in 0..ctx.g.len() {
        let mut by_type: BTreeMap<(&str, &str), Vec<&ObjectKey>> = BTreeMap::new();
        for key in &ctx.g.catalog.keys[node] {
            if !is_builtin_group(&key.group) {
                by_type
                    .entry((&key.group, &key.kind))
                    .or_default()
                    .push(key);
            }
        }
        for ((group, kind), objects) in by_type {
            if is_flux_group(group) {
                *flux_kinds
                    .entry((group.to_string(), kind.to_string()))
                    .or_default() += 1;
                continue;
            }
            let crd_owners = ctx
                .g
                .catalog
                .crds
                .get(&(group.to_string(), kind.to_string()))
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            if crd_owners.is_empty() {
                if !assumed(ctx.input.assume_crds, group, kind) {
                    out.push(not_rendered(ctx, node, group, kind, &objects));
                }
                continue;
            }
            let ordered = crd_owners
                .iter()
                .any(|&c| c == node || ctx.reach.depends_on(node, c));
            if !ordered {
                out.push(not_ordered(ctx, node, group, kind, &objects, crd_owners));
            }
        }
    }
    if !flux_kinds.is_empty() {
        let kinds: Vec<String> = flux_kinds
            .iter()
            .map(|((g, k), n)| {
                format!(
                    "{} ({n} owner{})",
                    group_kind(g, k),
                    if *n == 1 { "" } else { "s" }
                )
            })
            .collect();
        let message = format!(
            "Flux kinds {} are assumed installed by flux bootstrap (gotk-components.yaml)",
            kinds.join(", ")
        );
        out.push(Finding::new(
            Code::FluxCrdAssumed,
            Severity::Info,
            None,
            message,
        ));
    }
}

fn object_names(objects: &[&ObjectKey]) -> Vec<String> {
    objects.iter().map(|k| k.described()).collect()
}

fn not_ordered(
    ctx: &Ctx,
    node: usize,
    group: &str,
    kind: &str,
    objects: &[&ObjectKey],
    crd_owners: &[usize],
) -> Finding {
    let gk = group_kind(group, kind);
    let names = object_names(objects);
    let providers: Vec<String> = crd_owners.iter().map(|&c| ctx.describe(c)).collect();
    let message = format!(
        "{} renders {}, but the CustomResourceDefinition for {gk} comes from {}, which it does not depend on \
         (neither by dependsOn nor through its parents): on a cold bootstrap the apply fails with \
         'no matches for kind \"{kind}\"'; add a dependsOn",
        ctx.describe(node),
        list_some(&names, 5),
        providers.join(" and "),
    );
    let mut f = Finding::new(
        Code::CrdNotOrdered,
        Severity::Error,
        Some(ctx.id(node).clone()),
        message,
    );
    f.objects = names;
    f.files = ctx.files(std::iter::once(node).chain(crd_owners.iter().copied()));
    f
}

fn not_rendered(
    ctx: &Ctx,
    node: usize,
    group: &str,
    kind: &str,
    objects: &[&ObjectKey],
) -> Finding {
    let gk = group_kind(group, kind);
    let names = object_names(objects);
    let unknown = ctx.input.unknown_outputs().len();
    let (severity, note) = if unknown > 0 {
        (
            Severity::Info,
            format!(
                "; {} could not be rendered offline and may provide it",
                crate::text::count(unknown, "owner")
            ),
        )
    } else {
        (Severity::Warning, String::new())
    };
    let message = format!(
        "{} renders {}, but nothing in this cluster renders a CustomResourceDefinition for {gk}; if it is \
         installed some other way, list it in assume_crds (\"{group}/{kind}\" or \"{group}\"){note}",
        ctx.id(node),
        list_some(&names, 5),
    );
    let mut f = Finding::new(
        Code::CrdNotRendered,
        severity,
        Some(ctx.id(node).clone()),
        message,
    );
    f.objects = names;
    f.files = ctx.files([node]);
    f
}

#[cfg(test)]
mod tests {
    use super::assumed;

    #[test]
    fn assume_patterns() {
        let p = vec![
            "monitoring.coreos.com/ServiceMonitor".to_string(),
            "snapshot.storage.k8s.io".to_string(),
            "*.crossplane.io".to_string(),
        ];
        assert!(assumed(&p, "monitoring.coreos.com", "ServiceMonitor"));
        assert!(!assumed(&p, "monitoring.coreos.com", "PodMonitor"));
        assert!(assumed(&p, "snapshot.storage.k8s.io", "VolumeSnapshot"));
        assert!(assumed(&p, "aws.upbound.crossplane.io", "Bucket"));
        assert!(!assumed(&p, "crossplane.io", "X"));
        assert!(!assumed(&p, "evilcrossplane.io", "X"));
    }
}
