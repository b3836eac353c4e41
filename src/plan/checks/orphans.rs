//! Flux Kustomization/HelmRelease files that no owner in the cluster comes from (orphans).

use super::{Code, Ctx, Finding, Severity};
use crate::model::{FluxFile, OwnerRecord as Owner};

/// An owner matches a file when the kinds agree and its file is that path (kustomize includes
/// files whole, and names in the file may still hold `${VAR}`s or get a prefix), or, when its
/// file is unknown, when the name and the namespace (if the document names one) agree.
fn matches(owner: &Owner, file: &FluxFile) -> bool {
    if owner.id.kind != file.kind {
        return false;
    }
    match &owner.file {
        Some(path) => path == &file.path,
        None if owner.id.name != file.name => false,
        None => file
            .namespace
            .as_ref()
            .is_none_or(|ns| *ns == owner.id.namespace),
    }
}

pub(super) fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    // A failed render may hide the Kustomization that applies the file: demote to info then.
    let any_failed = ctx.input.owners().any(|o| o.outcome.is_failure());
    let mut files: Vec<&FluxFile> = ctx.input.flux_files.iter().collect();
    files.sort_by(|a, b| {
        (&a.path, a.kind, &a.namespace, &a.name).cmp(&(&b.path, b.kind, &b.namespace, &b.name))
    });
    files.dedup();
    for file in files {
        if ctx.input.owners().any(|o| matches(o, file)) {
            continue;
        }
        let what = match &file.namespace {
            Some(ns) => format!("{} {ns}/{}", file.kind, file.name),
            None => format!("{} {}", file.kind, file.name),
        };
        let (severity, note) = if any_failed {
            (
                Severity::Info,
                "; a Kustomization failed to render, so it may be referenced from there",
            )
        } else {
            (Severity::Warning, "")
        };
        let message = format!(
            "{what} in {} is not applied by any Kustomization of this cluster (orphan){note}",
            file.path
        );
        let mut f = Finding::new(Code::OrphanFile, severity, None, message);
        f.objects = vec![what];
        f.files = vec![file.path.clone()];
        out.push(f);
    }
}
