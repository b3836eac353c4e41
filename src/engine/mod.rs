//! Reconciles every Flux Kustomization of the cluster, discovered as builds produce them, each
//! built in parallel as soon as its inputs exist.
//!
//! A Kustomization's inputs are its parent's output (which contains it) and the objects its
//! `postBuild.substituteFrom` reads. When nothing runs and nothing is ready, the objects still
//! awaited do not exist anywhere; the waiting builds go ahead and report them missing. Results are
//! kept by identity, so nothing about the output depends on scheduling. Changed-only mode
//! ([`ChangedOnly`]) decides which builds may be skipped.

mod changed;
mod vars;

pub use changed::ChangedOnly;

use crate::build::{BuildContext, BuildOutput, Built, SelectInput, Skipped, build_kustomization};
use crate::discover::Discovery;
use crate::flux::{self, Kustomization};
use crate::model::{
    Diagnostic, FailureReason, NamespacedName, Outcome, OwnerId, OwnerRecord, SkipReason,
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
        let refs = record
            .kustomization
            .as_ref()
            .map(postbuild::references)
            .unwrap_or_default()
            .into_iter()
            .map(|r| (r.kind, r.name))
            .collect();
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
    diagnostics: Vec<Diagnostic>,
    kustomize_time: Duration,
    changed: Option<ChangedOnly>,
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
                let done = build_one(&ks, &sources, &ctx, &lookup, select).await;
                (OwnerId::ks(&ks.id), done, started.elapsed())
            });
            self.in_flight.insert(id, p);
        }
    }

    /// Nothing runs. Returns whether there is more to do.
    fn when_idle(&mut self) -> bool {
        if self.queue.pending.is_empty() {
            return match &mut self.changed {
                Some(c) => c.when_done(&mut self.queue, &self.sources),
                None => false,
            };
        }
        if let Some(c) = &mut self.changed
            && c.when_stuck(&mut self.queue, &self.vars)
        {
            return true;
        }
        // Quiescence: whatever is still awaited is produced by nobody.
        self.queue.pending.values_mut().for_each(|p| p.force = true);
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
        let origins: Vec<Option<String>> = out.objects.iter().map(|o| o.origin.clone()).collect();
        for o in out
            .objects
            .iter()
            .filter(|o| flux::is_kustomization(&o.object))
        {
            let child = OwnerId::ks(&NamespacedName::of(&o.object));
            if child == record.id {
                continue; // the sync Kustomization reconciles itself
            }
            if self.queue.knows(&child) || self.in_flight.contains_key(&child) {
                self.diagnostics.push(Diagnostic::error(format!(
                    "Kustomization {} is produced more than once (again by {}); the first one is used",
                    child.name(),
                    record.id.name()
                )));
                continue;
            }
            let inherited = self.changed.is_some()
                && ChangedOnly::child_inherits(role, &out.reach, o.origin.as_deref(), &origins);
            let child = child_record(&o.object, &record.id, o.origin.clone());
            self.queue.enqueue(child, inherited);
        }
        record.timing.queued = out.queued;
        record.timing.run = record.timing.run.saturating_sub(out.queued);
        record.timing.subprocess = out.kustomize_time;
        record.from_cache = out.from_cache;
        record.vars = out.vars.seen;
        record.secrets = out.vars.secret_values;
        record.secrets.extend(out.decrypted_values);
        record.diagnostics = out.warnings;
        record.objects = out.objects;
    }
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
    ctx: &BuildContext,
    lookup: &VarLookup,
    select: Option<SelectInput>,
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
    let tree = match sources.tree(&ks.source()) {
        Ok(t) => t,
        Err(e @ SourceError::NotAvailable(..)) => {
            // Nothing local can change what an unavailable source holds.
            let role = match &select {
                Some(s) if !s.inherited && !s.selection.forced_ks.contains(&ks.id) => Role::Support,
                _ => Role::Selected,
            };
            let outcome = Outcome::skipped(SkipReason::SourceUnavailable, e.to_string());
            return finished(outcome, None, role);
        }
        Err(e) => {
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
