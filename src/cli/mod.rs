//! The `fluxsim` command: turns flags into library calls and results into output and exit codes.

pub mod args;
mod args_compat;
mod args_select;
mod cache;
mod changed;
mod clusters;
pub mod compat;
mod diff;
mod diff_output;
mod exit;
mod filters;
mod get;
mod help;
mod images;
mod output;
mod plan;
mod progress;
mod sections;
mod shell;
mod show;
mod signals;
pub mod version;

use args::{Cli, Command, GlobalArgs, NetworkPolicy};
pub use exit::{EXIT_FAILURES, EXIT_OK, EXIT_SETUP, SetupFailure};
use fluxsim::pipeline::{self, Run, RunOptions};
use fluxsim::reporter::{Reporter, Silent};
use fluxsim::{report, sources};
use serde_json::json;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// Stack of every thread that handles objects: YAML may nest 10,000 levels deep (as Go's yaml
/// allows) and rendering, substituting and writing such an object recurses once per level.
/// Only what is used is ever committed.
const STACK_SIZE: usize = 256 << 20;

pub fn main_with(cli: Cli) -> ExitCode {
    if let Some(code) = shell::run(&cli.command) {
        return ExitCode::from(code);
    }
    // The main thread's stack is fixed at 8 MiB: run on one of our own.
    let main = std::thread::Builder::new()
        .name("fluxsim".into())
        .stack_size(STACK_SIZE)
        .spawn(move || run_cli(cli));
    match main.map(|t| t.join()) {
        Ok(Ok(code)) => code,
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(e) => {
            let failure = SetupFailure::new(format!("cannot start a thread: {e}"));
            ExitCode::from(output::fail(&failure))
        }
    }
}

fn run_cli(cli: Cli) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(STACK_SIZE)
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let failure = SetupFailure::new(format!("cannot start the async runtime: {e}"));
            return ExitCode::from(output::fail(&failure));
        }
    };
    if let Some(watch) = runtime.block_on(async { signals::install() }) {
        runtime.spawn(watch);
    }
    let code = runtime.block_on(dispatch(cli));
    runtime.shutdown_background();
    ExitCode::from(code)
}

async fn dispatch(cli: Cli) -> u8 {
    let opts = match run_options(&cli.global) {
        Ok(o) => o,
        Err(e) => return output::fail(&e),
    };
    if cli.global.show_secrets {
        output::warn("--show-secrets: decrypted secret values are printed in clear text");
    }
    match &cli.command {
        Command::Cache { what } => cache::run(what, &opts.cache_dir),
        Command::Diff(a) => diff::run(a, &opts, &cli.global).await,
        command => run_one(command, opts, &cli.global).await,
    }
}

/// `get`, `build`, `plan`, `validate`: a run per cluster, then its view.
async fn run_one(command: &Command, opts: RunOptions, g: &GlobalArgs) -> u8 {
    let all = match pipeline::clusters(&opts) {
        Ok(c) => c,
        Err(e) => return output::fail(&SetupFailure::from_error(&e)),
    };
    if let Command::Get {
        what: args::GetWhat::Clusters(a),
    } = command
    {
        return clusters::get(&all, a.output);
    }
    let chosen = match clusters::select(all, g.cluster.as_deref()) {
        Ok(c) => c,
        Err(e) => return output::fail(&e),
    };
    let several = chosen.len() > 1;
    if let (true, Some(wrap)) = (several, sections::wrap_for(command)) {
        sections::open(wrap);
    }
    let reach = match command {
        Command::Plan(_) | Command::Validate(_) => clusters::Reach::of(&opts, &chosen).await,
        _ => clusters::Reach::default(),
    };
    let mut code = EXIT_OK;
    for d in chosen {
        let elsewhere = reach.elsewhere(&d);
        if several && !g.quiet {
            output::warn_plain(&clusters::header(&d));
        }
        sections::start(&d.name, &d.sync_path.to_string_lossy());
        code = code.max(run_cluster(command, opts.clone(), d, g, several, &elsewhere).await);
    }
    match sections::close() {
        Some(doc) => code.max(output::print_raw(&doc)),
        None => code,
    }
}

/// One cluster's run and view.
async fn run_cluster(
    command: &Command,
    mut opts: RunOptions,
    cluster: fluxsim::discover::Discovery,
    g: &GlobalArgs,
    several: bool,
    elsewhere: &plan::FileSet,
) -> u8 {
    let changed_args = match command {
        Command::Build(a) => Some(&a.changed),
        Command::Validate(a) => Some(&a.changed),
        _ => None,
    };
    if let Some(args) = changed_args {
        match changed::head_selection(args, &opts) {
            Ok(sel) => opts.selection = sel,
            Err(e) => return output::fail(&e),
        }
    }
    let name = cluster.name.clone();
    let run = match pipeline::run(&opts, cluster, reporter(g)).await {
        Ok(r) => r,
        Err(e) => return output::fail(&SetupFailure::from_error(&e)),
    };
    output::remember(&run, g.show_secrets);
    let code = match command {
        Command::Get { what } => get::run(&run, what, g),
        Command::Build(a) => show::build(&run, a, g, several.then_some(name.as_str())),
        Command::Plan(a) => plan::plan(&run, a, g, elsewhere),
        Command::Validate(a) => plan::validate(&run, a, g, elsewhere),
        Command::Cache { .. } | Command::Diff(_) | Command::Completions(_) | Command::Man => {
            EXIT_SETUP
        }
    };
    finish(
        &run,
        g,
        &opts,
        code,
        !matches!(command, Command::Validate(_)),
    )
}

