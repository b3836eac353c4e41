//! Materializes the base side of a diff: the tree of a git revision, extracted into a temporary
//! directory with the `git` CLI.
//!
//! Extraction is `git archive --format=tar <commit>`, unpacked in Rust. It only reads the object store:
//! the user's working tree, index, HEAD and `.git/worktrees` stay untouched, and nothing needs
//! cleaning up but the temporary directory (a crashed run leaves no stale worktree registration,
//! which `git worktree add` would). Caveat: `git archive` honours `export-ignore` /
//! `export-subst` attributes of the archived tree; GitOps repositories rarely use them.
//!
//! Without an explicit revision the base is the merge-base of `HEAD` with its upstream (`@{u}`),
//! else with `origin/HEAD`, `origin/main`, `origin/master`, never `HEAD` itself. An explicit
//! revision that does not resolve is retried as `origin/<rev>` (CI checkouts often have only the
//! remote-tracking branch).

use crate::process::{self, ProcessError};
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// The folder of `--cache-dir` where base trees are kept, one per commit.
pub const BASELINES_DIR: &str = "baselines";

/// Upstream candidates tried in order when no revision is given.
const DEFAULT_UPSTREAMS: [&str; 4] = ["@{u}", "origin/HEAD", "origin/main", "origin/master"];

const SHALLOW_HINT: &str = "the repository is a shallow clone; fetch full history (actions/checkout: `fetch-depth: 0`) or pass an explicit base revision";

#[derive(Debug, thiserror::Error)]
pub enum BaseError {
    #[error("could not run `git {args}` in {dir}: {source}")]
    Git {
        args: String,
        dir: PathBuf,
        source: ProcessError,
    },
    #[error("{dir} is not inside a git work tree: {stderr}")]
    NotARepository { dir: PathBuf, stderr: String },
    #[error("base revision `{rev}` not found in {dir}{hint}")]
    UnknownRevision {
        rev: String,
        dir: PathBuf,
        hint: String,
    },
    #[error(
        "no base revision: HEAD has no upstream (`@{{u}}`) and neither origin/HEAD, origin/main nor origin/master exists in {dir}; pass one explicitly"
    )]
    NoDefaultBase { dir: PathBuf },
    #[error("no merge-base between HEAD and `{rev}` in {dir}{hint}")]
    NoMergeBase {
        rev: String,
        dir: PathBuf,
        hint: String,
    },
    #[error("could not create a temporary directory for base revision `{rev}`: {source}")]
    TempDir { rev: String, source: std::io::Error },
    #[error("extracting the tree of base revision `{rev}` ({commit}) failed: {detail}")]
    Extract {
        rev: String,
        commit: String,
        detail: String,
    },
}

/// Where a base tree lives.
#[derive(Debug)]
enum TreeDir {
    /// Deleted when dropped.
    Temp(TempDir),
    /// A kept, content-addressed slot `<cache>/baselines/<commit>`, reused by later runs.
    Kept(PathBuf),
}

/// The base tree.
#[derive(Debug)]
pub struct BaseTree {
    dir: TreeDir,
    /// The git top level of the repository it was taken from.
    pub toplevel: PathBuf,
    /// Full commit id the tree was taken from.
    pub commit: String,
    /// The revision as asked for, or the upstream the merge-base was taken with.
    pub rev: String,
    /// `repo_dir` relative to the repository root (empty at the root), e.g. `clusters/prod/`.
    pub prefix: PathBuf,
}

impl BaseTree {
    /// The repository root as of the base commit.
    pub fn root(&self) -> &Path {
        match &self.dir {
            TreeDir::Temp(t) => t.path(),
            TreeDir::Kept(p) => p,
        }
    }

    /// The counterpart of the `repo_dir` given to [`materialize`] inside the base tree (it may
    /// not exist there if the directory is new on head).
    pub fn path(&self) -> PathBuf {
        self.root().join(&self.prefix)
    }
}

/// A resolved base revision, not extracted.
#[derive(Debug, Clone)]
pub struct BaseRev {
    pub toplevel: PathBuf,
    pub prefix: PathBuf,
    pub rev: String,
    pub commit: String,
}

/// Resolves `rev` (or the default merge-base) in the repository containing `repo_dir`.
pub fn resolve_base(repo_dir: &Path, rev: Option<&str>) -> Result<BaseRev, BaseError> {
    let (toplevel, prefix, found) = locate(repo_dir, rev)?;
    let (rev, commit) = match (rev, found) {
        (Some(rev), Some(id)) => (rev.to_string(), id),
        (Some(rev), None) => (rev.to_string(), resolve_explicit(repo_dir, rev)?),
        (None, _) => default_base(repo_dir)?,
    };
    Ok(BaseRev {
        toplevel,
        prefix,
        rev,
        commit,
    })
}

