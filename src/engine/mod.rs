//! Reconciles the whole cluster: every Flux Kustomization, discovered as builds produce them,
//! built in parallel as soon as its inputs exist.
//!
//! A Kustomization's inputs are its parent's output (which contains it) and the objects its
//! `postBuild.substituteFrom` reads. When nothing runs and nothing is ready, the objects still
//! awaited do not exist anywhere; the waiting builds go ahead and report them missing. Results are
//! kept by name, so nothing about the output depends on scheduling.

mod unbuilt;
mod vars;

use crate::build::{BuildContext, BuildOutput, Built, SelectInput, Skipped, build_kustomization};
use crate::discover::Discovery;
use crate::flux::{self, Kustomization, NamespacedName};
use crate::object;
use crate::postbuild::{self, VarLookup};
use crate::select::{self, Role, Selection};
use crate::sources::Sources;
use crate::substitute::RefKind;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinSet;
use unbuilt::{recall, revive, revive_all_once, unblock_for_vars};
use vars::{VarKey, VarsIndex, index_vars, key, lookup_for, reads_selected_vars};

pub struct EngineOptions {
    pub progress: bool,
    /// Changed-only mode: build only what the changed files can affect.
    pub selection: Option<Arc<Selection>>,
}

/// One reconciled Flux Kustomization.
#[derive(Debug)]
pub struct KsNode {
    pub ks: Kustomization,
    /// The Kustomization whose output contains this one (None for the root).
    pub parent: Option<NamespacedName>,
    /// Repository file the Kustomization object came from, when known.
    pub file: Option<String>,
    pub synthetic: bool,
    pub outcome: Outcome,
    /// Changed-only mode's verdict (always `Selected` outside it).
    pub role: Role,
    /// Wall time of this build (including waiting for a subprocess slot).
    pub elapsed: Duration,
}

#[derive(Debug)]
pub enum Outcome {
    Rendered(Box<BuildOutput>),
    /// The source is not available offline: nothing to build (not a failure of the repository).
    SourceUnavailable(String),
    Failed(String),
    /// Changed-only mode: not built, nothing it reads changed.
    Unchanged(Box<Skipped>),
}

impl Outcome {
    pub fn output(&self) -> Option<&BuildOutput> {
        match self {
            Outcome::Rendered(o) => Some(o),
            _ => None,
        }
    }
}

/// The reconciled cluster.
#[derive(Debug, Default)]
pub struct ClusterRender {
    pub kustomizations: BTreeMap<NamespacedName, KsNode>,
    /// Problems that are not about a single Kustomization's build (duplicate Flux objects).
    pub problems: Vec<String>,
    pub wall_time: Duration,
    pub kustomize_time: Duration,
}

/// A finished build task; `None`: a probe found the build needs its variables (see `probe`).
type Done = (NamespacedName, Option<(Outcome, Role)>, Duration);

struct Pending {
    node: KsNode,
    refs: Vec<(RefKind, String)>,
    force: bool,
    /// Its object or variables may differ from the base (changed-only mode).
    inherited: bool,
    /// Build it even when unchanged: something may need its output.
    no_skip: bool,
    /// Changed-only mode, its awaited objects exist nowhere that is built: decide whether it is
    /// unchanged (then its variables do not matter) before building what may produce them.
    probe: bool,
    probed: bool,
}

/// What a probing build needs to wait again, should it be needed.
#[derive(Default)]
struct Probe {
    refs: Vec<(RefKind, String)>,
    inherited: bool,
    no_skip: bool,
}