/// Progress bars on a terminal, nothing otherwise.
pub fn reporter(g: &GlobalArgs) -> Arc<dyn Reporter> {
    let tty = std::io::stderr().is_terminal();
    if progress::enabled(tty, g.quiet, g.verbose, g.no_progress) {
        Arc::new(progress::TtyProgress::new())
    } else {
        Arc::new(Silent)
    }
}

/// Stats file, summary on stderr, and the exit status of a one-run command.
fn finish(run: &Run, g: &GlobalArgs, opts: &RunOptions, code: u8, summary: bool) -> u8 {
    write_stats(run, g, opts);
    let out = output::Printer::new(run);
    if summary && !g.quiet {
        if g.verbose > 0 {
            out.message(&report::timings(run));
        }
        out.message(&report::summary(run, output::stderr_color()));
    }
    if code != EXIT_OK {
        code
    } else if run.has_failures() {
        EXIT_FAILURES
    } else {
        EXIT_OK
    }
}

fn write_stats(run: &Run, g: &GlobalArgs, opts: &RunOptions) {
    let Some(file) = &g.stats_file else { return };
    let c = report::counts(run);
    let h = report::release_counts(run);
    let ks = || run.cluster.kustomizations();
    let cached = ks().filter(|r| r.from_cache).count();
    let queued: f64 = ks().map(|r| r.timing.queued.as_secs_f64()).sum();
    let fast_patch =
        |want: fn(Option<bool>) -> bool| ks().filter(|r| want(r.deferred_patches)).count();
    let stats = json!({
        "wallSeconds": run.wall_time.as_secs_f64(),
        "kustomizeSeconds": run.kustomize_time.as_secs_f64(),
        "kustomizeQueuedSeconds": queued,
        "jobs": opts.jobs,
        "kustomizations": c.total,
        "rendered": c.rendered,
        "kustomizationsFromCache": cached,
        "kustomizationsFastPatch": fast_patch(|f| f == Some(true)),
        "kustomizationsFastPatchFellBack":
            fast_patch(|f| f == Some(false)),
        "kustomizationsBuiltAhead": run.built_ahead,
        "objects": c.objects,
        "helmReleases": h.total,
        "helmReleasesRendered": h.rendered,
    });
    if let Err(e) = std::fs::write(file, output::pretty(&stats) + "\n") {
        output::warn(&format!("cannot write {}: {e}", file.display()));
    }
}

/// Splits a `--kustomize`/`--helm` command line as a shell would.
fn command_words(flag: &str, cmd: &Option<String>) -> Result<Option<Vec<String>>, SetupFailure> {
    let Some(cmd) = cmd else { return Ok(None) };
    match shlex::split(cmd) {
        Some(words) if !words.is_empty() => Ok(Some(words)),
        _ => Err(SetupFailure::new(format!(
            "{flag} {cmd:?}: not a command line (unbalanced quotes?)"
        ))),
    }
}

pub fn run_options(g: &GlobalArgs) -> Result<RunOptions, SetupFailure> {
    let mut mapped = std::collections::HashMap::new();
    for s in &g.sources {
        let (key, dir) = sources::parse_mapping(s).map_err(|e| SetupFailure::from_error(&e))?;
        let dir = dir
            .canonicalize()
            .map_err(|_| SetupFailure::new(format!("--source {s}: no such directory")))?;
        mapped.insert(key, dir);
    }
    Ok(RunOptions {
        path: g.path.clone(),
        repo_root: g.repo_root.clone(),
        sources: mapped,
        kustomize: command_words("--kustomize", &g.kustomize)?,
        jobs: g
            .jobs
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get())),
        strict_substitution: g.strict_substitution,
        cache_dir: g.cache_dir.clone().unwrap_or_else(default_cache_dir),
        age_key_files: g.age_key_files.clone(),
        redaction_key: g.redaction_key.clone(),
        show_secrets: g.show_secrets,
        helm: command_words("--helm", &g.helm)?,
        offline: g.offline || g.network == NetworkPolicy::Offline,
        network: network_options(g)?,
        no_cache: g.no_cache,
        kube_version: g.kube_version.clone(),
        api_versions: g.api_versions.clone(),
        selection: None,
        fast_patch: g.fast_patch && !g.no_fast_patch,
        prefetched: None,
        build_ahead: g.build_ahead && !g.no_build_ahead,
    })
}

/// `--network`, `--network-timeout`; `--offline` is `--network offline`.
fn network_options(g: &GlobalArgs) -> Result<fluxsim::net::NetOptions, SetupFailure> {
    let policy = if g.offline {
        NetworkPolicy::Offline
    } else {
        g.network
    };
    let timeout = match g.network_timeout {
        Some(s) if !(s.is_finite() && s > 0.0) => {
            return Err(SetupFailure::new(format!(
                "--network-timeout {s}: not a positive number of seconds"
            )));
        }
        Some(s) => Some(std::time::Duration::from_secs_f64(s)),
        None => None,
    };
    Ok(fluxsim::net::NetOptions::new(policy, timeout))
}

fn default_cache_dir() -> PathBuf {
    dirs::cache_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("fluxsim")
}
