//! Reconciles every Flux Kustomization of the cluster, discovered as builds produce them, each
//! built in parallel as soon as its inputs exist.
//!
//! A Kustomization's inputs are its parent's output (which contains it) and the objects its
//! `postBuild.substituteFrom` reads. When nothing runs and nothing is ready, the objects still
//! awaited do not exist anywhere; the waiting builds go ahead and report them missing. Results are
//! kept by identity, so nothing about the output depends on scheduling. Changed-only mode
//! ([`ChangedOnly`]) decides which builds may be skipped.

mod changed;
mod expand;
mod vars;

pub use changed::ChangedOnly;

use crate::build::{BuildContext, BuildOutput, Built, SelectInput, Skipped, build_kustomization};
use crate::discover::Discovery;
use crate::flux::{self, Kustomization};
use crate::model::{
    Diagnostic, FailureReason, NamespacedName, ObjectKey, Outcome, OwnerId, OwnerRecord,
    RenderedObject, SkipReason,
};
use crate::postbuild::{self, VarLookup};
use crate::reporter::{Event, Reporter, Stage};
use crate::select::{Role, Selection};
use crate::sources::{SourceError, Sources};
use crate::substitute::RefKind;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinSet;
use vars::VarsIndex;

/// The reconciled Kustomizations.
pub struct Reconciled {
    pub owners: BTreeMap<OwnerId, OwnerRecord>,
    /// Problems that are not about one build (a Kustomization produced twice).
    pub diagnostics: Vec<Diagnostic>,
    /// Summed time of the kustomize subprocesses.
    pub kustomize_time: Duration,
    pub changed_only: Option<ChangedOnly>,
}

/// Changed-only flags of one waiting build.
#[derive(Clone, Copy, Debug, Default)]
struct Flags {
    /// Its object or variables may differ from the base.
    inherited: bool,
    /// Build it even when unchanged: something may need its output.
    no_skip: bool,
    /// Its awaited objects exist nowhere that is built: decide whether it is unchanged (then
    /// its variables do not matter) before building what may produce them.
    probe: bool,
    probed: bool,
}

/// A Kustomization waiting to be built (or being built).
struct Pending {
    record: OwnerRecord,
    refs: Vec<(RefKind, String)>,
    /// Of `refs`, the `optional: true` ones (`Kind/name`): when nothing produces them, Flux
    /// builds without them, so they are given up on first.
    optional: std::collections::BTreeSet<String>,
    /// Go ahead without waiting for the substituteFrom objects.
    force: bool,
    flags: Flags,
}

impl Pending {
    fn ks(&self) -> &Kustomization {
        self.record
            .kustomization
            .as_ref()
            .expect("engine records are Kustomizations")
    }
}

/// What is waiting and what is finished.
struct Queue {
    pending: BTreeMap<OwnerId, Pending>,
    done: BTreeMap<OwnerId, OwnerRecord>,
    reporter: Arc<dyn Reporter>,
}

impl Queue {
    fn enqueue(&mut self, record: OwnerRecord, inherited: bool) {
        self.reporter.report(Event::Queued {
            stage: Stage::Kustomizations,
            count: 1,
        });
        let all = record
            .kustomization
            .as_ref()
            .map(postbuild::references)
            .unwrap_or_default();
        let optional = all
            .iter()
            .filter(|r| r.optional)
            .map(|r| format!("{}/{}", r.kind, r.name))
            .collect();
        let refs = all.into_iter().map(|r| (r.kind, r.name)).collect();
        // A record that failed to decode is finished already; it still goes through the queue
        // so that it is recorded in order, with no build.
        let force = record.outcome.is_failure();
        let flags = Flags {
            inherited,
            ..Flags::default()
        };
        let p = Pending {
            record,
            refs,
            optional,
            force,
            flags,
        };
        self.pending.insert(p.record.id.clone(), p);
    }