/// Extracts the tree of `rev` (or of the default merge-base) of the repository containing
/// `repo_dir` into a temporary directory.
pub fn materialize(repo_dir: &Path, rev: Option<&str>) -> Result<BaseTree, BaseError> {
    materialize_rev(resolve_base(repo_dir, rev)?, None)
}

/// Extracts a resolved base. With `keep` (a folder of baselines), the tree goes to
/// `keep/<commit>` and is reused by later runs: a commit's tree never changes.
pub fn materialize_rev(base: BaseRev, keep: Option<&Path>) -> Result<BaseTree, BaseError> {
    let BaseRev {
        toplevel,
        prefix,
        rev,
        commit,
    } = base;
    let temp_err = |source| BaseError::TempDir {
        rev: rev.clone(),
        source,
    };
    let extract_err = |detail| BaseError::Extract {
        rev: rev.clone(),
        commit: commit.clone(),
        detail,
    };
    let dir = match keep {
        Some(keep) => {
            let slot = keep.join(&commit);
            if !slot.is_dir() {
                std::fs::create_dir_all(keep).map_err(temp_err)?;
                let staging = tempfile::Builder::new()
                    .prefix(".staging-")
                    .tempdir_in(keep)
                    .map_err(temp_err)?;
                // From the top level: in a subdirectory `git archive` would archive only that subtree.
                extract(&toplevel, &commit, staging.path()).map_err(extract_err)?;
                // Another run may have won the race; its tree is the same.
                let staged = staging.keep();
                if std::fs::rename(&staged, &slot).is_err() {
                    let _ = std::fs::remove_dir_all(&staged);
                }
            }
            touch_dir(&slot);
            TreeDir::Kept(slot)
        }
        None => {
            let dir = tempfile::Builder::new()
                .prefix("fluxsim-base-")
                .tempdir()
                .map_err(temp_err)?;
            extract(&toplevel, &commit, dir.path()).map_err(extract_err)?;
            TreeDir::Temp(dir)
        }
    };
    Ok(BaseTree {
        dir,
        toplevel,
        commit,
        rev,
        prefix,
    })
}

/// Marks a kept tree as used (its modification time), for `cache gc`.
fn touch_dir(dir: &Path) {
    let marker = dir.join(".fluxsim-used");
    if std::fs::write(&marker, b"").is_ok() {
        let _ = std::fs::remove_file(marker);
    }
}

