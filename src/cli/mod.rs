//! The `fluxsim` command: turns flags into library calls and results into output and exit codes.

pub mod args;

use args::{BuildArgs, BuildFormat, BuildWhat, Cli, Command, GetFormat, GetWhat, GlobalArgs};
use fluxsim::pipeline::{self, Run, RunOptions};
use fluxsim::{report, snapshot, sources, yaml};
use serde_json::json;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Exit statuses CI can rely on.
pub const EXIT_OK: u8 = 0;
pub const EXIT_FAILURES: u8 = 1;
pub const EXIT_SETUP: u8 = 2;

pub fn main_with(cli: Cli) -> ExitCode {
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
    let run = match pipeline::run(&opts).await {
        Ok(r) => r,
        Err(e) => return fail_setup(&e.to_string()),
    };
    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let code = match &cli.command {
        Command::Get {
            what: GetWhat::Ks(a),
        } => get_ks(&run, a.output, color),
        Command::Build(a) => build(&run, a, &cli.global),
    };
    if let Some(file) = &cli.global.stats_file {
        let c = report::counts(&run);
        let stats = json!({
            "wallSeconds": run.render.wall_time.as_secs_f64(),
            "kustomizeSeconds": run.render.kustomize_time.as_secs_f64(),
            "jobs": opts.jobs,
            "kustomizations": c.total,
            "rendered": c.rendered,
            "objects": c.objects,
        });
        if let Err(e) = std::fs::write(file, pretty(&stats) + "\n") {
            eprintln!("warning: cannot write {}: {e}", file.display());
        }
    }
    if !cli.global.quiet {
        let ecolor = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        eprint!("{}", report::summary(&run, ecolor));
    }
    if code != EXIT_OK {
        code
    } else if run.has_failures() {
        EXIT_FAILURES
    } else {
        EXIT_OK
    }
}

fn fail_setup(msg: &str) -> u8 {
    eprintln!("error: {msg}");
    EXIT_SETUP
}

fn run_options(g: &GlobalArgs) -> Result<RunOptions, String> {
    let mut mapped = std::collections::HashMap::new();
    for s in &g.sources {
        let (key, dir) = sources::parse_mapping(s)?;
        let dir = dir
            .canonicalize()
            .map_err(|_| format!("--source {s}: no such directory"))?;
        mapped.insert(key, dir);
    }
    let cache_dir = g.cache_dir.clone().unwrap_or_else(default_cache_dir);
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
        cache_dir,
        age_key_files: g.age_key_files.clone(),
        redaction_key: g.redaction_key.clone(),
    })
}

fn default_cache_dir() -> PathBuf {
    dirs::cache_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("fluxsim")
}

fn print(s: &str) -> u8 {
    let mut out = std::io::stdout().lock();
    match out.write_all(s.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => EXIT_OK,
        // A closed pipe (`| head`) is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => EXIT_OK,
        Err(e) => {
            eprintln!("error: writing output: {e}");
            EXIT_SETUP
        }
    }
}

fn get_ks(run: &Run, format: GetFormat, color: bool) -> u8 {
    match format {
        GetFormat::Table => print(&report::kustomization_table(run, color)),
        GetFormat::Json => print(&(pretty(&json!(report::kustomization_rows(run))) + "\n")),
        GetFormat::Yaml => print(&yaml::to_yaml(&json!(report::kustomization_rows(run)))),
    }
}

fn pretty(v: &serde_json::Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

fn build(run: &Run, args: &BuildArgs, g: &GlobalArgs) -> u8 {
    if g.show_secrets {
        eprintln!("warning: --show-secrets: decrypted secret values are printed in clear text");
    }
    if let Some(dir) = &args.output_dir {
        return match snapshot::write(run, dir, g.show_secrets) {
            Ok(n) => {
                if !g.quiet {
                    eprintln!("wrote {n} objects to {}", dir.display());
                }
                EXIT_OK
            }
            Err(e) => {
                eprintln!("error: {e}");
                EXIT_SETUP
            }
        };
    }
    let owners: Vec<_> = match &args.what {
        None | Some(BuildWhat::All) => snapshot::ordered(run).collect(),
        Some(BuildWhat::Ks { name }) => {
            let found: Vec<_> = snapshot::ordered(run)
                .filter(|(id, _)| id.name == *name || id.to_string() == *name)
                .collect();
            if found.is_empty() {
                eprintln!("error: no Kustomization named {name}");
                return EXIT_SETUP;
            }
            found
        }
    };
    match args.output {
        BuildFormat::Yaml => {
            let objects: Vec<_> = owners
                .iter()
                .flat_map(|(_, n)| snapshot::owner_objects(run, n, g.show_secrets))
                .collect();
            print(&yaml::to_yaml_stream(objects.iter()))
        }
        BuildFormat::Json => {
            let list: Vec<_> = owners
                .iter()
                .map(|(id, n)| {
                    let status = run.analysis.status.get(id);
                    json!({
                        "kind": "Kustomization",
                        "name": id.name,
                        "namespace": id.namespace,
                        "status": status.map(|s| s.label()),
                        "message": status.map(|s| s.message()),
                        "objects": snapshot::owner_objects(run, n, g.show_secrets),
                    })
                })
                .collect();
            print(&(pretty(&json!(list)) + "\n"))
        }
    }
}