    fn finish(&mut self, record: OwnerRecord) {
        self.reporter.report(Event::Finished {
            stage: Stage::Kustomizations,
            owner: &record.id,
        });
        self.done.insert(record.id.clone(), record);
    }

    fn knows(&self, id: &OwnerId) -> bool {
        self.pending.contains_key(id) || self.done.contains_key(id)
    }
}

/// What one build task came back with.
enum Done {
    Finished {
        outcome: Outcome,
        output: Option<Box<BuildOutput>>,
        role: Role,
    },
    Unchanged(Skipped),
    /// A probe found the build needs its variables after all.
    NeedsVars,
}

struct Reconciler {
    sources: Arc<Sources>,
    ctx: Arc<BuildContext>,
    queue: Queue,
    in_flight: BTreeMap<OwnerId, Pending>,
    running: JoinSet<(OwnerId, Done, Duration)>,
    vars: VarsIndex,
    /// Kustomizations whose source is not local (yet): an ArtifactGenerator may compose it;
    /// otherwise they are decided once everything else is built.
    parked: BTreeMap<OwnerId, Pending>,
    known: KnownSources,
    resource_sets: Vec<expand::ParkedResourceSet>,
    /// Where ArtifactGenerators compose their artifacts; removed with the run.
    artifacts_dir: Option<tempfile::TempDir>,
    diagnostics: Vec<Diagnostic>,
    kustomize_time: Duration,
    changed: Option<ChangedOnly>,
}

/// The sources the cluster has, as far as the builds so far show.
#[derive(Default)]
struct KnownSources {
    /// (kind, namespace, name) of source objects rendered, and ExternalArtifacts declared.
    made: std::collections::HashSet<(String, String, String)>,
    /// ExternalArtifacts whose ArtifactGenerator failed, with why.
    failed: std::collections::HashMap<(String, String), String>,
}

/// What a Kustomization's source is when its build starts.
#[derive(Clone, Debug)]
enum SourceState {
    /// A folder fluxsim has (the repository, a mapping, a composed artifact).
    Local,
    /// It exists in the cluster but points somewhere fluxsim cannot reach offline.
    Remote,
    /// Nothing in the cluster makes it: Flux's "Source '…' not found".
    Missing,
    /// Its ArtifactGenerator failed.
    Failed(String),
}

pub async fn reconcile(
    discovery: &Discovery,
    sources: Arc<Sources>,
    ctx: Arc<BuildContext>,
    selection: Option<Arc<Selection>>,
    reporter: Arc<dyn Reporter>,
) -> Reconciled {
    let mut r = Reconciler {
        sources,
        ctx,
        queue: Queue {
            pending: BTreeMap::new(),
            done: BTreeMap::new(),
            reporter: reporter.clone(),
        },
        in_flight: BTreeMap::new(),
        running: JoinSet::new(),
        vars: VarsIndex::default(),
        parked: BTreeMap::new(),
        known: KnownSources::default(),
        resource_sets: Vec::new(),
        artifacts_dir: None,
        diagnostics: Vec::new(),
        kustomize_time: Duration::ZERO,
        changed: selection.map(ChangedOnly::new),
    };
    let mut root = OwnerRecord::pending(
        OwnerId::ks(&discovery.root.id),
        discovery.root.object.clone(),
        None,
        None,
    );
    root.kustomization = Some(discovery.root.clone());
    root.synthetic = discovery.synthetic;
    r.queue.enqueue(root, false);
    loop {
        r.start_ready();
        if r.running.is_empty() && !r.when_idle() {
            break;
        }
        if let Some(joined) = r.running.join_next().await {
            match joined {
                Ok((id, done, elapsed)) => r.on_done(id, done, elapsed),
                Err(e) => r.diagnostics.push(Diagnostic::error(format!(
                    "internal error in a build task: {e}"
                ))),
            }
        }
    }
    reporter.report(Event::StageDone {
        stage: Stage::Kustomizations,
    });
    Reconciled {
        owners: r.queue.done,
        diagnostics: r.diagnostics,
        kustomize_time: r.kustomize_time,
        changed_only: r.changed,
    }
}