pub async fn reconcile(
    discovery: &Discovery,
    sources: Arc<Sources>,
    ctx: Arc<BuildContext>,
    opts: &EngineOptions,
) -> ClusterRender {
    let started = Instant::now();
    let progress = progress_bar(opts.progress);
    let mut render = ClusterRender::default();
    let mut pending: BTreeMap<NamespacedName, Pending> = BTreeMap::new();
    let mut vars_index: VarsIndex = HashMap::new();
    let selection = opts.selection.clone();
    let mut revived_all = false;
    let mut running: JoinSet<Done> = JoinSet::new();
    let mut in_flight: BTreeMap<NamespacedName, KsNode> = BTreeMap::new();
    let mut probes: HashMap<NamespacedName, Probe> = HashMap::new();
    // Probes found unchanged while some of what they read was unknown: built after all when a
    // selected build turns out to make it (see `recall`).
    let mut let_go: HashMap<NamespacedName, Vec<VarKey>> = HashMap::new();

    let root = KsNode {
        ks: discovery.root.clone(),
        parent: None,
        file: None,
        synthetic: discovery.synthetic,
        outcome: Outcome::Failed(String::new()),
        role: Role::Selected,
        elapsed: Duration::ZERO,
    };
    enqueue(&mut pending, root, false, &progress);

    loop {
        let ready: Vec<NamespacedName> = pending
            .iter()
            .filter(|(_, p)| {
                p.force
                    || p.refs
                        .iter()
                        .all(|r| vars_index.contains_key(&key(&p.node.ks, r)))
            })
            .map(|(id, _)| id.clone())
            .collect();
        for id in ready {
            let Some(p) = pending.remove(&id) else {
                continue;
            };
            if matches!(&p.node.outcome, Outcome::Failed(m) if !m.is_empty()) {
                progress.inc(1);
                render.kustomizations.insert(id, p.node);
                continue;
            }
            let lookup = lookup_for(&p, &vars_index);
            let select = selection.clone().map(|selection| SelectInput {
                selection,
                inherited: p.inherited || reads_selected_vars(&p, &vars_index),
                no_skip: p.no_skip,
                probe: p.probe,
            });
            let ks = p.node.ks.clone();
            if p.probe {
                let probe = Probe {
                    refs: p.refs,
                    inherited: p.inherited,
                    no_skip: p.no_skip,
                };
                probes.insert(id.clone(), probe);
            }
            in_flight.insert(id.clone(), p.node);
            let (sources, ctx) = (sources.clone(), ctx.clone());
            running.spawn(async move {
                let t = Instant::now();
                let done = build_one(&ks, &sources, &ctx, &lookup, select).await;
                (ks.id.clone(), done, t.elapsed())
            });
        }
        if running.is_empty() {
            if pending.is_empty() {
                // Unbuilt leaves that name an input of what is selected are built after all.
                if let Some(sel) = selection.as_deref() {
                    let needles = select::input_needles(sel, outputs(&render), |(k, ns, n)| {
                        sources.is_local(k, ns, n)
                    });
                    if revive(&mut render, &mut pending, &progress, |_, s| {
                        s.wanted_by(&needles)
                    }) {
                        continue;
                    }
                    // An input no file names (a prefix, a variable) may still be made by one.
                    if !needles.missing.is_empty()
                        && revive_all_once(&mut revived_all, &mut render, &mut pending, &progress)
                    {
                        continue;
                    }
                }
                break;
            }
            // An awaited variable may come from a Kustomization changed-only mode left unbuilt.
            if selection.is_some()
                && !revived_all
                && unblock_for_vars(&mut render, &mut pending, &vars_index, &progress)
            {
                continue;
            }
            // A name no file spells out (a prefix, a variable): build every unbuilt one.
            if selection.is_some()
                && revive_all_once(&mut revived_all, &mut render, &mut pending, &progress)
            {
                continue;
            }
            // Quiescence: whatever is still awaited is produced by nobody.
            pending.values_mut().for_each(|p| p.force = true);
            continue;
        }
        let Some(joined) = running.join_next().await else {
            break;
        };
        let (id, done, elapsed) = match joined {
            Ok(done) => done,
            Err(e) => {
                render
                    .problems
                    .push(format!("internal error in a build task: {e}"));
                continue;
            }
        };
        let Some(mut node) = in_flight.remove(&id) else {
            continue;
        };
        let probe = probes.remove(&id);
        let Some((outcome, role)) = done else {
            // Needed after all: back to waiting for its variables.
            let probe = probe.unwrap_or_default();
            let p = Pending {
                node,
                refs: probe.refs,
                force: false,
                inherited: probe.inherited,
                no_skip: probe.no_skip,
                probe: false,
                probed: true,
            };
            pending.insert(id, p);
            continue;
        };
        if let (Some(probe), Outcome::Unchanged(_)) = (&probe, &outcome) {
            let keys = probe.refs.iter().map(|r| key(&node.ks, r)).collect();
            let_go.insert(id.clone(), keys);
        }
        node.elapsed = elapsed;
        node.outcome = outcome;
        node.role = role;
        progress.inc(1);
        progress.set_message(id.to_string());
        if let Outcome::Rendered(out) = &node.outcome {
            render.kustomize_time += out.kustomize_time;
            index_vars(out, role == Role::Selected, &mut vars_index);
            if role == Role::Selected && !let_go.is_empty() {
                recall(
                    &mut render,
                    &mut pending,
                    &mut let_go,
                    &vars_index,
                    &progress,
                );
            }
            for (obj, file) in out.objects.iter().zip(&out.files) {
                if !flux::is_kustomization(obj) {
                    continue;
                }
                let child_id = NamespacedName::of(obj);
                if child_id == node.ks.id {
                    continue; // the sync Kustomization reconciles itself
                }
                if pending.contains_key(&child_id)
                    || in_flight.contains_key(&child_id)
                    || render.kustomizations.contains_key(&child_id)
                {
                    render.problems.push(format!(
                        "Kustomization {child_id} is produced more than once (again by {id}); the first one is used"
                    ));
                    continue;
                }
                let inherited = role == Role::Selected
                    && selection.is_some()
                    && out.reach.covers(file.as_deref(), &out.files);
                let child = child_node(obj, &id, file.clone());
                enqueue(&mut pending, child, inherited, &progress);
            }
        }
        render.kustomizations.insert(id, node);
    }
    progress.finish_and_clear();
    render.wall_time = started.elapsed();
    render
}

