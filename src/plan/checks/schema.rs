//! Rendered objects against their schemas (what users run `kubeconform -strict` for): built-in
//! kinds against the OpenAPI schema of `--kube-version`, custom resources against the
//! `openAPIV3Schema` of their CRD found anywhere in the render (a Kustomization's or a chart's
//! `crds/`), then `--schema-location` folders. An object with no known schema is counted as not
//! checked (an info finding per owner), never as valid.

use std::collections::BTreeMap;

use super::{Code, Ctx, Finding, Severity, list_some};
use crate::model::ObjectKey;
use crate::schema::{Catalog, Checked, SkipReason};

/// How many violations one object's finding lists before "and N more".
const SHOWN_VIOLATIONS: usize = 5;

pub(super) fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    let Some(settings) = ctx.input.schema else {
        return;
    };
    let catalog = match catalog(ctx, settings) {
        Ok(catalog) => catalog,
        Err(message) => {
            out.push(Finding::new(
                Code::SchemaUnavailable,
                Severity::Warning,
                None,
                message,
            ));
            return;
        }
    };
    for node in 0..ctx.g.len() {
        let owner = ctx.owner(node);
        let mut unknown: BTreeMap<String, Vec<ObjectKey>> = BTreeMap::new();
        for rendered in &owner.objects {
            let key = rendered.key();
            match catalog.check(&rendered.object) {
                Checked::Valid => {}
                Checked::Invalid(found) => {
                    let mut lines: Vec<String> = found
                        .iter()
                        .take(SHOWN_VIOLATIONS)
                        .map(|v| format!("{}: {}", v.path, v.message))
                        .collect();
                    if found.len() > SHOWN_VIOLATIONS {
                        lines.push(format!("and {} more", found.len() - SHOWN_VIOLATIONS));
                    }
                    let file = rendered.origin.clone().or_else(|| ctx.file(node));
                    let message = format!("{key}: {}", lines.join("; "));
                    let mut f = Finding::new(
                        Code::SchemaInvalid,
                        settings.severity,
                        Some(ctx.id(node).clone()),
                        message,
                    );
                    f.objects = vec![key.to_string()];
                    f.files = file.into_iter().collect();
                    out.push(f);
                }
                Checked::Skipped(SkipReason::NoSchema { api_version, kind }) => {
                    unknown
                        .entry(format!("{api_version} {kind}"))
                        .or_default()
                        .push(key);
                }
                Checked::Skipped(SkipReason::MissingTypeMeta) => {}
                Checked::Error(e) => {
                    let message = format!("{key}: schema not usable: {e}");
                    out.push(Finding::new(
                        Code::SchemaUnavailable,
                        Severity::Warning,
                        Some(ctx.id(node).clone()),
                        message,
                    ));
                }
            }
        }
        if !unknown.is_empty() {
            let count: usize = unknown.values().map(Vec::len).sum();
            let types: Vec<String> = unknown.keys().cloned().collect();
            let message = format!(
                "{} not schema-checked (no schema for {})",
                crate::text::count(count, "object"),
                list_some(&types, 4)
            );
            let mut f = Finding::new(
                Code::SchemaSkipped,
                Severity::Info,
                Some(ctx.id(node).clone()),
                message,
            );
            f.objects = unknown
                .values()
                .flatten()
                .map(ToString::to_string)
                .collect();
            out.push(f);
        }
    }
}

/// The built-in schemas, every CRD the render holds, and the user's locations.
fn catalog(ctx: &Ctx, settings: &super::super::input::SchemaSettings) -> Result<Catalog, String> {
    let mut catalog = Catalog::builtin(settings.kube_version.as_deref())
        .map_err(|e| format!("built-in schemas: {e}"))?
        .with_locations(settings.locations.clone());
    for owner in ctx.input.owners() {
        for rendered in &owner.objects {
            if rendered.object.get("kind").and_then(|k| k.as_str())
                == Some("CustomResourceDefinition")
            {
                // A CRD that does not parse is reported by its own check, not here.
                let _ = catalog.learn_crd(&rendered.object);
            }
        }
    }
    Ok(catalog)
}