impl Reconciler {
    /// Starts every waiting build whose substituteFrom objects exist (or that goes ahead anyway).
    fn start_ready(&mut self) {
        let vars = &self.vars;
        let ready: Vec<OwnerId> = self
            .queue
            .pending
            .iter()
            .filter(|(_, p)| p.force || p.refs.iter().all(|r| vars.contains(&vars::key(p.ks(), r))))
            .map(|(id, _)| id.clone())
            .collect();
        for id in ready {
            let Some(p) = self.queue.pending.remove(&id) else {
                continue;
            };
            if p.record.outcome.is_failure() {
                self.queue.finish(p.record);
                continue;
            }
            let source = self.source_state(p.ks());
            if !p.force && !matches!(source, SourceState::Local) {
                self.parked.insert(id, p);
                continue;
            }
            let lookup = self.vars.lookup_for(p.ks(), &p.refs);
            let select = self.changed.as_ref().map(|c| SelectInput {
                selection: c.selection.clone(),
                inherited: p.flags.inherited || ChangedOnly::reads_selected_vars(&p, &self.vars),
                no_skip: p.flags.no_skip,
                probe: p.flags.probe,
            });
            let ks = p.ks().clone();
            let (sources, ctx) = (self.sources.clone(), self.ctx.clone());
            self.running.spawn(async move {
                let started = Instant::now();
                let done = build_one(&ks, &sources, &ctx, &lookup, select, source).await;
                (OwnerId::ks(&ks.id), done, started.elapsed())
            });
            self.in_flight.insert(id, p);
        }
    }

    /// What the source of `ks` is, from what has been built so far.
    fn source_state(&self, ks: &Kustomization) -> SourceState {
        let s = ks.source();
        if self.sources.root_for(&s).is_ok() {
            return SourceState::Local;
        }
        let ns = s.namespace.clone().unwrap_or_default();
        if s.kind == crate::sources::EXTERNAL_ARTIFACT
            && let Some(why) = self.known.failed.get(&(ns.clone(), s.name.clone()))
        {
            return SourceState::Failed(why.clone());
        }
        let key = (s.kind.clone(), ns, s.name.clone());
        // Changed-only mode did not build everything: a source may be in what it left out.
        if self.known.made.contains(&key) || self.changed.is_some() {
            SourceState::Remote
        } else {
            SourceState::Missing
        }
    }

    /// Nothing runs. Returns whether there is more to do.
    fn when_idle(&mut self) -> bool {
        if self.queue.pending.is_empty() {
            if let Some(c) = &mut self.changed
                && c.when_done(&mut self.queue, &self.sources)
            {
                return true;
            }
            // Everything else is built: ResourceSets can read their inputs, then what still
            // waits for a source is decided.
            if !self.resource_sets.is_empty() {
                self.render_resource_sets();
                return true;
            }
            if self.parked.is_empty() {
                return false;
            }
            for (id, mut p) in std::mem::take(&mut self.parked) {
                p.force = true;
                self.queue.pending.insert(id, p);
            }
            return true;
        }
        if let Some(c) = &mut self.changed
            && c.when_stuck(&mut self.queue, &self.vars)
        {
            return true;
        }
        // Quiescence: whatever is still awaited is produced by nobody. Builds that wait only for
        // optional objects go first (Flux builds them without): what they make may be what the
        // others wait for (a sibling's substituteFrom Secret).
        let vars = &self.vars;
        let only_optional = |p: &Pending| {
            p.refs.iter().all(|r| {
                vars.contains(&vars::key(p.ks(), r))
                    || p.optional.contains(&format!("{}/{}", r.0, r.1))
            })
        };
        let mut first: Vec<&mut Pending> = self
            .queue
            .pending
            .values_mut()
            .filter(|p| !p.force && only_optional(p))
            .collect();
        if first.is_empty() {
            self.queue.pending.values_mut().for_each(|p| p.force = true);
        } else {
            first.iter_mut().for_each(|p| p.force = true);
        }
        true
    }

