//! `diff`: render the base and the head concurrently (sharing caches) and compare them.

use super::args::{DiffArgs, DiffScope, GlobalArgs};
use super::exit::SetupFailure;
use super::output::{self, Printer, stderr_color, stdout_color};
use super::{EXIT_FAILURES, EXIT_OK, EXIT_SETUP};
use super::{changed, diff_output};
use fluxsim::changes::ChangedFiles;
use fluxsim::diff::{self, DiffOptions, Scope};
use fluxsim::discover::Discovery;
use fluxsim::model::{NamespacedName, OwnerId};
use fluxsim::pipeline::{self, Run, RunOptions};
use fluxsim::report;
use fluxsim::reporter::Silent;
use fluxsim::select::Selection;
use fluxsim::workspace::Prefetched;
use std::collections::BTreeSet;
use std::sync::Arc;

pub async fn run(args: &DiffArgs, head_opts: &RunOptions, g: &GlobalArgs) -> u8 {
    // The base tree lives in a temporary folder (or a kept baseline) until the end.
    let mut setup = match base_options(args, head_opts) {
        Ok(b) => b,
        Err(e) => return output::fail(&e),
    };
    let pairs = match cluster_pairs(&setup, g) {
        Ok(p) => p,
        Err(e) => return output::fail(&e),
    };
    // While git lists the changed files, the trees both sides build from are scanned.
    let prefetched = Arc::new(Prefetched::default());
    for d in pairs.iter().flat_map(|(h, b)| [h, b]).flatten() {
        prefetched.start(&d.repo_root);
    }
    setup.head.prefetched = Some(prefetched.clone());
    setup.base.prefetched = Some(prefetched);
    if let Err(e) = setup.select_changed() {
        return output::fail(&e);
    }
    let several = pairs.len() > 1;
    let mut code = EXIT_OK;
    for (head, base) in pairs {
        let name = head.as_ref().or(base.as_ref()).map(|d| d.name.clone());
        if several
            && !g.quiet
            && let Some(d) = head.as_ref().or(base.as_ref())
        {
            output::warn_plain(&super::clusters::header(d));
        }
        let cluster = name.filter(|_| several || g.cluster.is_some());
        let side = SidePair {
            head,
            base,
            cluster,
        };
        code = code.max(diff_cluster(args, &setup, side, g).await);
    }
    code
}

/// One cluster as both sides have it (None: it exists on one side only).
struct SidePair {
    head: Option<Discovery>,
    base: Option<Discovery>,
    cluster: Option<String>,
}

/// A cluster on the head side and on the base side (None where it does not exist).
type ClusterPair = (Option<Discovery>, Option<Discovery>);

/// The clusters of both sides, paired by synced folder; a base whose --path does not exist yet
/// has none.
fn cluster_pairs(setup: &Setup, g: &GlobalArgs) -> Result<Vec<ClusterPair>, SetupFailure> {
    let head = pipeline::clusters(&setup.head).map_err(|e| SetupFailure::from_error(&e))?;
    let head = super::clusters::select(head, g.cluster.as_deref())?;
    let mut base = pipeline::clusters(&setup.base).unwrap_or_default();
    if let Some(name) = g.cluster.as_deref() {
        base.retain(|d| d.name == name || d.sync_path.to_string_lossy() == name);
    }
    let mut pairs: Vec<ClusterPair> = Vec::new();
    for h in head {
        let b = base
            .iter()
            .position(|b| b.sync_path == h.sync_path)
            .map(|i| base.remove(i));
        pairs.push((Some(h), b));
    }
    pairs.extend(base.into_iter().map(|b| (None, Some(b))));
    Ok(pairs)
}

/// Renders one cluster on both sides (they must agree on what they render) and prints its diff.
async fn diff_cluster(args: &DiffArgs, setup: &Setup, pair: SidePair, g: &GlobalArgs) -> u8 {
    let (head, base) = match render_sides(setup, &pair, g).await {
        Ok(sides) => sides,
        Err(e) => return output::fail(&e),
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
        cluster: pair.cluster.clone(),
    };
    let shown: BTreeSet<OwnerId> = [&head, &base]
        .into_iter()
        .flatten()
        .flat_map(diff::shown_kustomizations)
        .cloned()
        .collect();
    let (owners, objects) = diff_output::filters(args, g);
    let side = |r: &Option<Run>| {
        r.as_ref()
            .map(|r| {
                let side = diff::side_of(r, &shown, g.show_secrets);
                diff_output::filter_side(side, r, &owners, &objects)
            })
            .unwrap_or_default()
    };
    let (base_side, head_side) = (side(&base), side(&head));
    let out = Printer::of(head.as_ref().or(base.as_ref()));
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
    if let (false, Some(head)) = (g.quiet, &head) {
        out.message(&format!("head: {}", report::summary(head, stderr_color())));
    }
    let failed = head.as_ref().is_some_and(Run::has_failures);
    if code != EXIT_OK {
        code
    } else if failed || (args.exit_code && changed) {
        EXIT_FAILURES
    } else {
        EXIT_OK
    }
}

