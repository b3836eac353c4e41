//! Objects rendered by more than one owner (same group, kind, namespace, name). Flux applies both (the
//! last apply wins and the ownership labels flip on every reconcile) and pruning one owner deletes the
//! other's object: a warning, never a failure, as nothing fails in the cluster.

use std::collections::BTreeMap;

use super::{Code, Ctx, Finding, Severity, list_some};
use crate::model::ObjectKey;

pub(super) fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    // Grouped by the set of producers so two owners sharing 30 objects give one finding.
    let mut by_producers: BTreeMap<&[usize], Vec<&ObjectKey>> = BTreeMap::new();
    for (key, producers) in &ctx.g.catalog.producers {
        if producers.len() > 1 {
            by_producers
                .entry(producers.as_slice())
                .or_default()
                .push(key);
        }
    }
    for (producers, mut keys) in by_producers {
        keys.sort();
        let Some((&first, rest)) = producers.split_first() else {
            continue;
        };
        let names: Vec<String> = keys.iter().map(|k| k.described()).collect();
        let owners: Vec<String> = producers.iter().map(|&p| ctx.id(p).to_string()).collect();
        let message = format!(
            "{} {} rendered by {}: they overwrite each other and pruning one deletes it for the other",
            list_some(&names, 5),
            if names.len() == 1 { "is" } else { "are" },
            owners.join(" and "),
        );
        let mut f = Finding::new(
            Code::DuplicateObject,
            Severity::Warning,
            Some(ctx.id(first).clone()),
            message,
        );
        f.also = rest.iter().map(|&p| ctx.id(p).clone()).collect();
        f.objects = names;
        f.files = ctx.files(producers.iter().copied());
        out.push(f);
    }
}