    fn on_done(&mut self, id: OwnerId, done: Done, elapsed: Duration) {
        let Some(mut p) = self.in_flight.remove(&id) else {
            return;
        };
        p.record.timing.run = elapsed;
        match done {
            Done::NeedsVars => {
                // Needed after all: back to waiting for its variables.
                (p.flags.probe, p.flags.probed, p.force) = (false, true, false);
                self.queue.pending.insert(id, p);
            }
            Done::Unchanged(skipped) => {
                if let Some(c) = &mut self.changed {
                    c.record_unbuilt(&p, skipped);
                }
                p.record.outcome = Outcome::Unchanged;
                self.queue.finish(p.record);
            }
            Done::Finished {
                outcome,
                output,
                role,
            } => {
                if let Some(c) = &mut self.changed {
                    c.set_role(&id, role);
                }
                p.record.outcome = outcome;
                if let Some(out) = output {
                    self.take_output(&mut p.record, *out, role);
                }
                self.queue.finish(p.record);
            }
        }
    }

    /// Files a build's output into its record, indexes its variables and queues its children.
    fn take_output(&mut self, record: &mut OwnerRecord, out: BuildOutput, role: Role) {
        self.kustomize_time += out.kustomize_time;
        self.vars.add(&out.objects, role == Role::Selected);
        if role == Role::Selected
            && let Some(c) = &mut self.changed
        {
            c.recall(&mut self.queue, &self.vars);
        }
        let mut diagnostics = out.warnings;
        diagnostics.extend(self.expand(&record.id, &out.objects));
        let origins: Vec<Option<String>> = out.objects.iter().map(|o| o.origin.clone()).collect();
        let changed_only = self.changed.is_some();
        for o in out
            .objects
            .iter()
            .filter(|o| flux::is_kustomization(&o.object))
        {
            let inherited = changed_only
                && ChangedOnly::child_inherits(role, &out.reach, o.origin.as_deref(), &origins);
            self.enqueue_child(record, o, inherited, &mut diagnostics);
        }
        record.timing.queued = out.queued;
        record.timing.run = record.timing.run.saturating_sub(out.queued);
        record.timing.subprocess = out.kustomize_time;
        record.from_cache = out.from_cache;
        record.deferred_patches = match out.fast_patch {
            crate::build::FastPatch::NotTried => None,
            crate::build::FastPatch::Applied => Some(true),
            crate::build::FastPatch::FellBack(_) => Some(false),
        };
        record.vars = out.vars.seen;
        record.secrets = out.vars.secret_values;
        record.secrets.extend(out.decrypted_values);
        record.diagnostics = diagnostics;
        record.objects = out.objects;
        if !out.needs_key.is_empty() && record.outcome == Outcome::Rendered {
            // Rendered with placeholders where values are encrypted: not a pass.
            let message = format!(
                "needs key {}: encrypted values could not be decrypted and render as placeholders",
                out.needs_key.join(", ")
            );
            record.outcome = Outcome::skipped(SkipReason::NeedsKey, message);
        }
    }