type Sides = (Option<Run>, Option<Run>);

/// Renders both sides of one cluster until they agree on what they select: an owner one side
/// selected, the other renders too.
async fn render_sides(
    setup: &Setup,
    pair: &SidePair,
    g: &GlobalArgs,
) -> Result<Sides, SetupFailure> {
    let (mut head_opts, mut base_opts) = (setup.head.clone(), setup.base.clone());
    loop {
        // Separate tasks, so that the sides' synchronous steps also run in parallel.
        let head = spawn_side("head", &head_opts, pair.head.clone(), super::reporter(g));
        let base = spawn_side("base", &base_opts, pair.base.clone(), Arc::new(Silent));
        let (head, base) = match tokio::try_join!(head, base) {
            Ok(sides) => sides,
            Err(e) => return Err(SetupFailure::new(format!("internal: {e}"))),
        };
        // Before an error of one side is printed: it may quote what the other decrypted.
        let done = [&head, &base].into_iter().filter_map(|r| r.as_ref().ok());
        for run in done.flatten() {
            output::remember(run, g.show_secrets);
        }
        let (head, base) = (head?, base?);
        let (Some(h), Some(b)) = (&head, &base) else {
            return Ok((head, base));
        };
        let (Some((ks, hr)), Some(hs), Some(bs)) =
            (agree(h, b), &head_opts.selection, &base_opts.selection)
        else {
            return Ok((head, base));
        };
        match (forced(hs, &ks, &hr), forced(bs, &ks, &hr)) {
            (None, None) => return Ok((head, base)),
            (h, b) => {
                head_opts.selection = h.or(head_opts.selection.take());
                base_opts.selection = b.or(base_opts.selection.take());
            }
        }
    }
}

fn spawn_side(
    name: &'static str,
    opts: &RunOptions,
    cluster: Option<Discovery>,
    reporter: Arc<dyn fluxsim::reporter::Reporter>,
) -> tokio::task::JoinHandle<Result<Option<Run>, SetupFailure>> {
    let opts = opts.clone();
    tokio::spawn(async move {
        let Some(cluster) = cluster else {
            return Ok(None);
        };
        pipeline::run(&opts, cluster, reporter)
            .await
            .map(Some)
            .map_err(|e| {
                let mut f = SetupFailure::from_error(&e);
                f.message = format!("{name}: {}", f.message);
                f
            })
    })
}

struct Setup {
    head: RunOptions,
    base: RunOptions,
    /// Keeps the base tree on disk until the diff is done.
    tree: Option<diff::BaseTree>,
    /// The files git finds changed, being listed (changed-only mode against a revision).
    changed: Option<ChangedListing>,
}

type ChangedListing = std::thread::JoinHandle<Result<ChangedFiles, fluxsim::changes::GitError>>;

impl Setup {
    /// Waits for the changed files and gives each side its selection.
    fn select_changed(&mut self) -> Result<(), SetupFailure> {
        let (Some(listing), Some(tree)) = (self.changed.take(), &self.tree) else {
            return Ok(());
        };
        let files = listing
            .join()
            .map_err(|_| SetupFailure::new("internal: listing the changed files panicked"))?
            .map_err(|e| SetupFailure::from_error(&e))?;
        self.head.selection = Some(Arc::new(Selection::new(&tree.toplevel, files.clone())));
        self.base.selection = Some(Arc::new(Selection::new(tree.root(), files)));
        Ok(())
    }
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
            changed: None,
        });
    }
    let failure = |e: &(dyn std::error::Error + 'static)| SetupFailure::from_error(e);
    let rev = diff::resolve_base(&head.path, args.base.as_deref()).map_err(|e| failure(&e))?;
    let keep = (!head.no_cache).then(|| head.cache_dir.join(diff::BASELINES_DIR));
    // Listed while the base tree is extracted and both sides are discovered.
    let changed = (!args.full).then(|| {
        let (top, commit) = (rev.toplevel.clone(), rev.commit.clone());
        std::thread::spawn(move || ChangedFiles::from_git(&top, &commit))
    });
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
    Ok(Setup {
        head,
        base: opts,
        tree: Some(tree),
        changed,
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
