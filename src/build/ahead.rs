//! Builds ahead: while a parent's kustomize runs, the child Kustomizations its files declare
//! are built on the job slots nobody uses.
//!
//! A cold run starts with a chain: the root builds, then the Kustomization that lists every
//! app (often patching every child), and only then do the children exist. On 2 cores one slot
//! idles for that whole chain (about 0.14 s of a 0.8 s onedr0p run). The children are in the
//! parent's read set already (`ks.yaml` files), so fluxsim guesses them: each Flux
//! Kustomization document there, with the parent's deferred patches applied. A guess is built
//! only while a slot is free and only up to kustomize's documents; the result is kept in memory
//! under the persistent cache's key (kustomize identity, folder, the full generated
//! kustomization, every file read, their digests). A real build with that exact key takes it,
//! so a wrong guess costs an idle slot's time and never changes an object.

use super::fast_patch::{self, FastPatch};
use super::{BuildContext, BuildError, Prepared, prepare_off_thread, run_kustomize};
use crate::cache::Key;
use crate::flux::Kustomization;
use crate::kustomize::deferred;
use crate::workspace::{SourceTree, secure_join};
use serde_json::Value;
use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

/// kustomize's documents for a key, built ahead.
#[derive(Debug, Clone)]
pub(super) struct AheadDocs {
    pub docs: Vec<Value>,
    pub fast_patch: FastPatch,
}

/// `None` while building; then the documents, or `None` when the build gave up.
type Slot = watch::Receiver<Option<Option<Arc<AheadDocs>>>>;

/// Builds ahead of this run, by key.
#[derive(Debug, Default)]
pub struct Ahead {
    built: Mutex<HashMap<Key, Slot>>,
    /// kustomize time of builds ahead (they count in the run's subprocess time).
    kustomize_time: Mutex<Duration>,
    /// How many real builds took a build ahead.
    taken: AtomicUsize,
    /// Real builds waiting for a job slot: while there are any, nothing is built ahead.
    waiting: AtomicUsize,
    /// The Kustomizations are done: nothing more is built ahead (helm renders need the slots).
    stopped: AtomicBool,
}

impl Ahead {
    /// The documents built ahead for `key`, waiting for a build in progress; None when there
    /// was none or it gave up.
    pub(super) async fn take(&self, key: &Key) -> Option<Arc<AheadDocs>> {
        let mut slot = self.built.lock().ok()?.get(key).cloned()?;
        let docs = slot.wait_for(Option::is_some).await.ok()?.clone().flatten();
        if docs.is_some() {
            self.taken.fetch_add(1, Ordering::SeqCst);
        }
        docs
    }

    /// Claims `key` for a build ahead; None when it is claimed already.
    fn claim(&self, key: Key) -> Option<watch::Sender<Option<Option<Arc<AheadDocs>>>>> {
        let mut built = self.built.lock().ok()?;
        if built.contains_key(&key) {
            return None;
        }
        let (tx, rx) = watch::channel(None);
        built.insert(key, rx);
        Some(tx)
    }

    /// Marks `key` as built for real: it is not built ahead.
    pub(super) fn building(&self, key: Key) {
        if let Ok(mut built) = self.built.lock() {
            built
                .entry(key)
                .or_insert_with(|| watch::channel(Some(None)).1);
        }
    }

