//! `diff`: render the base and the head concurrently (sharing caches) and compare them.

use super::args::{DiffArgs, DiffScope, GlobalArgs};
use super::exit::SetupFailure;
use super::output::{self, Printer, stderr_color, stdout_color};
use super::{EXIT_FAILURES, EXIT_OK, EXIT_SETUP};
use super::{changed, diff_output};
use fluxsim::changes::ChangedFiles;
use fluxsim::diff::{self, DiffOptions, Scope};
use fluxsim::model::{NamespacedName, OwnerId};
use fluxsim::pipeline::{self, Run, RunOptions};
use fluxsim::report;
use fluxsim::reporter::Silent;
use fluxsim::select::Selection;
use std::collections::BTreeSet;
use std::sync::Arc;

pub async fn run(args: &DiffArgs, head_opts: &RunOptions, g: &GlobalArgs) -> u8 {
    // The base tree lives in a temporary folder (or a kept baseline) until the end.
    let setup = match base_options(args, head_opts) {
        Ok(b) => b,
        Err(e) => return output::fail(&e),
    };
    let Setup {
        base: mut base_opts,
        head: mut head_opts,
        tree: _base_tree,
    } = setup;
    let (head, base) = loop {
        // Separate tasks, so that the sides' synchronous steps also run in parallel.
        let (h, b) = (head_opts.clone(), base_opts.clone());
        let reporter = super::reporter(g);
        let head = tokio::spawn(async move { pipeline::run(&h, reporter).await });
        let base = tokio::spawn(async move { pipeline::run(&b, Arc::new(Silent)).await });
        let (head, base) = match tokio::try_join!(head, base) {
            Ok(sides) => sides,
            Err(e) => return output::fail(&SetupFailure::new(format!("internal: {e}"))),
        };
        let side = |name: &str, r: Result<Run, pipeline::SetupError>| {
            r.map_err(|e| {
                let mut f = SetupFailure::from_error(&e);
                f.message = format!("{name}: {}", f.message);
                f
            })
        };
        let (head, base) = match (side("head", head), side("base", base)) {
            (Ok(h), Ok(b)) => (h, b),
            (Err(e), _) | (_, Err(e)) => return output::fail(&e),
        };
        // Both sides must render the same owners: what one selected, the other renders too.
        let (Some((ks, hr)), Some(h), Some(b)) = (
            agree(&head, &base),
            &head_opts.selection,
            &base_opts.selection,
        ) else {
            break (head, base);
        };
        match (forced(h, &ks, &hr), forced(b, &ks, &hr)) {
            (None, None) => break (head, base),
            (h, b) => {
                head_opts.selection = h.or(head_opts.selection.take());
                base_opts.selection = b.or(base_opts.selection.take());
            }
        }
    };
    let opts = DiffOptions {
        context: args.unified,
        strip_attrs: args.strip_attrs.clone(),
        limit_bytes: args.limit_bytes.unwrap_or(diff::DEFAULT_LIMIT_BYTES),
        color: stdout_color(),
        scope: match args.scope {
            DiffScope::Ks => Scope::Ks,
            DiffScope::Hr => Scope::Hr,
            DiffScope::All | DiffScope::Images => Scope::All,
        },
    };
    let shown: BTreeSet<OwnerId> = diff::shown_kustomizations(&head)
        .chain(diff::shown_kustomizations(&base))
        .cloned()
        .collect();
    let (owners, objects) = diff_output::filters(args, g);
    let base_side = diff::side_of(&base, &shown, g.show_secrets);
    let head_side = diff::side_of(&head, &shown, g.show_secrets);
    let base_side = diff_output::filter_side(base_side, &base, &owners, &objects);
    let head_side = diff_output::filter_side(head_side, &head, &owners, &objects);
    let out = Printer::new(&head);
    if let (Some(name), true) = (
        &args.name,
        base_side.owners.is_empty() && head_side.owners.is_empty(),
    ) {
        out.message(&format!(
            "error: nothing named {name} in the base or the head\n"
        ));
        return EXIT_SETUP;
    }
    let (code, changed) = diff_output::print(&out, args, (&base_side, &head_side), &opts);
    if !g.quiet {
        out.message(&format!("head: {}", report::summary(&head, stderr_color())));
    }
    if code != EXIT_OK {
        code
    } else if head.has_failures() || (args.exit_code && changed) {
        EXIT_FAILURES
    } else {
        EXIT_OK
    }
}

