//! postBuild substitution variables: used but defined nowhere (per substituting Kustomization), defined but
//! used nowhere, and defined with different values by different sources.

use std::collections::{BTreeMap, BTreeSet};

use super::super::input::{vars_used, vars_with_default};
use super::{Code, Ctx, Finding, Severity, list_some};
use crate::graph::spec::substitutes;
use crate::model::OwnerKind;

const INLINE: &str = "inline";

pub(super) fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    undefined(ctx, out);
    unused(ctx, out);
    conflicts(ctx, out);
}

fn undefined(ctx: &Ctx, out: &mut Vec<Finding>) {
    for node in 0..ctx.g.len() {
        let owner = ctx.owner(node);
        if owner.id.kind != OwnerKind::Kustomization || !substitutes(owner) {
            continue;
        }
        let with_default = vars_with_default(owner);
        let missing: Vec<String> = vars_used(owner)
            .into_iter()
            .filter(|v| !owner.vars.defined.contains_key(*v) && !with_default.contains(v))
            .map(|v| format!("${{{v}}}"))
            .collect();
        if missing.is_empty() {
            continue;
        }
        let message = format!(
            "{} uses {} but neither spec.postBuild.substitute nor substituteFrom defines {}: Flux substitutes \
             an empty string (or fails with strict substitution)",
            owner.id,
            list_some(&missing, 10),
            if missing.len() == 1 { "it" } else { "them" },
        );
        let mut f = Finding::new(
            Code::VarUndefined,
            Severity::Warning,
            Some(owner.id.clone()),
            message,
        );
        f.files = ctx.files([node]);
        out.push(f);
    }
}

/// Unused inline variables are reported per Kustomization; unused shared ones per source object.
fn unused(ctx: &Ctx, out: &mut Vec<Finding>) {
    let used: BTreeSet<&str> = ctx.input.owners().flat_map(vars_used).collect();
    let mut by_source: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for node in 0..ctx.g.len() {
        let owner = ctx.owner(node);
        let mut inline_unused = Vec::new();
        for (name, def) in &owner.vars.defined {
            if used.contains(name.as_str()) {
                continue;
            }
            if def.source == INLINE {
                inline_unused.push(name.as_str());
            } else {
                by_source.entry(&def.source).or_default().insert(name);
            }
        }
        if !inline_unused.is_empty() {
            inline_unused.sort_unstable();
            let message = format!(
                "{} defines inline variable{} {} that nothing uses",
                owner.id,
                if inline_unused.len() == 1 { "" } else { "s" },
                list_some(&inline_unused, 10)
            );
            let mut f = Finding::new(
                Code::VarUnused,
                Severity::Info,
                Some(owner.id.clone()),
                message,
            );
            f.files = ctx.files([node]);
            out.push(f);
        }
    }
    for (source, names) in by_source {
        let names: Vec<&str> = names.into_iter().collect();
        let message = format!(
            "{source} defines variable{} {} that no Kustomization uses",
            if names.len() == 1 { "" } else { "s" },
            list_some(&names, 10)
        );
        let mut f = Finding::new(Code::VarUnused, Severity::Info, None, message);
        f.objects = vec![source.to_string()];
        out.push(f);
    }
}

/// The same name with different digests in different (non-inline) sources: which value a Kustomization
/// gets depends on which object it substitutes from. Inline values are per-Kustomization by design.
fn conflicts(ctx: &Ctx, out: &mut Vec<Finding>) {
    let mut defs: BTreeMap<&str, BTreeMap<&str, BTreeSet<&str>>> = BTreeMap::new();
    for owner in ctx.input.owners() {
        for (name, def) in &owner.vars.defined {
            if def.source != INLINE {
                defs.entry(name)
                    .or_default()
                    .entry(&def.source)
                    .or_default()
                    .insert(&def.digest);
            }
        }
    }
    for (name, sources) in defs {
        let digests: BTreeSet<&str> = sources.values().flatten().copied().collect();
        if sources.len() < 2 || digests.len() < 2 {
            continue;
        }
        let described: Vec<String> = sources
            .iter()
            .map(|(src, d)| {
                format!(
                    "{src} ({})",
                    d.iter().copied().collect::<Vec<_>>().join("/")
                )
            })
            .collect();
        let message = format!(
            "variable {name} has different values in {}",
            described.join(", ")
        );
        let mut f = Finding::new(Code::VarConflict, Severity::Warning, None, message);
        f.objects = sources.keys().map(|s| s.to_string()).collect();
        out.push(f);
    }
}
