//! Which files differ between the base and the head: the input of changed-only mode.
//!
//! With a git base the answer comes from git (`git diff --name-only <commit>` against the working
//! tree, plus untracked files), which costs a few milliseconds whatever the repository's size.
//! With two folders (`--path-orig`) both trees are walked and compared byte for byte.

use crate::process::{self, ProcessError};
use crate::workspace::SourceTree;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Files that differ (added, removed or modified), relative to the top of each side's tree.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangedFiles {
    pub files: BTreeSet<PathBuf>,
}

impl ChangedFiles {
    pub fn new<I: IntoIterator<Item = PathBuf>>(files: I) -> ChangedFiles {
        ChangedFiles {
            files: files.into_iter().collect(),
        }
    }

    /// Files changed between `commit` and the working tree of the repository at `toplevel`
    /// (committed, staged and unstaged changes, and untracked files that are not ignored).
    pub fn from_git(toplevel: &Path, commit: &str) -> Result<ChangedFiles, GitError> {
        // Two independent questions: ask them at the same time.
        let (tracked, untracked) = std::thread::scope(|s| {
            let tracked = s.spawn(|| {
                let args = ["diff", "--name-only", "-z", "--no-renames", commit, "--"];
                git_z(toplevel, &args)
            });
            let untracked = git_z(
                toplevel,
                &["ls-files", "-z", "--others", "--exclude-standard"],
            );
            let tracked = tracked.join().unwrap_or_else(|_| {
                Err(GitError {
                    dir: toplevel.to_path_buf(),
                    source: ProcessError::Failed {
                        command: "git diff".into(),
                        status: "a panic".into(),
                        stderr: String::new(),
                    },
                })
            });
            (tracked, untracked)
        });
        let (tracked, untracked) = (tracked?, untracked?);
        Ok(ChangedFiles::new(
            tracked.into_iter().chain(untracked).map(PathBuf::from),
        ))
    }

    /// Files that differ between two folders, as a source artifact sees them (`.gitignore`,
    /// `.sourceignore` and Flux's default ignores apply on each side).
    pub fn between_dirs(head: &Path, base: &Path) -> std::io::Result<ChangedFiles> {
        let (h, b) = (SourceTree::scan(head)?, SourceTree::scan(base)?);
        let base_files: BTreeSet<&PathBuf> = b.files.iter().collect();
        let head_files: BTreeSet<&PathBuf> = h.files.iter().collect();
        let mut files = BTreeSet::new();
        for f in head_files.symmetric_difference(&base_files) {
            files.insert((*f).clone());
        }
        for f in head_files.intersection(&base_files) {
            if !same_content(&head.join(f), &base.join(f)) {
                files.insert((*f).clone());
            }
        }
        Ok(ChangedFiles { files })
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }
}

fn same_content(a: &Path, b: &Path) -> bool {
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(ma), Ok(mb)) if ma.len() != mb.len() => false,
        (Ok(_), Ok(_)) => matches!((std::fs::read(a), std::fs::read(b)), (Ok(x), Ok(y)) if x == y),
        _ => false,
    }
}

/// A git question about the repository at `dir` that failed.
#[derive(Debug, thiserror::Error)]
#[error("in {}: {source}", dir.display())]
pub struct GitError {
    pub dir: PathBuf,
    #[source]
    pub source: ProcessError,
}

/// Runs git and splits its NUL-separated output.
fn git_z(dir: &Path, args: &[&str]) -> Result<Vec<String>, GitError> {
    let out = process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .display_as(format!("git {}", args[0]))
        .run_blocking()
        .map_err(|source| GitError {
            dir: dir.to_path_buf(),
            source,
        })?;
    Ok(out
        .stdout
        .split(|b| *b == 0)
        .filter(|s| !s.is_empty())
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::write;
    use std::fs;

    fn git(dir: &Path, args: &[&str]) {
        process::Command::new("git")
            .arg("-C")
            .arg(dir)
            .args([
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@e",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .run_blocking()
            .unwrap_or_else(|e| panic!("git {args:?}: {e}"));
    }

    fn names(c: &ChangedFiles) -> Vec<String> {
        c.files.iter().map(|p| p.display().to_string()).collect()
    }

    #[test]
    fn git_lists_modified_deleted_staged_and_untracked_files() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        git(r, &["init", "-q"]);
        write(r, "a.yaml", "1");
        write(r, "b.yaml", "1");
        write(r, "c.yaml", "1");
        write(r, ".gitignore", "ignored.yaml\n");
        git(r, &["add", "."]);
        git(r, &["commit", "-qm", "base"]);
        write(r, "a.yaml", "2"); // unstaged edit
        fs::remove_file(r.join("b.yaml")).unwrap(); // deletion
        write(r, "d/new.yaml", "1"); // untracked
        write(r, "e.yaml", "1");
        git(r, &["add", "e.yaml"]); // staged addition
        write(r, "ignored.yaml", "1");
        let c = ChangedFiles::from_git(r, "HEAD").unwrap();
        assert_eq!(names(&c), ["a.yaml", "b.yaml", "d/new.yaml", "e.yaml"]);
    }

    #[test]
    fn folders_compare_by_content() {
        let (h, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        write(h.path(), "same.yaml", "x");
        write(b.path(), "same.yaml", "x");
        write(h.path(), "edit.yaml", "new");
        write(b.path(), "edit.yaml", "old");
        write(h.path(), "added.yaml", "x");
        write(b.path(), "gone/removed.yaml", "x");
        let c = ChangedFiles::between_dirs(h.path(), b.path()).unwrap();
        assert_eq!(names(&c), ["added.yaml", "edit.yaml", "gone/removed.yaml"]);
    }
}
