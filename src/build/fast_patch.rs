//! The deferred-patch fast path of one build (see [`crate::kustomize::deferred`]): kustomize runs
//! the kustomization without the patches it would need its OpenAPI schema for, the patches are
//! applied to its output, and any failure there reruns kustomize on the full
//! kustomization, so the result is always kustomize's.

use super::{BuildError, Prepared, run_kustomize};
use crate::flux::Kustomization;
use crate::kustomize::Planned;
use crate::kustomize::deferred::{self, DeferredPatches};
use crate::workspace::SourceTree;
use crate::yaml;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What the fast path did for one build.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum FastPatch {
    /// Not attempted: disabled, or the kustomization's patches cannot be deferred.
    #[default]
    NotTried,
    /// kustomize ran without the deferred patches; fluxsim applied them.
    Applied,
    /// Applying the deferred patches failed (the reason); kustomize ran the full kustomization.
    FellBack(String),
}

/// The deferred patches of a build and the full kustomization to fall back to.
pub(super) struct Split {
    pub deferred: DeferredPatches,
    pub full: Planned,
}

/// The kustomization kustomize should run, and what was taken out of it.
pub(super) fn split(
    enabled: bool,
    planned: Planned,
    root: &Path,
    read_set: Option<&[PathBuf]>,
) -> (Planned, Option<Split>) {
    let Some(files) = read_set.filter(|_| enabled) else {
        return (planned, None);
    };
    match deferred::defer(&planned, root, files) {
        Ok((reduced, deferred)) => (
            reduced,
            Some(Split {
                deferred,
                full: planned,
            }),
        ),
        Err(_) => (planned, None),
    }
}

/// kustomize's output documents for the full kustomization: the reduced build's with the
/// deferred patches applied, or a rerun of kustomize when that fails.
pub(super) async fn documents(
    ctx: &super::BuildContext,
    ks: &Kustomization,
    tree: &Arc<SourceTree>,
    rel: &Path,
    prepared: &Prepared,
    stream: String,
) -> Result<(Vec<Value>, FastPatch, super::Ran), BuildError> {
    let parsed = yaml::parse_documents(&stream).map_err(BuildError::Output);
    let Some(split) = &prepared.split else {
        return Ok((parsed?, FastPatch::NotTried, super::Ran::default()));
    };
    let applied = parsed.and_then(|mut docs| {
        deferred::apply(&split.deferred, &mut docs)
            .map(|()| docs)
            .map_err(BuildError::Deferred)
    });
    let reason = match applied {
        Ok(docs) => return Ok((docs, FastPatch::Applied, super::Ran::default())),
        Err(e) => e.to_string(),
    };
    let full = Prepared {
        planned: split.full.clone(),
        read_set: prepared.read_set.clone(),
        remote: prepared.remote.clone(),
        key: None,
        cached: None,
        cached_hit: false,
        role: prepared.role,
        reach: prepared.reach.clone(),
        split: None,
    };
    let ran = run_kustomize(ctx, ks, tree, rel, &full, false).await?;
    let docs = yaml::parse_documents(&ran.stream)?;
    Ok((docs, FastPatch::FellBack(reason), ran))
}
