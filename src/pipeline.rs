//! The whole run, as a library call: discover → sources → reconcile Kustomizations → render
//! HelmReleases → analyse the graph → verdicts. The CLI, the tests and the benchmarks all go
//! through here.

use crate::build::BuildContext;
use crate::decrypt::DecryptContext;
use crate::discover::{self, Discovery};
use crate::engine::{self, ChangedOnly};
use crate::graph::{self, Analysis};
use crate::helm::{HelmOptions, Renderer};
use crate::kustomize::KustomizeCommand;
use crate::model::{Cluster, NamespacedName, Outcome, OwnerId, OwnerKind, SecretValue, Severity};
use crate::redact::Redactor;
use crate::releases::{self, ReleaseStage, Renderers};
use crate::reporter::Reporter;
use crate::select::Selection;
use crate::sources::{SourceKey, Sources};
use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Settings of a run, resolved from flags and environment by the CLI.
#[derive(Clone, Debug)]
pub struct RunOptions {
    pub path: PathBuf,
    pub repo_root: Option<PathBuf>,
    pub sources: HashMap<(String, String), PathBuf>,
    /// `--kustomize CMD`, already split into words.
    pub kustomize: Option<Vec<String>>,
    pub jobs: usize,
    pub strict_substitution: bool,
    pub cache_dir: PathBuf,
    pub age_key_files: Vec<PathBuf>,
    /// `--helm CMD`, already split into words.
    pub helm: Option<Vec<String>>,
    pub offline: bool,
    /// Network policy and timeouts of chart downloads (`--network`).
    pub network: crate::net::NetOptions,
    /// Neither read nor write the persistent caches.
    pub no_cache: bool,
    pub kube_version: Option<String>,
    pub api_versions: Vec<String>,
    /// Fixed key for redaction tokens (default: a random key kept in `cache_dir`).
    pub redaction_key: Option<String>,
    /// Leave secret values in messages (`--show-secrets`); objects are revealed by the views.
    pub show_secrets: bool,
    /// Changed-only mode: render what these changes can affect, plus its ancestors.
    pub selection: Option<Arc<Selection>>,
    /// Defer the top kustomization's patches on custom resources (see [`crate::kustomize::deferred`]).
    pub fast_patch: bool,
    /// Source tree scans started before the run (a diff starts them while git runs).
    pub prefetched: Option<Arc<crate::workspace::Prefetched>>,
    /// Build the children a parent declares while it builds (see `build::ahead`).
    pub build_ahead: bool,
}

/// Problems that stop a run before anything is built (exit status 2).
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error(transparent)]
    Discover(#[from] discover::DiscoverError),
    #[error(transparent)]
    Kustomize(#[from] crate::kustomize::KustomizeError),
    #[error(transparent)]
    Keys(#[from] crate::sops::SopsError),
    /// The run's private folder could not be made.
    #[error("cannot create the run's private folder in {}: {source}", dir.display())]
    RunDir {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The run found HelmReleases and there is no helm program to render them.
    #[error("{} to render and {}", crate::text::count(*.releases, "HelmRelease"), match .command {
        Some(c) => format!("the --helm program '{c}' was not found"),
        None => "no helm program found on PATH".to_string(),
    })]
    NoHelm {
        releases: usize,
        /// The `--helm` command, when one was given.
        command: Option<String>,
    },
}

/// A finished run: the rendered cluster with its verdicts, and what reports need besides.
pub struct Run {
    pub discovery: Discovery,
    pub cluster: Cluster,
    pub analysis: Analysis,
    pub redactor: Redactor,
    /// Changed-only mode's account of what it left out.
    pub changed_only: Option<ChangedOnlySummary>,
    pub wall_time: Duration,
    /// Summed time of the kustomize subprocesses (builds ahead included).
    pub kustomize_time: Duration,
    /// Builds that took kustomize's documents from a build ahead.
    pub built_ahead: usize,
}