    /// Nothing more is started ahead (builds ahead already running finish).
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
    }

    /// Marks a real build waiting for a job slot until the guard drops.
    pub(super) fn waiting(&self) -> Waiting<'_> {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        Waiting(&self.waiting)
    }

    /// A job slot is free now and no real build waits for one; waits while the only thing
    /// missing is a free slot.
    async fn slot_free_for_us(&self, slots: &tokio::sync::Semaphore) -> bool {
        loop {
            if self.waiting.load(Ordering::SeqCst) > 0 || self.stopped.load(Ordering::SeqCst) {
                return false;
            }
            if slots.available_permits() > 0 {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    /// Summed kustomize time of the builds ahead.
    pub fn kustomize_time(&self) -> Duration {
        self.kustomize_time.lock().map(|t| *t).unwrap_or_default()
    }

    /// How many real builds used a build ahead.
    pub fn taken(&self) -> usize {
        self.taken.load(Ordering::SeqCst)
    }
}

/// A real build waiting for a job slot (see [`Ahead::waiting`]).
pub(super) struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The children `prepared` (the parent's build) will probably produce: the Flux Kustomization
/// documents of the files it reads, with its deferred patches applied. Guesses whose text asks
/// for substitution (`${`) are left out: the parent's postBuild would change them.
pub(super) fn guess_children(tree: &SourceTree, prepared: &Prepared) -> Vec<Kustomization> {
    let Some(files) = &prepared.read_set else {
        return Vec::new();
    };
    let mut docs: Vec<Value> = Vec::new();
    for file in files {
        let Ok(text) = std::fs::read_to_string(tree.root.join(file)) else {
            continue;
        };
        if !text.contains("kustomize.toolkit.fluxcd.io") || text.contains("${") {
            continue;
        }
        if let Ok(parsed) = crate::yaml::parse_documents(&text) {
            docs.extend(parsed.into_iter().filter(crate::flux::is_kustomization));
        }
    }
    if let Some(split) = &prepared.split
        && deferred::apply(&split.deferred, &mut docs).is_err()
    {
        return Vec::new();
    }
    docs.iter()
        .filter_map(|d| Kustomization::from_object(d).ok())
        .collect()
}

/// Builds `children` one after another on free job slots, and stops as soon as a real build
/// waits for one: real builds always come first.
pub(super) fn build(
    ctx: Arc<BuildContext>,
    tree: Arc<SourceTree>,
    children: Vec<Kustomization>,
) -> Pin<Box<dyn Future<Output = ()> + Send>> {
    Box::pin(build_all(ctx, tree, children))
}

async fn build_all(ctx: Arc<BuildContext>, tree: Arc<SourceTree>, children: Vec<Kustomization>) {
    for ks in children {
        if !ctx.ahead.slot_free_for_us(&ctx.subprocess_slots).await {
            return;
        }
        // Decrypting a guess would put plaintext in memory for nothing.
        if ks.decryption_enabled() {
            continue;
        }
        let rel = secure_join(ks.spec.path.as_deref().unwrap_or(""));
        if !tree.root.join(&rel).is_dir() {
            continue;
        }
        let Ok(prepared) = prepare_off_thread(&ctx, &ks, &tree, &rel, None, false).await else {
            continue;
        };
        // A guess that lists more Kustomizations (the root's child is the one listing every
        // app) has children to guess too.
        let grandchildren = guess_children(&tree, &prepared);
        if !grandchildren.is_empty() {
            tokio::spawn(build(ctx.clone(), tree.clone(), grandchildren));
        }
        let Some(key) = prepared.key else { continue };
        if prepared.cached.is_some() || !prepared.remote.is_empty() {
            continue;
        }
        let Some(tx) = ctx.ahead.claim(key) else {
            continue;
        };
        let docs = run(&ctx, &ks, &tree, &rel, &prepared).await.ok();
        let _ = tx.send(Some(docs.map(Arc::new)));
    }
}

async fn run(
    ctx: &BuildContext,
    ks: &Kustomization,
    tree: &Arc<SourceTree>,
    rel: &std::path::Path,
    prepared: &Prepared,
) -> Result<AheadDocs, BuildError> {
    let mut ran = run_kustomize(ctx, ks, tree, rel, prepared, true).await?;
    let stream = std::mem::take(&mut ran.stream);
    let (docs, fast_patch, rerun) =
        fast_patch::documents(ctx, ks, tree, rel, prepared, stream).await?;
    if let Ok(mut t) = ctx.ahead.kustomize_time.lock() {
        *t += ran.elapsed + rerun.elapsed;
    }
    Ok(AheadDocs { docs, fast_patch })
}