    /// Notes the sources `objects` make, composes the artifacts of their ArtifactGenerators and
    /// parks their ResourceSets; returns what that has to say.
    fn expand(&mut self, owner: &OwnerId, objects: &[RenderedObject]) -> Vec<Diagnostic> {
        for o in objects.iter().filter(|o| flux::is_source(&o.object)) {
            let k = ObjectKey::of(&o.object);
            self.known.made.insert((k.kind, k.namespace, k.name));
        }
        let composed = match self.artifacts_dir() {
            Some(dir) => expand::compose_artifacts(&self.sources, objects, &dir),
            None => expand::Composed::default(),
        };
        for (ns, name) in composed.declared {
            let kind = crate::sources::EXTERNAL_ARTIFACT.to_string();
            self.known.made.insert((kind, ns, name));
        }
        self.known.failed.extend(composed.failed);
        for o in objects
            .iter()
            .filter(|o| expand::is_resource_set(&o.object))
        {
            self.resource_sets.push(expand::ParkedResourceSet {
                parent: owner.clone(),
                object: o.object.clone(),
                origin: o.origin.clone(),
            });
        }
        // A composed artifact may be what a parked Kustomization waits for.
        let ready: Vec<OwnerId> = self
            .parked
            .iter()
            .filter(|(_, p)| matches!(self.source_state(p.ks()), SourceState::Local))
            .map(|(id, _)| id.clone())
            .collect();
        for id in ready {
            if let Some(p) = self.parked.remove(&id) {
                self.queue.pending.insert(id, p);
            }
        }
        composed.diagnostics
    }

    /// The run's folder for composed artifacts, made on first use.
    fn artifacts_dir(&mut self) -> Option<std::path::PathBuf> {
        if self.artifacts_dir.is_none() {
            let made = match &self.ctx.scratch {
                Some(dir) => tempfile::Builder::new()
                    .prefix("artifacts-")
                    .tempdir_in(dir),
                None => tempfile::Builder::new()
                    .prefix("fluxsim-artifacts-")
                    .tempdir(),
            };
            self.artifacts_dir = made.ok();
        }
        self.artifacts_dir.as_ref().map(|d| d.path().to_path_buf())
    }

    /// Queues a Kustomization found in `parent`'s output. One with the parent's own identity is
    /// the bootstrap self-management loop: it is the parent, with the spec Flux converges to.
    fn enqueue_child(
        &mut self,
        parent: &mut OwnerRecord,
        o: &RenderedObject,
        inherited: bool,
        diagnostics: &mut Vec<Diagnostic>,
    ) {
        let child = OwnerId::ks(&NamespacedName::of(&o.object));
        if child == parent.id {
            diagnostics.extend(converge_to(parent, o));
            return;
        }
        if self.queue.knows(&child)
            || self.in_flight.contains_key(&child)
            || self.parked.contains_key(&child)
        {
            self.diagnostics.push(Diagnostic::error(format!(
                "Kustomization {} is produced more than once (again by {}); the first one is used",
                child.name(),
                parent.id.name()
            )));
            return;
        }
        let record = child_record(&o.object, &parent.id, o.origin.clone());
        self.queue.enqueue(record, inherited);
    }

    /// Renders the parked ResourceSets and queues the Kustomizations they apply.
    fn render_resource_sets(&mut self) {
        for rs in std::mem::take(&mut self.resource_sets) {
            let made = expand::render_resource_set(&rs, &mut self.queue.done);
            self.vars.add(&made, true);
            let mut diagnostics = self.expand(&rs.parent, &made);
            let Some(mut parent) = self.queue.done.remove(&rs.parent) else {
                continue;
            };
            for o in made.iter().filter(|o| flux::is_kustomization(&o.object)) {
                self.enqueue_child(&mut parent, o, true, &mut diagnostics);
            }
            parent.diagnostics.extend(diagnostics);
            self.queue.done.insert(parent.id.clone(), parent);
        }
    }
}

/// The root rendered itself (flux bootstrap's `gotk-sync.yaml`): Flux converges to the committed
/// object, so the record takes it; a spec that differs from the one the run started from is said.
fn converge_to(root: &mut OwnerRecord, o: &RenderedObject) -> Option<Diagnostic> {
    let ks = Kustomization::from_object(&o.object).ok()?;
    let target = |k: &Kustomization| {
        let path = crate::workspace::secure_join(k.spec.path.as_deref().unwrap_or(""));
        (path, k.source())
    };
    let started = root.kustomization.as_ref().map(target);
    let committed = target(&ks);
    let differs = started.is_some_and(|s| s != committed);
    root.object = o.object.clone();
    root.kustomization = Some(ks);
    root.synthetic = false;
    root.file = o.origin.clone();
    differs.then(|| {
        let message = format!(
            "the committed {} syncs ./{} from {}, not the folder this run started from; Flux converges to the committed spec on its next reconcile",
            root.id,
            committed.0.display(),
            crate::flux::source_display(&committed.1)
        );
        Diagnostic::warning(message).in_file(o.origin.clone())
    })
}