/// What changed-only mode selected and left out.
#[derive(Debug, Default)]
pub struct ChangedOnlySummary {
    /// The changed files, relative to the top of the repository.
    pub changed: BTreeSet<PathBuf>,
    /// A change selected every owner (ignore rules, a chart folder).
    pub everything: bool,
    /// Owners the changes can affect (before ancestors are added).
    pub selected_ks: BTreeSet<NamespacedName>,
    pub selected_hr: BTreeSet<NamespacedName>,
}

impl Run {
    /// Whether anything failed: an owner, or the run itself (a Kustomization produced twice).
    pub fn has_failures(&self) -> bool {
        self.cluster.all().any(|r| r.outcome.is_failure())
            || self
                .cluster
                .diagnostics
                .iter()
                .any(|d| d.severity == Severity::Error)
    }
}

/// Every cluster whose synced folder is `--path` or below it (at least one).
pub fn clusters(opts: &RunOptions) -> Result<Vec<Discovery>, SetupError> {
    Ok(discover::discover(&opts.path, opts.repo_root.as_deref())?)
}

/// Every cluster of the repository `discovery` belongs to, wherever `--path` points.
pub fn repository_clusters(discovery: &Discovery) -> Vec<Discovery> {
    let root = &discovery.repo_root;
    discover::discover(root, Some(root)).unwrap_or_default()
}

/// The Flux files (kind, path from the repository top) the Kustomizations of `discovery`
/// apply: what another cluster of the same repository must not call orphans. Only the
/// Kustomizations are reconciled (a HelmRelease's file is where its parent found it), with
/// the caches, so the cluster's own run later costs little more.
pub async fn reached_files(
    opts: &RunOptions,
    discovery: &Discovery,
) -> Result<BTreeSet<(OwnerKind, String)>, SetupError> {
    let Setup {
        kustomize,
        decrypt,
        sources,
        slots,
    } = Setup::of(opts, discovery)?;
    let ctx = Arc::new(BuildContext::new(
        opts,
        kustomize,
        decrypt,
        slots,
        run_dir(opts)?,
    ));
    let silent: Arc<dyn Reporter> = Arc::new(crate::reporter::Silent);
    let reconciled = engine::reconcile(discovery, sources, ctx, None, silent).await;
    let mut files = BTreeSet::new();
    for r in reconciled.owners.values() {
        if let Some(f) = &r.file {
            files.insert((OwnerKind::Kustomization, f.clone()));
        }
        for o in &r.objects {
            if let (true, Some(f)) = (crate::flux::is_helmrelease(&o.object), &o.origin) {
                files.insert((OwnerKind::HelmRelease, f.clone()));
            }
        }
    }
    Ok(files)
}

/// What every reconcile of a cluster starts from.
struct Setup {
    kustomize: KustomizeCommand,
    decrypt: DecryptContext,
    sources: Arc<Sources>,
    slots: Arc<tokio::sync::Semaphore>,
}

impl Setup {
    fn of(opts: &RunOptions, discovery: &Discovery) -> Result<Setup, SetupError> {
        Ok(Setup {
            kustomize: KustomizeCommand::resolve(opts.kustomize.as_deref())?,
            decrypt: DecryptContext::load(&opts.age_key_files)?,
            sources: Arc::new(
                Sources::new(
                    SourceKey::of(&discovery.root.source()),
                    discovery.repo_root.clone(),
                    opts.sources.clone(),
                )
                .with_prefetched(opts.prefetched.clone()),
            ),
            slots: Arc::new(tokio::sync::Semaphore::new(opts.jobs.max(1))),
        })
    }
}

