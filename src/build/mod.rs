//! Building one Flux Kustomization: the kustomize-controller `build` step, in Flux's order.
//!
//! source artifact copy → generated/merged kustomization.yaml → decrypt sources → kustomize build
//! → per object: check identity, decrypt, substitute → expand lists → owner labels → normalize →
//! commonMetadata. Everything here is a function of its inputs; the engine decides when to call it.

mod finish;
mod origin;
mod path;

pub use finish::{expand_lists, finish_objects};
pub use path::secure_join;

use crate::decrypt::{self, DecryptContext};
use crate::flux::Kustomization;
use crate::kustomize::{KustomizeCommand, generate};
use crate::object;
use crate::postbuild::{self, VarLookup, VarsReport};
use crate::workspace::SourceTree;
use crate::yaml;
use serde_json::Value;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Everything a build needs besides the Kustomization itself.
pub struct BuildContext {
    pub kustomize: KustomizeCommand,
    pub strict_substitution: bool,
    pub decrypt: Arc<DecryptContext>,
    /// Where private copies of sources are made (same file system as the sources, ideally).
    pub scratch: Option<PathBuf>,
    /// Bounds concurrent subprocesses (`--jobs`); our own work runs outside it, overlapping.
    pub subprocess_slots: Arc<tokio::sync::Semaphore>,
}

/// A successful build.
#[derive(Debug, Default)]
pub struct BuildOutput {
    pub objects: Vec<Value>,
    /// Repository file each object came from (same index as `objects`), when kustomize knows it.
    pub files: Vec<Option<String>>,
    pub kustomize_time: Duration,
    pub warnings: Vec<String>,
    pub vars: VarsReport,
    /// Values that were SOPS-encrypted (kept for redaction, never printed).
    pub decrypted_values: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("kustomization path not found: stat {0}: no such file or directory")]
    PathNotFound(String),
    #[error("{0}")]
    Generate(#[from] generate::GenerateError),
    #[error("{0}")]
    Kustomize(#[from] crate::kustomize::KustomizeError),
    #[error("failed to decode Kubernetes apiVersion, kind and name from: {0}")]
    MissingIdentity(String),
    #[error("kustomize output is not valid YAML: {0}")]
    Output(String),
    #[error("{0}")]
    Decrypt(String),
    #[error("{0}")]
    Substitute(String),
    #[error("{0}")]
    Io(String),
}

/// Builds `ks` from `tree` (its source artifact). `lookup` finds substituteFrom objects.
pub async fn build_kustomization(
    ctx: &BuildContext,
    ks: &Kustomization,
    tree: Arc<SourceTree>,
    lookup: &VarLookup,
) -> Result<BuildOutput, BuildError> {
    let rel = secure_join(ks.spec.path.as_deref().unwrap_or(""));
    if !tree.root.join(&rel).is_dir() {
        return Err(BuildError::PathNotFound(path::display_spec_path(&rel)));
    }
    let scratch = match &ctx.scratch {
        Some(dir) => tempfile::tempdir_in(dir),
        None => tempfile::tempdir(),
    }
    .map_err(|e| BuildError::Io(format!("cannot create a temporary folder: {e}")))?;
    let work = scratch.path().to_path_buf();
    let dir = work.join(&rel);

    let prep = {
        let (tree, work, dir, spec) = (tree.clone(), work.clone(), dir.clone(), ks.spec.clone());
        let decrypt_ctx = ctx.decrypt.clone();
        let decryption = ks.decryption_enabled();
        tokio::task::spawn_blocking(move || -> Result<_, BuildError> {
            tree.materialize(&work)
                .map_err(|e| BuildError::Io(format!("cannot copy the source: {e}")))?;
            let generated = generate::write_kustomization(&dir, &spec, &work)?;
            let warnings = if decryption {
                decrypt::decrypt_sources(&decrypt_ctx, &dir, &work).map_err(BuildError::Decrypt)?
            } else {
                Vec::new()
            };
            Ok((generated, warnings))
        })
        .await
        .map_err(|e| BuildError::Io(e.to_string()))??
    };
    let (generated, mut warnings) = prep;

    let (stream, kustomize_time) = {
        let _slot = ctx
            .subprocess_slots
            .acquire()
            .await
            .map_err(|_| BuildError::Io("build cancelled".into()))?;
        ctx.kustomize.build(&dir, &work).await?
    };
    drop(scratch);

    let post = {
        let ks = ks.clone();
        let strict = ctx.strict_substitution;
        let decrypt_ctx = ctx.decrypt.clone();
        let lookup = lookup.clone();
        let rel = rel.clone();
        tokio::task::spawn_blocking(move || {
            process_stream(&stream, &ks, &rel, generated, &decrypt_ctx, &lookup, strict)
        })
        .await
        .map_err(|e| BuildError::Io(e.to_string()))??
    };
    warnings.extend(post.warnings);
    Ok(BuildOutput {
        objects: post.objects,
        files: post.files,
        kustomize_time,
        warnings,
        vars: post.vars,
        decrypted_values: post.decrypted_values,
    })
}

struct Processed {
    objects: Vec<Value>,
    files: Vec<Option<String>>,
    warnings: Vec<String>,
    vars: VarsReport,
    decrypted_values: Vec<String>,
}

/// Everything after `kustomize build`, in kustomize-controller's order.
fn process_stream(
    stream: &str,
    ks: &Kustomization,
    rel: &std::path::Path,
    generated: generate::Generated,
    decrypt_ctx: &DecryptContext,
    lookup: &VarLookup,
    strict: bool,
) -> Result<Processed, BuildError> {
    let docs = yaml::parse_documents(stream).map_err(|e| BuildError::Output(e.to_string()))?;
    let mut files = Vec::with_capacity(docs.len());
    let mut objects = Vec::with_capacity(docs.len());
    for mut doc in docs {
        if object::api_version(&doc).is_empty()
            || object::kind(&doc).is_empty()
            || (object::name(&doc).is_empty() && !object::kind(&doc).ends_with("List"))
        {
            return Err(BuildError::MissingIdentity(short(&doc)));
        }
        files.push(origin::take(
            &mut doc,
            rel,
            generated.keep_origin_annotations,
        ));
        objects.push(doc);
    }
    let mut warnings = Vec::new();
    let mut decrypted_values = Vec::new();
    let decryption = ks.decryption_enabled();
    for obj in objects.iter_mut() {
        let d = decrypt::decrypt_object(decrypt_ctx, obj, decryption, &ks.id)
            .map_err(BuildError::Decrypt)?;
        warnings.extend(d.warning);
        decrypted_values.extend(d.secret_values);
    }
    let vars = postbuild::substitute_all(&mut objects, ks, lookup, strict)
        .map_err(BuildError::Substitute)?;
    warnings.extend(vars.warnings.iter().cloned());
    let (objects, files) = expand_lists(objects, files);
    let objects = finish_objects(objects, ks);
    Ok(Processed {
        objects,
        files,
        warnings,
        vars,
        decrypted_values,
    })
}

fn short(doc: &Value) -> String {
    let s = doc.to_string();
    if s.len() > 200 {
        format!("{}...", &s[..s.floor_char_boundary(200)])
    } else {
        s
    }
}