/// Removes kept base trees not used for `max_age` (all with `None`); returns how many.
pub fn prune_baselines(keep: &Path, max_age: Option<std::time::Duration>) -> std::io::Result<u64> {
    let read = match std::fs::read_dir(keep) {
        Ok(r) => r,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let now = std::time::SystemTime::now();
    let mut removed = 0;
    for item in read {
        let item = item?;
        let old = match max_age {
            None => true,
            Some(age) => item
                .metadata()?
                .modified()
                .ok()
                .and_then(|m| now.duration_since(m).ok())
                .is_some_and(|d| d > age),
        };
        if old && item.file_type()?.is_dir() {
            std::fs::remove_dir_all(item.path())?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// What a git question answered: whether it succeeded, and what it printed.
struct GitOut {
    ok: bool,
    stdout: String,
    stderr: String,
}

fn git(dir: &Path, args: &[&str]) -> Result<GitOut, BaseError> {
    let run = process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .display_as(format!("git {}", args.join(" ")))
        .run_blocking();
    match run {
        Ok(out) => Ok(GitOut {
            ok: true,
            stdout: out.stdout_text(),
            stderr: out.stderr,
        }),
        Err(ProcessError::Failed { stderr, .. }) => Ok(GitOut {
            ok: false,
            stdout: String::new(),
            stderr,
        }),
        Err(source) => Err(BaseError::Git {
            args: args.join(" "),
            dir: dir.to_path_buf(),
            source,
        }),
    }
}

fn stdout_line(out: &GitOut) -> String {
    out.stdout.trim().to_string()
}

/// The repository's top level, `dir` relative to it and, when `rev` is given, the commit it
/// names: one `git` process, as the setup of a warm diff is mostly waiting for git.
fn locate(dir: &Path, rev: Option<&str>) -> Result<(PathBuf, PathBuf, Option<String>), BaseError> {
    let spec = rev.map(|rev| format!("{rev}^{{commit}}"));
    let mut args = vec!["rev-parse", "--show-toplevel", "--show-prefix"];
    if let Some(spec) = &spec {
        args.extend(["--verify", "--quiet", "--end-of-options", spec]);
    }
    let out = git(dir, &args)?;
    if !out.ok && rev.is_some() {
        // The revision did not resolve (or this is no repository): ask for the place alone.
        let (top, prefix, _) = locate(dir, None)?;
        return Ok((top, prefix, None));
    }
    let mut lines = out.stdout.lines();
    let (top, prefix, id) = (lines.next(), lines.next(), lines.next());
    match top {
        Some(top) if !top.is_empty() && prefix.is_some() => Ok((
            PathBuf::from(top),
            PathBuf::from(prefix.unwrap_or_default()),
            id.filter(|id| out.ok && !id.is_empty()).map(str::to_string),
        )),
        _ => Err(BaseError::NotARepository {
            dir: dir.to_path_buf(),
            stderr: out.stderr.clone(),
        }),
    }
}

/// The commit `rev` names, or None.
fn resolve(dir: &Path, rev: &str) -> Result<Option<String>, BaseError> {
    // `--end-of-options` keeps a revision starting with `-` from being read as an option.
    let spec = format!("{rev}^{{commit}}");
    let out = git(
        dir,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            "--end-of-options",
            &spec,
        ],
    )?;
    let id = stdout_line(&out);
    Ok((out.ok && !id.is_empty()).then_some(id))
}

/// `rev`, which did not resolve as written, retried as a remote-tracking branch.
fn resolve_explicit(dir: &Path, rev: &str) -> Result<String, BaseError> {
    if let Some(id) = resolve(dir, &format!("origin/{rev}"))? {
        return Ok(id);
    }
    Err(BaseError::UnknownRevision {
        rev: rev.to_string(),
        dir: dir.to_path_buf(),
        hint: shallow_hint(dir)?,
    })
}

fn default_base(dir: &Path) -> Result<(String, String), BaseError> {
    for upstream in DEFAULT_UPSTREAMS {
        if resolve(dir, upstream)?.is_none() {
            continue;
        }
        let out = git(dir, &["merge-base", "HEAD", upstream])?;
        let id = stdout_line(&out);
        if out.ok && !id.is_empty() {
            return Ok((upstream.to_string(), id));
        }
        return Err(BaseError::NoMergeBase {
            rev: upstream.to_string(),
            dir: dir.to_path_buf(),
            hint: shallow_hint(dir)?,
        });
    }
    Err(BaseError::NoDefaultBase {
        dir: dir.to_path_buf(),
    })
}

/// `"; <hint>"` for a shallow clone, where missing history is the likely cause; else empty.
fn shallow_hint(dir: &Path) -> Result<String, BaseError> {
    let out = git(dir, &["rev-parse", "--is-shallow-repository"])?;
    Ok(if stdout_line(&out) == "true" {
        format!("; {SHALLOW_HINT}")
    } else {
        String::new()
    })
}

/// `git archive <commit>` into a file next to `dest`, unpacked into `dest` (the tar crate never
/// writes outside it).
fn extract(repo: &Path, commit: &str, dest: &Path) -> Result<(), String> {
    let parent = dest.parent().unwrap_or(dest);
    let archive = tempfile::Builder::new()
        .prefix(".archive-")
        .suffix(".tar")
        .tempfile_in(parent)
        .map_err(|e| format!("cannot create the archive file: {e}"))?;
    process::Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["archive", "--format=tar", "-o"])
        .arg(archive.path())
        .arg(commit)
        .display_as("git archive")
        .run_blocking()
        .map_err(|e| e.to_string())?;
    let file = std::fs::File::open(archive.path()).map_err(|e| e.to_string())?;
    tar::Archive::new(file)
        .unpack(dest)
        .map_err(|e| format!("unpacking `git archive`: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    /// Runs git in `dir` with a fixed identity, failing the test on error.
    fn run(dir: &Path, args: &[&str]) -> String {
        let out = process::Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args([
                "-c",
                "init.defaultBranch=main",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .run_blocking()
            .unwrap_or_else(|e| panic!("git {args:?}: {e}"));
        out.stdout_text().trim().to_string()
    }

    /// An "origin" repo with two commits on main, and a clone with a feature branch (tracking
    /// origin/main) that has one more commit plus uncommitted edits.
    fn fixture() -> (TempDir, PathBuf, String, String) {
        let tmp = TempDir::new().unwrap();
        let origin = tmp.path().join("origin");
        fs::create_dir_all(origin.join("clusters/prod")).unwrap();
        run(&origin, &["init", "-q"]);
        fs::write(origin.join("clusters/prod/app.yaml"), "v: 1\n").unwrap();
        run(&origin, &["add", "."]);
        run(&origin, &["commit", "-q", "-m", "one"]);
        let first = run(&origin, &["rev-parse", "HEAD"]);
        fs::write(origin.join("clusters/prod/app.yaml"), "v: 2\n").unwrap();
        run(&origin, &["commit", "-q", "-am", "two"]);
        let second = run(&origin, &["rev-parse", "HEAD"]);

        let work = tmp.path().join("work");
        run(tmp.path(), &["clone", "-q", "origin", "work"]);
        run(
            &work,
            &["checkout", "-q", "-b", "feature", "--track", "origin/main"],
        );
        fs::write(work.join("clusters/prod/app.yaml"), "v: 3\n").unwrap();
        run(&work, &["commit", "-q", "-am", "three"]);
        fs::write(work.join("clusters/prod/app.yaml"), "v: dirty\n").unwrap();
        (tmp, work, first, second)
    }

    #[test]
    fn explicit_revision() {
        let (_tmp, work, first, _) = fixture();
        let base = materialize(&work, Some(&first)).unwrap();
        assert_eq!(base.commit, first);
        assert_eq!(
            fs::read_to_string(base.root().join("clusters/prod/app.yaml")).unwrap(),
            "v: 1\n"
        );
        assert!(!base.root().join(".git").exists());
        // The user's working tree is untouched.
        assert_eq!(
            fs::read_to_string(work.join("clusters/prod/app.yaml")).unwrap(),
            "v: dirty\n"
        );
        let root = base.root().to_path_buf();
        drop(base);
        assert!(!root.exists());
    }

    #[test]
    fn default_is_merge_base_with_upstream_and_prefix_is_kept() {
        let (_tmp, work, _, second) = fixture();
        let base = materialize(&work.join("clusters/prod"), None).unwrap();
        assert_eq!(base.commit, second);
        assert_eq!(base.rev, "@{u}");
        assert_eq!(base.prefix, PathBuf::from("clusters/prod/"));
        assert_eq!(
            fs::read_to_string(base.path().join("app.yaml")).unwrap(),
            "v: 2\n"
        );
    }

    #[test]
    fn branch_name_falls_back_to_origin() {
        let (_tmp, work, _, second) = fixture();
        // As in CI checkouts: the base branch exists only as a remote-tracking branch.
        run(&work, &["branch", "-q", "-D", "main"]);
        let base = materialize(&work, Some("main")).unwrap();
        assert_eq!(base.commit, second);
    }

    #[test]
    fn missing_revision_is_named() {
        let (_tmp, work, _, _) = fixture();
        let err = materialize(&work, Some("no-such-branch")).unwrap_err();
        assert!(matches!(err, BaseError::UnknownRevision { .. }));
        assert!(err.to_string().contains("`no-such-branch`"), "{err}");
        assert!(!err.to_string().contains("fetch-depth"), "{err}");
    }

    #[test]
    fn no_upstream_and_no_origin_is_an_error() {
        let tmp = TempDir::new().unwrap();
        run(tmp.path(), &["init", "-q"]);
        fs::write(tmp.path().join("f"), "x").unwrap();
        run(tmp.path(), &["add", "."]);
        run(tmp.path(), &["commit", "-q", "-m", "one"]);
        let err = materialize(tmp.path(), None).unwrap_err();
        assert!(matches!(err, BaseError::NoDefaultBase { .. }), "{err}");
    }

    #[test]
    fn shallow_clone_without_merge_base_gets_a_hint() {
        let (tmp, _work, _, _) = fixture();
        let origin = tmp.path().join("origin");
        // A diverged branch on origin, then a depth-1 clone of it: main's history is cut off.
        run(&origin, &["checkout", "-q", "-b", "pr"]);
        fs::write(origin.join("clusters/prod/app.yaml"), "v: pr\n").unwrap();
        run(&origin, &["commit", "-q", "-am", "pr"]);
        run(&origin, &["checkout", "-q", "main"]);
        fs::write(origin.join("other.yaml"), "x: 1\n").unwrap();
        run(&origin, &["add", "."]);
        run(&origin, &["commit", "-q", "-m", "main moves on"]);
        let url = format!("file://{}", origin.display());
        run(
            tmp.path(),
            &[
                "clone",
                "-q",
                "--depth",
                "1",
                "--no-single-branch",
                &url,
                "shallow",
            ],
        );
        let shallow = tmp.path().join("shallow");
        run(&shallow, &["checkout", "-q", "pr"]);
        run(
            &shallow,
            &["branch", "-q", "--set-upstream-to", "origin/main"],
        );
        let err = materialize(&shallow, None).unwrap_err();
        assert!(matches!(err, BaseError::NoMergeBase { .. }), "{err}");
        assert!(err.to_string().contains("fetch-depth: 0"), "{err}");

        let err = materialize(&shallow, Some("v0.0.1")).unwrap_err();
        assert!(err.to_string().contains("`v0.0.1`"), "{err}");
        assert!(err.to_string().contains("fetch-depth: 0"), "{err}");
    }

    #[test]
    fn outside_a_repository_is_an_error() {
        let tmp = TempDir::new().unwrap();
        let err = materialize(tmp.path(), Some("main")).unwrap_err();
        assert!(matches!(err, BaseError::NotARepository { .. }), "{err}");
    }
}