struct Setup {
    head: RunOptions,
    base: RunOptions,
    tree: Option<diff::BaseTree>,
}

/// Run options for both sides: the base is the counterpart of --path in the base tree; in
/// changed-only mode (the default) each side gets the changed files as it sees them.
fn base_options(args: &DiffArgs, head: &RunOptions) -> Result<Setup, SetupFailure> {
    let mut head = head.clone();
    let mut opts = head.clone();
    if let Some(dir) = &args.path_orig {
        opts.path = dir.clone();
        opts.repo_root = None;
        if !args.full {
            let (head_top, base_top) = changed::tops(&head.path, dir)?;
            let files = changed::between_dirs(&head_top, &base_top)?;
            head.selection = Some(Arc::new(Selection::new(&head_top, files.clone())));
            opts.selection = Some(Arc::new(Selection::new(&base_top, files)));
        }
        return Ok(Setup {
            head,
            base: opts,
            tree: None,
        });
    }
    let failure = |e: &(dyn std::error::Error + 'static)| SetupFailure::from_error(e);
    let rev = diff::resolve_base(&head.path, args.base.as_deref()).map_err(|e| failure(&e))?;
    let keep = (!head.no_cache).then(|| head.cache_dir.join(diff::BASELINES_DIR));
    let changed = if args.full {
        None
    } else {
        Some(ChangedFiles::from_git(&rev.toplevel, &rev.commit).map_err(|e| failure(&e))?)
    };
    let tree = diff::materialize_rev(rev, keep.as_deref()).map_err(|e| failure(&e))?;
    opts.path = tree.path();
    if let Some(root) = &head.repo_root {
        // Keep an explicit --repo-root pointing at the same place inside the base tree.
        let top = changed::git_toplevel(&head.path)
            .ok_or_else(|| SetupFailure::new("cannot find the git top level of --path"))?;
        let rel = root
            .canonicalize()
            .ok()
            .and_then(|r| r.strip_prefix(&top).ok().map(|p| p.to_path_buf()))
            .ok_or_else(|| SetupFailure::new("--repo-root is outside the git repository"))?;
        opts.repo_root = Some(tree.root().join(rel));
    }
    if let Some(files) = changed {
        head.selection = Some(Arc::new(Selection::new(&tree.toplevel, files.clone())));
        opts.selection = Some(Arc::new(Selection::new(tree.root(), files)));
    }
    Ok(Setup {
        head,
        base: opts,
        tree: Some(tree),
    })
}

type Owners = (BTreeSet<NamespacedName>, BTreeSet<NamespacedName>);

/// The owners selected on either side, when the sides do not agree.
fn agree(head: &Run, base: &Run) -> Option<Owners> {
    let (h, b) = (head.changed_only.as_ref()?, base.changed_only.as_ref()?);
    if h.selected_ks == b.selected_ks && h.selected_hr == b.selected_hr {
        return None;
    }
    let ks = h.selected_ks.union(&b.selected_ks).cloned().collect();
    let hr = h.selected_hr.union(&b.selected_hr).cloned().collect();
    Some((ks, hr))
}

/// `sel` with `ks` and `hr` forced, or None when they already are (an owner that exists on
/// one side only stays unselected on the other: nothing more to do).
fn forced(
    sel: &Selection,
    ks: &BTreeSet<NamespacedName>,
    hr: &BTreeSet<NamespacedName>,
) -> Option<Arc<Selection>> {
    if sel.forced_ks.is_superset(ks) && sel.forced_hr.is_superset(hr) {
        return None;
    }
    let mut sel = sel.clone();
    sel.forced_ks.extend(ks.iter().cloned());
    sel.forced_hr.extend(hr.iter().cloned());
    Some(Arc::new(sel))
}
