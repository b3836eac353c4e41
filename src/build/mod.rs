//! Building one Flux Kustomization: the kustomize-controller `build` step, in Flux's order.
//!
//! source artifact copy → generated/merged kustomization.yaml → decrypt sources → kustomize build
//! → per object: check identity, decrypt, substitute → expand lists → owner labels → normalize →
//! commonMetadata. Everything here is a function of its inputs; the engine decides when to call it.

mod ahead;
mod duplicate_id;
mod fast_patch;
mod finish;
mod origin;

use crate::workspace::{display_spec_path, secure_join};
pub use fast_patch::FastPatch;
pub use finish::{expand_lists, finish_objects};

use crate::cache::{Key, KeyBuilder, Store, digest_files, kustomize_read_set};
use crate::decrypt::{self, DecryptContext};
use crate::flux::Kustomization;
use crate::kustomize::{self, KustomizeCommand, generate};
use crate::model::{Diagnostic, RenderedObject, SecretValue};
use crate::object;
use crate::postbuild::{self, VarLookup, VarsReport};
use crate::select::{ChangeReach, Decide, Role, Selection};
use crate::workspace::SourceTree;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Everything a build needs besides the Kustomization itself.
pub struct BuildContext {
    pub kustomize: KustomizeCommand,
    pub strict_substitution: bool,
    pub decrypt: Arc<DecryptContext>,
    /// Where private copies of sources without secrets are made (this run's folder next to the
    /// cache: same file system as the sources, ideally, for hard links).
    pub scratch: Option<PathBuf>,
    /// Where copies that decryption writes plaintext into are made (memory-backed if possible).
    pub private: PathBuf,
    /// Keeps both folders until the last build is done.
    pub run_dir: Arc<crate::rundir::RunDir>,
    /// Bounds concurrent subprocesses (`--jobs`); our own work runs outside it, overlapping.
    pub subprocess_slots: Arc<tokio::sync::Semaphore>,
    /// Persistent build cache (None with `--no-cache`).
    pub cache: Option<Arc<Store>>,
    /// What identifies the kustomize program in cache keys (path, size, modification time).
    pub kustomize_identity: String,
    /// Apply the top kustomization's patches on custom resources in fluxsim (`--no-fast-patch`
    /// turns it off).
    pub fast_patch: bool,
    /// Which hosts the remote resources kustomize fetches may name (`--network`).
    pub network: crate::net::NetworkPolicy,
    /// Build the children a parent declares while it builds (`--build-ahead`, see [`ahead`]).
    pub build_ahead: bool,
    pub ahead: ahead::Ahead,
}

impl BuildContext {
    /// The context of one run: caches under `opts.cache_dir` unless `--no-cache`, private
    /// copies in `run_dir`.
    pub fn new(
        opts: &crate::pipeline::RunOptions,
        kustomize: KustomizeCommand,
        decrypt: DecryptContext,
        subprocess_slots: Arc<tokio::sync::Semaphore>,
        run_dir: Arc<crate::rundir::RunDir>,
    ) -> BuildContext {
        let cache = if opts.no_cache {
            None
        } else {
            Store::open(&opts.cache_dir).ok().map(Arc::new)
        };
        BuildContext {
            kustomize_identity: kustomize.identity(),
            kustomize,
            strict_substitution: opts.strict_substitution,
            decrypt: Arc::new(decrypt),
            scratch: Some(run_dir.scratch().to_path_buf()),
            private: run_dir.private().to_path_buf(),
            run_dir,
            subprocess_slots,
            cache,
            fast_patch: opts.fast_patch,
            network: opts.network.policy,
            build_ahead: opts.build_ahead && opts.jobs > 1,
            ahead: ahead::Ahead::default(),
        }
    }
}

