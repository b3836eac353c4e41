//! The whole run, as a library call: discover → sources → reconcile → analyze.
//! The CLI, the tests and the benchmarks all go through here.

use crate::build::BuildContext;
use crate::decrypt::DecryptContext;
use crate::discover::{self, Discovery};
use crate::engine::{self, ClusterRender, EngineOptions};
use crate::flux::NamespacedName;
use crate::graph::Status;
use crate::graph::{self, Analysis};
use crate::helm::{HelmOptions, Renderer};
use crate::kustomize::KustomizeCommand;
use crate::redact::Redactor;
use crate::releases::{self, HrNode};
use crate::select::{Role, Selection};
use crate::sources::{SourceKey, Sources};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

/// Settings of a run, resolved from flags and environment by the CLI.
#[derive(Clone, Debug)]
pub struct RunOptions {
    pub path: PathBuf,
    pub repo_root: Option<PathBuf>,
    pub sources: HashMap<(String, String), PathBuf>,
    pub kustomize: Option<String>,
    pub jobs: usize,
    pub strict_substitution: bool,
    pub progress: bool,
    pub cache_dir: PathBuf,
    pub age_key_files: Vec<PathBuf>,
    pub helm: Option<String>,
    pub offline: bool,
    /// Network policy and timeouts of chart downloads (`--network`).
    pub network: crate::net::NetOptions,
    /// Do not read or write the persistent build caches.
    pub no_cache: bool,
    pub kube_version: Option<String>,
    pub api_versions: Vec<String>,
    /// Fixed key for redaction tokens (default: a random key kept in `cache_dir`).
    pub redaction_key: Option<String>,
    /// Changed-only mode: render what these changes can affect, plus its ancestors.
    pub selection: Option<Arc<Selection>>,
}

