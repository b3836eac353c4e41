//! Changed-only mode's setup: which files changed, as each side of a run sees them.

use super::args::ChangedOnlyArgs;
use super::exit::SetupFailure;
use fluxsim::changes::ChangedFiles;
use fluxsim::diff;
pub use fluxsim::discover::git_toplevel;
use fluxsim::pipeline::RunOptions;
use fluxsim::select::Selection;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The head's selection for `build`/`validate` with `--base` or `--path-orig` (None without).
pub fn head_selection(
    args: &ChangedOnlyArgs,
    head: &RunOptions,
) -> Result<Option<Arc<Selection>>, SetupFailure> {
    if let Some(rev) = &args.base {
        let base =
            diff::resolve_base(&head.path, Some(rev)).map_err(|e| SetupFailure::from_error(&e))?;
        let changed = ChangedFiles::from_git(&base.toplevel, &base.commit)
            .map_err(|e| SetupFailure::from_error(&e))?;
        return Ok(Some(Arc::new(Selection::new(&base.toplevel, changed))));
    }
    if let Some(orig) = &args.path_orig {
        let (head_top, base_top) = tops(&head.path, orig)?;
        let changed = between_dirs(&head_top, &base_top)?;
        return Ok(Some(Arc::new(Selection::new(&head_top, changed))));
    }
    Ok(None)
}

/// The files that differ between two folders.
pub fn between_dirs(head_top: &Path, base_top: &Path) -> Result<ChangedFiles, SetupFailure> {
    ChangedFiles::between_dirs(head_top, base_top).map_err(|e| {
        SetupFailure::new(format!(
            "comparing {} with {}: {e}",
            head_top.display(),
            base_top.display()
        ))
    })
}

/// The tops of the two trees `--path` and `--path-orig` sit in: the git top level of `--path`
/// and the folder as far above `--path-orig` (or its git top level when the layouts differ).
pub fn tops(head_path: &Path, orig: &Path) -> Result<(PathBuf, PathBuf), SetupFailure> {
    let canon = |p: &Path| {
        p.canonicalize()
            .map_err(|_| SetupFailure::new(format!("{}: no such directory", p.display())))
    };
    let head_path = canon(head_path)?;
    let orig = canon(orig)?;
    // Outside git, the repository root fluxsim would find for --path.
    let head_top = git_toplevel(&head_path)
        .or_else(|| {
            fluxsim::discover::discover(&head_path, None)
                .ok()
                .and_then(|d| d.into_iter().next())
                .map(|d| d.repo_root)
        })
        .unwrap_or_else(|| head_path.clone());
    let prefix = head_path.strip_prefix(&head_top).unwrap_or(Path::new(""));
    let depth = prefix.components().count();
    let base_top = match orig.ancestors().nth(depth) {
        Some(top) if top.join(prefix) == orig => top.to_path_buf(),
        _ => git_toplevel(&orig).unwrap_or(orig),
    };
    Ok((head_top, base_top))
}