/// Renders one cluster (one of [`clusters`]).
pub async fn run(
    opts: &RunOptions,
    discovery: Discovery,
    reporter: Arc<dyn Reporter>,
) -> Result<Run, SetupError> {
    let started = std::time::Instant::now();
    let Setup {
        kustomize,
        decrypt,
        sources,
        slots,
    } = Setup::of(opts, &discovery)?;
    let run_dir = run_dir(opts)?;
    let renderers = renderers(opts, &kustomize, &run_dir);
    let helm_missing = renderers.is_none();
    let ctx = Arc::new(BuildContext::new(
        opts,
        kustomize,
        decrypt,
        slots.clone(),
        run_dir,
    ));
    let reconciled = engine::reconcile(
        &discovery,
        sources.clone(),
        ctx.clone(),
        opts.selection.clone(),
        reporter.clone(),
    )
    .await;
    ctx.ahead.stop();
    let changed = reconciled.changed_only;
    let stage = ReleaseStage {
        sources,
        renderers,
        slots,
        reporter,
    };
    let releases = releases::render_all(&reconciled.owners, changed.as_ref(), &stage).await;
    if helm_missing && !releases.is_empty() {
        return Err(SetupError::NoHelm {
            releases: releases.len(),
            command: opts.helm.as_ref().map(|words| words.join(" ")),
        });
    }
    let mut cluster = Cluster {
        owners: reconciled.owners,
        hidden: Default::default(),
        diagnostics: reconciled.diagnostics,
    };
    cluster.owners.extend(releases);
    // --show-secrets: a redactor that knows no value, so no view or message hides one.
    let redactor = if opts.show_secrets {
        redaction_key(opts)
    } else {
        let r = redactor(opts, &mut cluster, ctx.decrypt.decrypted_values());
        scrub_messages(&mut cluster, &r);
        r
    };
    let analysis = graph::analyze(&cluster);
    let verdicts = graph::verdicts(&cluster, &analysis);
    for (id, outcome) in verdicts.outcomes {
        if let Some(r) = cluster.owners.get_mut(&id) {
            r.outcome = outcome;
        }
    }
    for (id, d) in verdicts.diagnostics {
        if let Some(r) = cluster.owners.get_mut(&id) {
            r.diagnostics.push(d);
        }
    }
    // The verdict explains a Kustomization that substitutes from its own object; the build's
    // "created outside the repository?" guess is wrong there.
    for s in &analysis.graph.self_substitution {
        if let Some(r) = cluster.owners.get_mut(&analysis.graph.ids[s.node]) {
            r.diagnostics
                .retain(|d| d.object.as_ref() != Some(&s.object));
        }
    }
    let changed_only = changed.map(|c| hide_unaffected(&c, &mut cluster));
    Ok(Run {
        discovery,
        cluster,
        analysis,
        redactor,
        changed_only,
        wall_time: started.elapsed(),
        kustomize_time: reconciled.kustomize_time + ctx.ahead.kustomize_time(),
        built_ahead: ctx.ahead.taken(),
    })
}

/// This run's private folders (see [`crate::rundir`]).
fn run_dir(opts: &RunOptions) -> Result<Arc<crate::rundir::RunDir>, SetupError> {
    let made =
        crate::rundir::RunDir::create(&opts.cache_dir).map_err(|source| SetupError::RunDir {
            dir: opts.cache_dir.join(crate::rundir::SCRATCH),
            source,
        })?;
    Ok(Arc::new(made))
}

/// The helm renderers, or None when there is no helm program (a run with HelmReleases then stops).
fn renderers(
    opts: &RunOptions,
    kustomize: &KustomizeCommand,
    run_dir: &Arc<crate::rundir::RunDir>,
) -> Option<Arc<Renderers>> {
    let helm = helm_command(opts.helm.as_deref());
    if helm.is_empty() {
        return None;
    }
    let online = HelmOptions {
        helm,
        kustomize: kustomize.words(),
        cache_dir: opts.cache_dir.clone(),
        no_cache: opts.no_cache,
        offline: opts.offline,
        kube_version: opts.kube_version.clone(),
        api_versions: opts.api_versions.clone(),
        network: opts.network.clone(),
        run_dir: Some(run_dir.clone()),
    };
    let offline = HelmOptions {
        offline: true,
        ..online.clone()
    };
    match (Renderer::new(online), Renderer::new(offline)) {
        (Ok(online), Ok(offline)) => Some(Arc::new(Renderers {
            online: Arc::new(online),
            offline: Arc::new(offline),
        })),
        _ => None,
    }
}