/// Problems that stop a run before anything is built (exit status 2).
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("{0}")]
    Discover(#[from] discover::DiscoverError),
    #[error("{0}")]
    Kustomize(#[from] crate::kustomize::KustomizeError),
    #[error("{0}")]
    Keys(String),
}

pub struct Run {
    pub discovery: Discovery,
    pub render: ClusterRender,
    pub analysis: Analysis,
    pub releases: BTreeMap<NamespacedName, HrNode>,
    pub release_status: BTreeMap<NamespacedName, Status>,
    pub redactor: Redactor,
    /// Changed-only mode's account of what it left out.
    pub changed_only: Option<ChangedOnly>,
}

/// What changed-only mode selected and left out.
#[derive(Debug, Default)]
pub struct ChangedOnly {
    /// The changed files, relative to the top of the repository.
    pub changed: BTreeSet<std::path::PathBuf>,
    /// A change selected every owner (ignore rules, a chart folder).
    pub everything: bool,
    /// Owners the changes can affect (before ancestors are added).
    pub selected_ks: BTreeSet<NamespacedName>,
    pub selected_hr: BTreeSet<NamespacedName>,
    /// Kustomizations left out of the report; those that were built keep their output.
    pub hidden: BTreeMap<NamespacedName, crate::engine::KsNode>,
}

impl Run {
    /// Kustomizations that exist in the repository (the synthetic sync of `--path` excluded).
    pub fn real_kustomizations(&self) -> impl Iterator<Item = &crate::engine::KsNode> {
        self.render.kustomizations.values().filter(|n| !n.synthetic)
    }

    pub fn has_failures(&self) -> bool {
        self.analysis.status.values().any(|s| s.is_failure())
            || self.release_status.values().any(|s| s.is_failure())
            || !self.render.problems.is_empty()
    }
}

pub async fn run(opts: &RunOptions) -> Result<Run, SetupError> {
    let started = std::time::Instant::now();
    let discovery = discover::discover(&opts.path, opts.repo_root.as_deref())?;
    let kustomize = KustomizeCommand::resolve(opts.kustomize.as_deref())?;
    let kustomize_identity = kustomize.identity();
    let decrypt = DecryptContext::load(&opts.age_key_files).map_err(SetupError::Keys)?;
    let bootstrap = SourceKey::of(&discovery.root.source());
    let sources = Arc::new(Sources::new(
        bootstrap,
        discovery.repo_root.clone(),
        opts.sources.clone(),
    ));
    let scratch = opts.cache_dir.join("tmp");
    let scratch = std::fs::create_dir_all(&scratch).ok().map(|_| scratch);
    let helm_options = HelmOptions {
        helm: helm_command(opts.helm.as_deref()),
        kustomize: std::iter::once(kustomize.program.display().to_string())
            .chain(kustomize.args.iter().cloned())
            .collect(),
        cache_dir: opts.cache_dir.join("helm"),
        offline: opts.offline,
        kube_version: opts.kube_version.clone(),
        api_versions: opts.api_versions.clone(),
        network: opts.network.clone(),
    };
    let slots = Arc::new(tokio::sync::Semaphore::new(opts.jobs.max(1)));
    let ctx = Arc::new(BuildContext {
        kustomize,
        strict_substitution: opts.strict_substitution,
        decrypt: Arc::new(decrypt),
        scratch,
        subprocess_slots: slots.clone(),
        cache: if opts.no_cache {
            None
        } else {
            crate::cache::Store::open(&opts.cache_dir)
                .ok()
                .map(Arc::new)
        },
        kustomize_identity,
        network: opts.network.policy,
    });
    let engine_opts = EngineOptions {
        progress: opts.progress,
        selection: opts.selection.clone(),
    };
    let render = engine::reconcile(&discovery, sources.clone(), ctx, &engine_opts).await;
    let analysis = graph::analyze(&render);
    let renderers = if helm_options.helm.is_empty() {
        None
    } else {
        let offline = HelmOptions {
            offline: true,
            ..helm_options.clone()
        };
        match (Renderer::new(helm_options), Renderer::new(offline)) {
            (Ok(online), Ok(offline)) => Some(Arc::new(releases::Renderers {
                online: Arc::new(online),
                offline: Arc::new(offline),
            })),
            _ => None,
        }
    };
    let selection = opts.selection.as_deref();
    let releases =
        releases::render_all(&render, sources, renderers, slots, opts.progress, selection).await;
    let release_status = graph::analyze_releases(&releases);
    let mut render = render;
    render.wall_time = started.elapsed();
    let mut redactor = match &opts.redaction_key {
        Some(k) => Redactor::new(k.as_bytes().to_vec()),
        None => Redactor::with_key_in(&opts.cache_dir),
    };
    for node in render.kustomizations.values() {
        if let Some(out) = node.outcome.output() {
            redactor.add_values(out.vars.secret_values.iter().cloned());
            redactor.add_values(out.decrypted_values.iter().cloned());
        }
    }
    // Values a release read from Secrets or from marked fields: only the registered secret
    // values inside them are hidden, so `echo.example.com` shows as `echo.<secret:…>`.
    let mut releases = releases;
    for hr in releases.values_mut() {
        hr.secret_values = redactor.refine(&hr.secret_values);
    }
    for hr in releases.values() {
        redactor.add_values(hr.secret_values.iter().cloned());
    }
    let changed_only = selection.map(|sel| hide_unaffected(sel, &mut render, &releases));
    Ok(Run {
        discovery,
        render,
        analysis,
        releases,
        release_status,
        redactor,
        changed_only,
    })
}

/// Moves the Kustomizations that are neither selected nor ancestors of a selected owner out of
/// the render: the report shows what the changes can affect and how it is reached.
fn hide_unaffected(
    sel: &Selection,
    render: &mut ClusterRender,
    releases: &BTreeMap<NamespacedName, HrNode>,
) -> ChangedOnly {
    let selected_ks: BTreeSet<NamespacedName> = render
        .kustomizations
        .iter()
        .filter(|(_, n)| n.role == Role::Selected)
        .map(|(id, _)| id.clone())
        .collect();
    let mut shown = BTreeSet::new();
    let starts = selected_ks
        .iter()
        .chain(releases.values().map(|hr| &hr.parent));
    for start in starts {
        let mut at = Some(start.clone());
        while let Some(id) = at {
            if !shown.insert(id.clone()) {
                break;
            }
            at = render
                .kustomizations
                .get(&id)
                .and_then(|n| n.parent.clone());
        }
    }
    let ids: Vec<NamespacedName> = render.kustomizations.keys().cloned().collect();
    let mut hidden = BTreeMap::new();
    for id in ids {
        if !shown.contains(&id)
            && let Some(node) = render.kustomizations.remove(&id)
        {
            hidden.insert(id, node);
        }
    }
    ChangedOnly {
        changed: sel.changed().files.clone(),
        everything: sel.everything,
        selected_ks,
        selected_hr: releases.keys().cloned().collect(),
        hidden,
    }
}

/// `--helm CMD` (split on whitespace), else `helm` on PATH; empty when there is none.
fn helm_command(explicit: Option<&str>) -> Vec<String> {
    match explicit {
        Some(cmd) => cmd.split_whitespace().map(str::to_string).collect(),
        None => which::which("helm")
            .map(|p| vec![p.display().to_string()])
            .unwrap_or_default(),
    }
}