/// The record of a Kustomization found in `parent`'s output: pending, or failed when the
/// object cannot be reconciled at all.
fn child_record(obj: &Value, parent: &OwnerId, file: Option<String>) -> OwnerRecord {
    let id = NamespacedName::of(obj);
    let mut record =
        OwnerRecord::pending(OwnerId::ks(&id), obj.clone(), Some(parent.clone()), file);
    let (ks, failure) = match Kustomization::from_object(obj) {
        Ok(ks) if ks.id.namespace.is_empty() => {
            let message = format!(
                "Kustomization/{} namespace not specified (it has no metadata.namespace and no targetNamespace sets one)",
                id.name
            );
            (ks, Some(message))
        }
        Ok(ks) => (ks, None),
        Err(e) => (
            Kustomization {
                id,
                spec: Default::default(),
                object: obj.clone(),
            },
            Some(e.to_string()),
        ),
    };
    if let Some(message) = failure {
        record.outcome = Outcome::failed(FailureReason::InvalidObject, message);
    }
    record.kustomization = Some(ks);
    record
}

async fn build_one(
    ks: &Kustomization,
    sources: &Sources,
    ctx: &Arc<BuildContext>,
    lookup: &VarLookup,
    select: Option<SelectInput>,
    source: SourceState,
) -> Done {
    let finished = |outcome, output, role| Done::Finished {
        outcome,
        output,
        role,
    };
    if ks.id.namespace.is_empty() || ks.object.get("kind").is_none() {
        let outcome = Outcome::failed(FailureReason::InvalidObject, "invalid Kustomization");
        return finished(outcome, None, Role::Selected);
    }
    let tree = match (sources.tree(&ks.source()), source) {
        (Ok(t), _) => t,
        (Err(SourceError::NotAvailable(..)), SourceState::Missing) => {
            // kustomize-controller's message for a sourceRef nothing in the cluster provides.
            let shown = crate::flux::source_display(&ks.source());
            let message = format!("Source '{shown}' not found");
            let outcome = Outcome::failed(FailureReason::Source, message);
            return finished(outcome, None, Role::Selected);
        }
        (Err(SourceError::NotAvailable(..)), SourceState::Failed(why)) => {
            let outcome = Outcome::failed(FailureReason::Source, why);
            return finished(outcome, None, Role::Selected);
        }
        (Err(e @ SourceError::NotAvailable(..)), _) => {
            // Nothing local can change what an unavailable source holds.
            let role = match &select {
                Some(s) if !s.inherited && !s.selection.forced_ks.contains(&ks.id) => Role::Support,
                _ => Role::Selected,
            };
            let outcome = Outcome::skipped(SkipReason::SourceUnavailable, e.to_string());
            return finished(outcome, None, role);
        }
        (Err(e), _) => {
            let outcome = Outcome::failed(FailureReason::Source, e.to_string());
            return finished(outcome, None, Role::Selected);
        }
    };
    match build_kustomization(ctx, ks, tree, lookup, select).await {
        Ok(Built::Output(out, role)) => finished(Outcome::Rendered, Some(out), role),
        Ok(Built::Unchanged(skipped)) => Done::Unchanged(skipped),
        Ok(Built::NeedsVars) => Done::NeedsVars,
        Err(e) => finished(
            Outcome::failed(FailureReason::Build, e.to_string()),
            None,
            Role::Selected,
        ),
    }
}