/// A successful build.
#[derive(Debug, Default)]
pub struct BuildOutput {
    pub objects: Vec<RenderedObject>,
    pub kustomize_time: Duration,
    /// Time spent waiting for a subprocess slot.
    pub queued: Duration,
    /// Whether the deferred-patch fast path was taken.
    pub fast_patch: FastPatch,
    pub warnings: Vec<Diagnostic>,
    pub vars: VarsReport,
    /// Values that were SOPS-encrypted, in source files and objects (kept for redaction, never
    /// printed).
    pub decrypted_values: Vec<SecretValue>,
    /// Keys that would open what stayed encrypted (its objects or the variables it read).
    pub needs_key: Vec<String>,
    /// The kustomize output came from the persistent cache.
    pub from_cache: bool,
    /// Changed-only mode: which of the Kustomizations it produces may differ from the base.
    pub reach: ChangeReach,
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
    Output(#[from] crate::yaml::YamlError),
    /// The deferred patches did not apply (the build falls back to kustomize).
    #[error(transparent)]
    Deferred(#[from] crate::kustomize::deferred::DeferError),
    #[error(transparent)]
    Decrypt(#[from] decrypt::DecryptError),
    #[error(transparent)]
    Substitute(#[from] postbuild::SubstituteError),
    #[error("cannot {doing}: {source}")]
    Io {
        doing: &'static str,
        #[source]
        source: std::io::Error,
    },
    /// A task of the build panicked or the run was cancelled.
    #[error("the build was interrupted: {0}")]
    Interrupted(String),
    /// A remote resource kustomize would fetch from a host the network policy refuses.
    #[error(transparent)]
    Network(#[from] crate::net::remote::RemoteRefused),
    /// A read outside the source root, refused as kustomize-controller's secure file system
    /// refuses it (fluxcd/pkg `kustomize/filesys/fs_secure.go`).
    #[error("security; file '{}' is not in or below '{}' ({at})", file.display(), root.display())]
    Security {
        file: PathBuf,
        root: PathBuf,
        at: String,
    },
}

/// Changed-only mode's view of one build: see [`crate::select`].
#[derive(Clone)]
pub struct SelectInput {
    pub selection: Arc<Selection>,
    pub inherited: bool,
    pub no_skip: bool,
    /// Decide only: its substituteFrom objects were not found, and only an unchanged verdict
    /// (which needs no variables) ends it; any other verdict returns [`Built::NeedsVars`].
    pub probe: bool,
}

/// A build, or the decision not to run it.
pub enum Built {
    Output(Box<BuildOutput>, Role),
    Unchanged(Skipped),
    /// A probe found the build is needed; it must wait for its variables after all.
    NeedsVars,
}

/// What an unbuilt Kustomization reads, kept to search for names later.
#[derive(Debug, Clone)]
pub struct Skipped {
    /// Absolute paths.
    pub files: Vec<PathBuf>,
    /// The kustomization it would build.
    pub top: Value,
}

impl Skipped {
    /// Whether its files name (as a `name:` value) one of `names`.
    pub fn names(&self, names: &[&str]) -> bool {
        let find = [crate::select::Find::Names(names)];
        crate::select::mentions_all(Path::new("/"), &self.files, &self.top, &find)
    }

    /// Whether it must be built after all for what selected owners need.
    pub fn wanted_by(&self, needles: &crate::select::InputNeedles) -> bool {
        needles.named_in(Path::new("/"), &self.files, &self.top)
    }
}

/// Builds `ks` from `tree` (its source artifact). `lookup` finds substituteFrom objects. In
/// changed-only mode `select` first decides whether the build is needed at all.
pub async fn build_kustomization(
    ctx: &Arc<BuildContext>,
    ks: &Kustomization,
    tree: Arc<SourceTree>,
    lookup: &VarLookup,
    select: Option<SelectInput>,
) -> Result<Built, BuildError> {
    let rel = secure_join(ks.spec.path.as_deref().unwrap_or(""));
    if !tree.root.join(&rel).is_dir() {
        return Err(BuildError::PathNotFound(display_spec_path(&rel)));
    }
    confine_spec_path(&tree.root, &rel)?;
    let probe = select.as_ref().is_some_and(|s| s.probe);
    let mut prepared = prepare_off_thread(ctx, ks, &tree, &rel, select, probe).await?;
    let role = prepared.role;
    if role == Role::Unchanged {
        let files = prepared.read_set.iter().flatten();
        return Ok(Built::Unchanged(Skipped {
            files: files.map(|f| tree.root.join(f)).collect(),
            top: prepared.planned.content,
        }));
    }
    if probe {
        return Ok(Built::NeedsVars);
    }
    let generated = prepared.planned.generated;
    let (docs, fast_patch, ran) = documents(ctx, ks, &tree, &rel, &mut prepared).await?;
    let mut warnings = ran.warnings;
    let source_values = ran.decrypted_values;
    let post = {
        let ks = ks.clone();
        let strict = ctx.strict_substitution;
        let decrypt_ctx = ctx.decrypt.clone();
        let lookup = lookup.clone();
        let rel = rel.clone();
        tokio::task::spawn_blocking(move || {
            process_stream(docs, &ks, &rel, generated, &decrypt_ctx, &lookup, strict)
        })
        .await
        .map_err(|e| BuildError::Interrupted(e.to_string()))??
    };
    warnings.extend(post.warnings);
    let mut decrypted_values = source_values;
    decrypted_values.extend(post.decrypted_values);
    let out = BuildOutput {
        objects: post.objects,
        kustomize_time: ran.elapsed,
        queued: ran.queued,
        fast_patch,
        warnings,
        vars: post.vars,
        decrypted_values,
        needs_key: post.needs_key,
        from_cache: prepared.cached_hit,
        reach: prepared.reach,
    };
    Ok(Built::Output(Box::new(out), role))
}

/// [`prepare`] on a blocking thread (it reads files), with changed-only mode's decision.
async fn prepare_off_thread(
    ctx: &BuildContext,
    ks: &Kustomization,
    tree: &Arc<SourceTree>,
    rel: &Path,
    select: Option<SelectInput>,
    probe: bool,
) -> Result<Prepared, BuildError> {
    let (tree, rel, spec) = (tree.clone(), rel.to_path_buf(), ks.spec.clone());
    let key_ctx = (
        ctx.cache.clone(),
        ctx.kustomize_identity.clone(),
        ctx.decrypt.clone(),
    );
    let decryption = ks.decryption_enabled();
    let id = ks.id.clone();
    let fast = ctx.fast_patch;
    tokio::task::spawn_blocking(move || {
        let decide = |planned: &kustomize::Planned, read_set: Option<&[PathBuf]>| {
            select
                .as_ref()
                .map_or((Role::Selected, ChangeReach::All), |s| {
                    s.selection.decide(&Decide {
                        id: &id,
                        root: &tree.root,
                        dir: &rel,
                        read_set,
                        top: &planned.content,
                        inherited: s.inherited,
                        no_skip: s.no_skip,
                    })
                })
        };
        prepare(
            &tree,
            &rel,
            &spec,
            decryption,
            key_ctx,
            decide,
            (probe, fast),
        )
    })
    .await
    .map_err(|e| BuildError::Interrupted(e.to_string()))?
}

/// kustomize's documents for `prepared`: from the persistent cache, from a build ahead, or
/// from running kustomize (which starts building the likely children ahead).
async fn documents(
    ctx: &Arc<BuildContext>,
    ks: &Kustomization,
    tree: &Arc<SourceTree>,
    rel: &Path,
    prepared: &mut Prepared,
) -> Result<(Vec<Value>, FastPatch, Ran), BuildError> {
    let ahead = match (&prepared.cached, &prepared.key) {
        (None, Some(key)) => ctx.ahead.take(key).await,
        _ => None,
    };
    Ok(match (prepared.cached.take(), ahead) {
        (Some(docs), _) => (docs, FastPatch::NotTried, Ran::default()),
        (None, Some(built)) => {
            keep(ctx, prepared, &built.docs);
            let built = Arc::unwrap_or_clone(built);
            (built.docs, built.fast_patch, Ran::default())
        }
        (None, None) => {
            for remote in &prepared.remote {
                crate::net::remote::check(&remote.at, &remote.entry, ctx.network).await?;
            }
            if ctx.build_ahead {
                if let Some(key) = prepared.key {
                    ctx.ahead.building(key);
                }
                let children = ahead::guess_children(tree, prepared);
                if !children.is_empty() {
                    tokio::spawn(ahead::build(ctx.clone(), tree.clone(), children));
                }
            }
            let mut ran = run_kustomize(ctx, ks, tree, rel, prepared, false).await?;
            let stream = std::mem::take(&mut ran.stream);
            let (docs, fast_patch, rerun) =
                fast_patch::documents(ctx, ks, tree, rel, prepared, stream).await?;
            let ran = match fast_patch {
                FastPatch::FellBack(_) => ran.then(rerun),
                _ => ran,
            };
            // Never keep decrypted plaintext on disk.
            if !ran.decrypted {
                keep(ctx, prepared, &docs);
            }
            (docs, fast_patch, ran)
        }
    })
}

/// Writes kustomize's documents for `prepared` to the persistent cache, when there is one.
fn keep(ctx: &BuildContext, prepared: &Prepared, docs: &[Value]) {
    if let (Some(store), Some(key)) = (&ctx.cache, &prepared.key)
        && let Ok(json) = serde_json::to_vec(docs)
    {
        let _ = store.put(KUSTOMIZE_BUCKET, key, &json);
    }
}

/// `spec.path` is cleaned lexically; a symlink on it, or a symlinked kustomization file in it
/// (which the generator reads before kustomize runs), must not lead out of the source either.
fn confine_spec_path(root: &Path, rel: &Path) -> Result<(), BuildError> {
    let dir = root.join(rel);
    let is_link = |p: &Path| std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink());
    // Cheap first: only a symlink on the way makes canonicalizing worth it.
    let mut linked: Vec<(PathBuf, &str)> = Vec::new();
    if crate::workspace::artifact_path(root, &rel.to_string_lossy()).is_none() {
        linked.push((dir.clone(), "spec.path"));
    }
    for name in crate::cache::KUSTOMIZATION_FILE_NAMES {
        if is_link(&dir.join(name)) {
            linked.push((dir.join(name), "kustomization file"));
        }
    }
    let Some(real_root) = (!linked.is_empty())
        .then(|| root.canonicalize().ok())
        .flatten()
    else {
        return Ok(());
    };
    for (path, what) in linked {
        if let Ok(real) = path.canonicalize()
            && !real.starts_with(&real_root)
        {
            return Err(BuildError::Security {
                file: real,
                root: root.to_path_buf(),
                at: format!("{what} of {}", display_spec_path(rel)),
            });
        }
    }
    Ok(())
}

/// The kustomization to build, what it reads, and a cached result when there is one.
struct Prepared {
    planned: kustomize::Planned,
    /// Files kustomize reads (relative to the source root), when they can all be known.
    read_set: Option<Vec<PathBuf>>,
    /// What kustomize would fetch itself.
    remote: Vec<crate::cache::RemoteEntry>,
    key: Option<Key>,
    /// kustomize's documents (deferred patches applied) from the cache.
    cached: Option<Vec<Value>>,
    cached_hit: bool,
    role: Role,
    reach: ChangeReach,
    /// The deferred patches, when kustomize runs `planned` without them.
    split: Option<fast_patch::Split>,
}

type KeyContext = (Option<Arc<Store>>, String, Arc<DecryptContext>);

/// kustomize's output for a kustomization, as the JSON array of its documents with any deferred
/// patches applied: a warm run neither plans the fast path again nor parses YAML.
const KUSTOMIZE_BUCKET: &str = "kustomize-docs-v1";

fn prepare(
    tree: &SourceTree,
    rel: &Path,
    spec: &crate::flux::KustomizationSpec,
    decryption: bool,
    (cache, identity, decrypt_ctx): KeyContext,
    decide: impl Fn(&kustomize::Planned, Option<&[PathBuf]>) -> (Role, ChangeReach),
    (probe, fast): (bool, bool),
) -> Result<Prepared, BuildError> {
    let dir = tree.root.join(rel);
    let planned = kustomize::plan_kustomization(&dir, spec, &tree.root, &|p| tree.includes(p))?;
    let rs = kustomize_read_set(&tree.root, rel, &planned.content, &|p| tree.kind(p));
    if let Some(escape) = rs.escapes.into_iter().next() {
        return Err(BuildError::Security {
            file: escape.file,
            root: tree.root.clone(),
            at: escape.at,
        });
    }
    let remote = rs.remote;
    let read_set = rs.complete.then_some(rs.files);
    let (role, reach) = decide(&planned, read_set.as_deref());
    if role == Role::Unchanged || probe {
        // Not built (now): no key to compute, no cache entry to read.
        return Ok(Prepared {
            planned,
            read_set,
            remote,
            key: None,
            cached: None,
            cached_hit: false,
            role,
            reach,
            split: None,
        });
    }
    // The key is the full kustomization's: the fast path gives kustomize's documents exactly,
    // and `fast` keeps --no-fast-patch (for bisecting) from reading what the fast path wrote.
    // Computed without a cache too: builds ahead are found by it (see [`ahead`]).
    let key = match &read_set {
        Some(files) => digest_files(&tree.root, files).ok().map(|digest| {
            let mut k = KeyBuilder::new("kustomize-docs")
                .text("kustomize", &identity)
                .text("dir", &rel.to_string_lossy())
                .json("kustomization", &planned.content)
                .text("fast-patch", if fast { "on" } else { "off" })
                .key("files", &digest);
            if decryption {
                k = k.text("age", &decrypt_ctx.keys.recipients().join(","));
            }
            k.finish()
        }),
        _ => None,
    };
    let cached: Option<Vec<Value>> = match (&cache, &key) {
        (Some(store), Some(key)) => store
            .get(KUSTOMIZE_BUCKET, key)
            .and_then(|b| serde_json::from_slice(&b).ok()),
        _ => None,
    };
    let (planned, split) = match cached {
        Some(_) => (planned, None),
        None => fast_patch::split(fast, planned, &tree.root, read_set.as_deref()),
    };
    Ok(Prepared {
        planned,
        read_set,
        remote,
        key,
        cached_hit: cached.is_some(),
        cached,
        role,
        reach,
        split,
    })
}

/// One kustomize run: its output, how long it ran and waited for a slot, and decryption warnings.
#[derive(Debug, Default)]
struct Ran {
    stream: String,
    elapsed: Duration,
    queued: Duration,
    warnings: Vec<Diagnostic>,
    /// Files were decrypted for it (its output is never cached).
    decrypted: bool,
    /// The values decrypted from those files.
    decrypted_values: Vec<SecretValue>,
}

impl Ran {
    /// This run followed by `rerun` (the fallback of the fast path): the rerun's output and
    /// warnings, both runs' times.
    fn then(self, rerun: Ran) -> Ran {
        Ran {
            stream: rerun.stream,
            elapsed: self.elapsed + rerun.elapsed,
            queued: self.queued + rerun.queued,
            warnings: rerun.warnings,
            decrypted: self.decrypted || rerun.decrypted,
            decrypted_values: rerun.decrypted_values,
        }
    }
}

/// Materializes what the build reads in a private folder, decrypts, runs kustomize, caches.
/// `ahead` (a guessed child, see [`ahead`]) takes a job slot only if one is free now.
async fn run_kustomize(
    ctx: &BuildContext,
    ks: &Kustomization,
    tree: &Arc<SourceTree>,
    rel: &Path,
    prepared: &Prepared,
    ahead: bool,
) -> Result<Ran, BuildError> {
    // Decryption writes plaintext into the copy: it goes to the private (memory) folder.
    let scratch = match (&ctx.scratch, ks.decryption_enabled()) {
        (_, true) => tempfile::tempdir_in(&ctx.private),
        (Some(dir), false) => tempfile::tempdir_in(dir),
        (None, false) => tempfile::tempdir(),
    }
    .map_err(|source| BuildError::Io {
        doing: "create a temporary folder",
        source,
    })?;
    let work = scratch.path().to_path_buf();
    let dir = work.join(rel);
    let sources = {
        let (tree, work, dir) = (tree.clone(), work.clone(), dir.clone());
        let (planned, read_set) = (prepared.planned.clone(), prepared.read_set.clone());
        let decrypt_ctx = ctx.decrypt.clone();
        let decryption = ks.decryption_enabled();
        tokio::task::spawn_blocking(move || -> Result<_, BuildError> {
            let copied = match &read_set {
                Some(files) => tree.materialize_files(&work, files),
                None => tree.materialize(&work),
            };
            copied.map_err(|source| BuildError::Io {
                doing: "copy the source",
                source,
            })?;
            kustomize::write_planned(&dir, &planned).map_err(|source| BuildError::Io {
                doing: "write the kustomization",
                source,
            })?;
            if !decryption {
                return Ok(decrypt::DecryptedSources::default());
            }
            Ok(decrypt::decrypt_sources(&decrypt_ctx, &dir, &work)?)
        })
        .await
        .map_err(|e| BuildError::Interrupted(e.to_string()))??
    };
    let waiting = std::time::Instant::now();
    let (stream, elapsed, queued) = {
        let _slot = if ahead {
            ctx.subprocess_slots
                .try_acquire()
                .map_err(|_| BuildError::Interrupted("no free job slot".into()))?
        } else {
            let _waiting = ctx.ahead.waiting();
            ctx.subprocess_slots
                .acquire()
                .await
                .map_err(|_| BuildError::Interrupted("cancelled".into()))?
        };
        let queued = waiting.elapsed();
        let (stream, elapsed) = ctx
            .kustomize
            .build(&dir, &work)
            .await
            .map_err(|e| name_duplicate_sources(e, tree, prepared))?;
        (stream, elapsed, queued)
    };
    drop(scratch);
    let warnings = sources
        .warnings
        .into_iter()
        .map(Diagnostic::warning)
        .collect();
    Ok(Ran {
        stream,
        elapsed,
        queued,
        warnings,
        decrypted: sources.decrypted,
        decrypted_values: sources.values,
    })
}

/// A duplicate-id failure names every file that defines the id (kustomize names one).
fn name_duplicate_sources(
    e: crate::kustomize::KustomizeError,
    tree: &SourceTree,
    prepared: &Prepared,
) -> crate::kustomize::KustomizeError {
    use crate::kustomize::KustomizeError;
    match (e, &prepared.read_set) {
        (KustomizeError::Failed { dir, message }, Some(files)) => {
            let message =
                duplicate_id::name_sources(&message, &tree.root, files).unwrap_or(message);
            KustomizeError::Failed { dir, message }
        }
        (e, _) => e,
    }
}

struct Processed {
    objects: Vec<RenderedObject>,
    warnings: Vec<Diagnostic>,
    vars: VarsReport,
    decrypted_values: Vec<SecretValue>,
    needs_key: Vec<String>,
}

/// Everything after `kustomize build`, in kustomize-controller's order.
fn process_stream(
    docs: Vec<Value>,
    ks: &Kustomization,
    rel: &std::path::Path,
    generated: generate::Generated,
    decrypt_ctx: &DecryptContext,
    lookup: &VarLookup,
    strict: bool,
) -> Result<Processed, BuildError> {
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
    let mut needs_key = Vec::new();
    for (obj, origin) in objects.iter_mut().zip(&files) {
        let d = decrypt::decrypt_object(decrypt_ctx, obj, decryption, origin.as_deref())
            .map_err(BuildError::Decrypt)?;
        warnings.extend(d.warning.map(Diagnostic::warning));
        needs_key.extend(d.needs_key);
        decrypted_values.extend(d.secret_values);
    }
    let vars = postbuild::substitute_all(&mut objects, ks, lookup, strict)
        .map_err(BuildError::Substitute)?;
    warnings.extend(vars.warnings.iter().cloned());
    let objects = objects
        .into_iter()
        .zip(files)
        .map(|(o, f)| RenderedObject::new(o, f))
        .collect();
    let objects = finish_objects(expand_lists(objects), ks);
    needs_key.extend(vars.needs_key.iter().cloned());
    needs_key.sort();
    needs_key.dedup();
    Ok(Processed {
        objects,
        warnings,
        vars,
        decrypted_values,
        needs_key,
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