/// The run's redactor, with every value the run decrypted (`decrypted`, also by builds that
/// failed) and every secret value the owners handled registered. Values a release read from
/// Secrets or from marked fields: only the registered secret values inside them are hidden, so
/// `echo.example.com` shows as `echo.<secret:…>`.
fn redactor(opts: &RunOptions, cluster: &mut Cluster, decrypted: Vec<SecretValue>) -> Redactor {
    let mut redactor = redaction_key(opts);
    // Registered in two batches (each sorts every form once), releases after what they refine.
    let kustomizations = cluster
        .kustomizations()
        .flat_map(|r| r.secrets.iter().cloned());
    redactor.add_values(decrypted.into_iter().chain(kustomizations));
    for r in cluster.owners.values_mut() {
        if r.id.kind == OwnerKind::HelmRelease {
            r.secrets = redactor.refine(&r.secrets);
        }
    }
    let releases: Vec<SecretValue> = cluster
        .releases()
        .flat_map(|r| r.secrets.iter().cloned())
        .collect();
    redactor.add_values(releases);
    redactor
}

/// A redactor with the run's key (`--redaction-key`, else the cache folder's) and no values.
fn redaction_key(opts: &RunOptions) -> Redactor {
    match &opts.redaction_key {
        Some(k) => Redactor::new(k.as_bytes().to_vec()),
        None => Redactor::with_key_in(&opts.cache_dir),
    }
}

/// Every message the run recorded (verdicts, diagnostics) with the secret values it may quote
/// (a chart's `fail` message, a kustomize error citing a decrypted file) replaced by tokens, so
/// no view can print them. A value the owner read itself gets the token of where it read it.
fn scrub_messages(cluster: &mut Cluster, redactor: &Redactor) {
    for r in cluster.owners.values_mut() {
        let own = &r.secrets;
        let scrub = |m: &mut String| *m = redactor.scrub_text_for(m, own);
        match &mut r.outcome {
            Outcome::Failed(f) => scrub(&mut f.message),
            Outcome::Blocked(b) => scrub(&mut b.message),
            Outcome::Skipped(s) => scrub(&mut s.message),
            _ => {}
        }
        for d in &mut r.diagnostics {
            scrub(&mut d.message);
        }
    }
    for d in &mut cluster.diagnostics {
        d.message = redactor.scrub_text(&d.message);
    }
}

/// Moves the Kustomizations that are neither selected nor ancestors of a selected owner out of
/// the report: it shows what the changes can affect and how it is reached.
fn hide_unaffected(changed: &ChangedOnly, cluster: &mut Cluster) -> ChangedOnlySummary {
    let releases: Vec<OwnerId> = cluster.releases().map(|r| r.id.clone()).collect();
    let parents: Vec<OwnerId> = cluster
        .releases()
        .filter_map(|r| r.parent.clone())
        .collect();
    let hidden = changed.unaffected(&cluster.owners, parents.into_iter());
    let selected_ks = changed
        .selected_kustomizations(&cluster.owners)
        .iter()
        .map(OwnerId::name)
        .collect();
    for id in hidden {
        if let Some(r) = cluster.owners.remove(&id) {
            cluster.hidden.insert(id, r);
        }
    }
    let sel = &changed.selection;
    ChangedOnlySummary {
        changed: sel.changed().files.clone(),
        everything: sel.everything,
        selected_ks,
        selected_hr: releases.iter().map(OwnerId::name).collect(),
    }
}

/// `--helm CMD`, else `helm` on PATH; empty when there is none (or CMD's program is not found).
fn helm_command(explicit: Option<&[String]>) -> Vec<String> {
    match explicit {
        Some(cmd) if cmd.first().is_some_and(|p| which::which(p).is_ok()) => cmd.to_vec(),
        Some(_) => Vec::new(),
        None => which::which("helm")
            .map(|p| vec![p.display().to_string()])
            .unwrap_or_default(),
    }
}
