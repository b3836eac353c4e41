//! The `fluxsim` command: turns flags into library calls and results into output and exit codes.

pub mod args;
mod cache;
mod changed;
mod diff;
mod output;
mod plan;
mod shell;
mod show;
pub mod version;

use args::{Cli, Command, GlobalArgs};
use fluxsim::pipeline::{self, Run, RunOptions};
use fluxsim::{report, sources};
use serde_json::json;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

/// Exit statuses CI can rely on.
pub const EXIT_OK: u8 = 0;
pub const EXIT_FAILURES: u8 = 1;
pub const EXIT_SETUP: u8 = 2;

pub fn main_with(cli: Cli) -> ExitCode {
    if let Some(code) = shell::run(&cli.command) {
        return ExitCode::from(code);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            return ExitCode::from(fail_setup(&format!("cannot start the async runtime: {e}")));
        }
    };
    let code = runtime.block_on(dispatch(cli));
    runtime.shutdown_background();
    ExitCode::from(code)
}

async fn dispatch(cli: Cli) -> u8 {
    let opts = match run_options(&cli.global) {
        Ok(o) => o,
        Err(e) => return fail_setup(&e),
    };
    if cli.global.show_secrets {
        eprintln!("warning: --show-secrets: decrypted secret values are printed in clear text");
    }
    match &cli.command {
        Command::Cache { what } => cache::run(what, &opts.cache_dir),
        Command::Diff(a) => diff::run(a, &opts, &cli.global).await,
        command => {
            let changed_args = match command {
                Command::Build(a) => Some(&a.changed),
                Command::Validate(a) => Some(&a.changed),
                _ => None,
            };
            let mut opts = opts.clone();
            if let Some(args) = changed_args {
                match changed::head_selection(args, &opts) {
                    Ok(sel) => opts.selection = sel,
                    Err(e) => return fail_setup(&e),
                }
            }
            let run = match pipeline::run(&opts).await {
                Ok(r) => r,
                Err(e) => return fail_setup(&e.to_string()),
            };
            let code = match command {
                Command::Get { what } => show::get(&run, what),
                Command::Build(a) => show::build(&run, a, &cli.global),
                Command::Plan(a) => plan::plan(&run, a),
                Command::Validate(a) => plan::validate(&run, a),
                Command::Cache { .. }
                | Command::Diff(_)
                | Command::Completions(_)
                | Command::Man => EXIT_SETUP,
            };
            finish(
                &run,
                &cli.global,
                &opts,
                code,
                !matches!(command, Command::Validate(_)),
            )
        }
    }
}

/// Stats file, summary on stderr, and the exit status of a one-run command.
fn finish(run: &Run, g: &GlobalArgs, opts: &RunOptions, code: u8, summary: bool) -> u8 {
    write_stats(run, g, opts);
    if summary && !g.quiet {
        if g.verbose > 0 {
            eprint!("{}", report::timings(run));
        }
        eprint!("{}", report::summary(run, output::stderr_color()));
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
    let cached = run
        .render
        .kustomizations
        .values()
        .filter(|n| n.outcome.output().is_some_and(|o| o.from_cache))
        .count();
    let stats = json!({
        "wallSeconds": run.render.wall_time.as_secs_f64(),
        "kustomizeSeconds": run.render.kustomize_time.as_secs_f64(),
        "jobs": opts.jobs,
        "kustomizations": c.total,
        "rendered": c.rendered,
        "kustomizationsFromCache": cached,
        "objects": c.objects,
        "helmReleases": h.total,
        "helmReleasesRendered": h.rendered,
    });
    if let Err(e) = std::fs::write(file, output::pretty(&stats) + "\n") {
        eprintln!("warning: cannot write {}: {e}", file.display());
    }
}

fn fail_setup(msg: &str) -> u8 {
    eprintln!("error: {msg}");
    EXIT_SETUP
}

pub fn run_options(g: &GlobalArgs) -> Result<RunOptions, String> {
    let mut mapped = std::collections::HashMap::new();
    for s in &g.sources {
        let (key, dir) = sources::parse_mapping(s)?;
        let dir = dir
            .canonicalize()
            .map_err(|_| format!("--source {s}: no such directory"))?;
        mapped.insert(key, dir);
    }
    Ok(RunOptions {
        path: g.path.clone(),
        repo_root: g.repo_root.clone(),
        sources: mapped,
        kustomize: g.kustomize.clone(),
        jobs: g
            .jobs
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get())),
        strict_substitution: g.strict_substitution,
        progress: !g.no_progress && !g.quiet && std::io::stderr().is_terminal(),
        cache_dir: g.cache_dir.clone().unwrap_or_else(default_cache_dir),
        age_key_files: g.age_key_files.clone(),
        redaction_key: g.redaction_key.clone(),
        helm: g.helm.clone(),
        offline: g.offline,
        no_cache: g.no_cache,
        kube_version: g.kube_version.clone(),
        api_versions: g.api_versions.clone(),
        selection: None,
    })
}

fn default_cache_dir() -> PathBuf {
    dirs::cache_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("fluxsim")
}
