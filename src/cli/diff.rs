//! `diff`: render the base and the head concurrently (sharing caches) and compare them.

use super::args::{DiffArgs, DiffFormat, DiffScope, GlobalArgs};
use super::output::{print, stderr_color, stdout_color};
use super::{EXIT_FAILURES, EXIT_OK, EXIT_SETUP};
use fluxsim::diff::{self, DiffOptions, OwnerKind, OwnerRef, OwnerStatus, Scope, Side, SideOwner};
use fluxsim::graph::Status;
use fluxsim::pipeline::{self, Run, RunOptions};
use fluxsim::{report, snapshot};

pub async fn run(args: &DiffArgs, head_opts: &RunOptions, g: &GlobalArgs) -> u8 {
    // The base tree lives in a temporary folder until the end of the command.
    let (base_opts, _base_tree) = match base_options(args, head_opts) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_SETUP;
        }
    };
    let (head, base) = tokio::join!(pipeline::run(head_opts), pipeline::run(&base_opts));
    let head = match head {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: head: {e}");
            return EXIT_SETUP;
        }
    };
    let base = match base {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: base: {e}");
            return EXIT_SETUP;
        }
    };
    let opts = DiffOptions {
        context: args.unified,
        strip_attrs: args.strip_attrs.clone(),
        limit_bytes: args.limit_bytes,
        color: stdout_color(),
        scope: match args.scope {
            DiffScope::Ks => Scope::Ks,
            DiffScope::Hr => Scope::Hr,
            DiffScope::All => Scope::All,
        },
    };
    let result = diff::diff(
        &side(&base, g.show_secrets),
        &side(&head, g.show_secrets),
        &opts,
    );
    let text = match args.output {
        DiffFormat::Unified => diff::unified(&result, &opts),
        DiffFormat::Markdown => diff::markdown(&result, &opts),
        DiffFormat::Json => diff::json(&result, &opts),
        DiffFormat::Stat => diff::stat(&result, &opts),
    };
    let code = print(&text);
    if !g.quiet {
        eprint!("head: {}", report::summary(&head, stderr_color()));
    }
    if code != EXIT_OK {
        code
    } else if head.has_failures() || (args.exit_code && diff::has_changes(&result)) {
        EXIT_FAILURES
    } else {
        EXIT_OK
    }
}

/// Run options for the base: the counterpart of --path in the base tree.
fn base_options(
    args: &DiffArgs,
    head: &RunOptions,
) -> Result<(RunOptions, Option<diff::BaseTree>), String> {
    let mut opts = head.clone();
    opts.progress = false;
    if let Some(dir) = &args.path_orig {
        opts.path = dir.clone();
        opts.repo_root = None;
        return Ok((opts, None));
    }
    let tree = diff::materialize(&head.path, args.base.as_deref()).map_err(|e| e.to_string())?;
    opts.path = tree.path();
    if let Some(root) = &head.repo_root {
        // Keep an explicit --repo-root pointing at the same place inside the base tree.
        let top = git_toplevel(&head.path).ok_or("cannot find the git top level of --path")?;
        let rel = root
            .canonicalize()
            .ok()
            .and_then(|r| r.strip_prefix(&top).ok().map(|p| p.to_path_buf()))
            .ok_or("--repo-root is outside the git repository")?;
        opts.repo_root = Some(tree.root().join(rel));
    }
    Ok((opts, Some(tree)))
}

fn git_toplevel(path: &std::path::Path) -> Option<std::path::PathBuf> {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(path)
        .args(["rev-parse", "--show-toplevel"])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| std::path::PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
        .and_then(|p| p.canonicalize().ok())
}

/// One rendered side, redacted unless --show-secrets.
fn side(run: &Run, show_secrets: bool) -> Side {
    let status = |s: Option<&Status>| match s {
        Some(Status::Failed(m)) => OwnerStatus::Failed(m.clone()),
        Some(Status::Unavailable(m)) => OwnerStatus::Unavailable(m.clone()),
        _ => OwnerStatus::Rendered,
    };
    let mut owners = std::collections::BTreeMap::new();
    for (id, node) in snapshot::ordered(run) {
        owners.insert(
            OwnerRef {
                kind: OwnerKind::Kustomization,
                namespace: id.namespace.clone(),
                name: id.name.clone(),
            },
            SideOwner {
                status: status(run.analysis.status.get(id)),
                objects: snapshot::owner_objects(run, node, show_secrets),
            },
        );
    }
    for (id, hr) in &run.releases {
        owners.insert(
            OwnerRef {
                kind: OwnerKind::HelmRelease,
                namespace: id.namespace.clone(),
                name: id.name.clone(),
            },
            SideOwner {
                status: status(run.release_status.get(id)),
                objects: snapshot::release_objects(run, hr, show_secrets),
            },
        );
    }
    Side { owners }
}
