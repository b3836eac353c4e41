//! Namespaces an owner's objects live in that neither the owner nor anything it (transitively) waits for
//! creates: on a cold bootstrap the apply fails with "namespaces \"x\" not found".

use std::collections::{BTreeMap, BTreeSet};

use super::{Code, Ctx, Finding, Severity, list_some};
use crate::graph::objects::PREEXISTING_NAMESPACES;
use crate::graph::spec::created_namespace;

pub(super) fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    let n = ctx.g.len();
    // Namespace name → owners creating it (a v1 Namespace object, or HR install.createNamespace).
    let mut creators: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let created: Vec<Option<String>> = (0..n).map(|i| created_namespace(ctx.owner(i))).collect();
    for (node, created) in created.iter().enumerate() {
        for key in &ctx.g.catalog.keys[node] {
            if key.group.is_empty() && key.kind == "Namespace" {
                creators.entry(&key.name).or_default().push(node);
            }
        }
        if let Some(ns) = created {
            creators.entry(ns).or_default().push(node);
        }
    }
    for node in 0..n {
        let mut used: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for key in &ctx.g.catalog.keys[node] {
            if !key.namespace.is_empty()
                && !PREEXISTING_NAMESPACES.contains(&key.namespace.as_str())
            {
                used.entry(&key.namespace)
                    .or_default()
                    .push(key.described());
            }
        }
        for (ns, objects) in used {
            let makers = creators.get(ns).map(Vec::as_slice).unwrap_or(&[]);
            if makers
                .iter()
                .any(|&m| m == node || ctx.reach.depends_on(node, m))
            {
                continue;
            }
            let hint = if makers.is_empty() {
                "nothing in this cluster creates it".to_string()
            } else {
                let names: BTreeSet<String> = makers.iter().map(|&m| ctx.describe(m)).collect();
                format!(
                    "it is created by {}, which this owner does not depend on",
                    names.into_iter().collect::<Vec<_>>().join(" and ")
                )
            };
            let message = format!(
                "{} puts {} in namespace {ns}, but {hint}: on a cold bootstrap the apply fails with \
                 'namespaces \"{ns}\" not found'",
                ctx.describe(node),
                list_some(&objects, 3),
            );
            let mut f = Finding::new(
                Code::NamespaceMissing,
                Severity::Warning,
                Some(ctx.id(node).clone()),
                message,
            );
            f.objects = objects;
            f.files = ctx.files(std::iter::once(node).chain(makers.iter().copied()));
            out.push(f);
        }
    }
}