fn child_node(obj: &Value, parent: &NamespacedName, file: Option<String>) -> KsNode {
    let (ks, outcome) = match Kustomization::from_object(obj) {
        Ok(ks) if ks.id.namespace.is_empty() => (
            ks,
            Some(Outcome::Failed(format!(
                "Kustomization/{} namespace not specified (it has no metadata.namespace and no targetNamespace sets one)",
                object::name(obj)
            ))),
        ),
        Ok(ks) => (ks, None),
        Err(e) => (
            Kustomization {
                id: NamespacedName::of(obj),
                spec: Default::default(),
                object: obj.clone(),
            },
            Some(Outcome::Failed(e)),
        ),
    };
    KsNode {
        ks,
        parent: Some(parent.clone()),
        file,
        synthetic: false,
        outcome: outcome.unwrap_or(Outcome::Failed(String::new())),
        role: Role::Selected,
        elapsed: Duration::ZERO,
    }
}

fn enqueue(
    pending: &mut BTreeMap<NamespacedName, Pending>,
    node: KsNode,
    inherited: bool,
    progress: &ProgressBar,
) {
    progress.inc_length(1);
    // A node that failed to decode is finished already; it still goes through the loop so
    // that it is recorded in order, with no build.
    let refs = postbuild::references(&node.ks)
        .into_iter()
        .map(|r| (r.kind, r.name))
        .collect();
    let force = matches!(&node.outcome, Outcome::Failed(m) if !m.is_empty());
    pending.insert(
        node.ks.id.clone(),
        Pending {
            node,
            refs,
            force,
            inherited,
            no_skip: false,
            probe: false,
            probed: false,
        },
    );
}

/// Each built Kustomization's role and objects.
pub fn outputs(render: &ClusterRender) -> impl Iterator<Item = (Role, &[Value])> + Clone {
    render
        .kustomizations
        .values()
        .filter_map(|n| n.outcome.output().map(|o| (n.role, o.objects.as_slice())))
}

async fn build_one(
    ks: &Kustomization,
    sources: &Sources,
    ctx: &BuildContext,
    lookup: &VarLookup,
    select: Option<SelectInput>,
) -> Option<(Outcome, Role)> {
    if ks.id.namespace.is_empty() || ks.object.get("kind").is_none() {
        return Some((
            Outcome::Failed("invalid Kustomization".into()),
            Role::Selected,
        ));
    }
    let tree = match sources.tree(&ks.source()) {
        Ok(t) => t,
        Err(e @ crate::sources::SourceError::NotAvailable(..)) => {
            // Nothing local can change what an unavailable source holds.
            let role = match &select {
                Some(s) if !s.inherited && !s.selection.forced_ks.contains(&ks.id) => Role::Support,
                _ => Role::Selected,
            };
            return Some((Outcome::SourceUnavailable(e.to_string()), role));
        }
        Err(e) => return Some((Outcome::Failed(e.to_string()), Role::Selected)),
    };
    Some(
        match build_kustomization(ctx, ks, tree, lookup, select).await {
            Ok(Built::Output(out, role)) => (Outcome::Rendered(out), role),
            Ok(Built::Unchanged(skipped)) => {
                (Outcome::Unchanged(Box::new(skipped)), Role::Unchanged)
            }
            Ok(Built::NeedsVars) => return None,
            Err(e) => (Outcome::Failed(e.to_string()), Role::Selected),
        },
    )
}

fn progress_bar(enabled: bool) -> ProgressBar {
    progress(enabled, "building {pos}/{len} Kustomizations")
}

/// A progress bar on stderr (hidden when disabled: not a terminal, `--no-progress`, `-q`).
pub fn progress(enabled: bool, what: &str) -> ProgressBar {
    if !enabled {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template(&format!("{{spinner}} {what} [{{elapsed}}] {{wide_msg}}"))
    {
        bar.set_style(style);
    }
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}
