//! A source's artifact: the files Flux would put in it, and private copies of it to build in.
//!
//! kustomize-controller builds every Kustomization in a throw-away copy of the source artifact,
//! where it may write a generated `kustomization.yaml` and decrypt files in place. We do the
//! same with a tree of hard links (cheap; falls back to copies across file systems), and never
//! write through a link: files we change are replaced, not modified.

mod path;
mod prefetch;

pub use path::{artifact_path, display_spec_path, secure_join};
pub use prefetch::Prefetched;

use crate::cache::PathKind;
use ignore::WalkBuilder;
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use std::collections::HashMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Patterns source-controller applies when a source has no `.sourceignore` and no `spec.ignore`.
const DEFAULT_IGNORES: &[&str] = &[
    "*.jpg",
    "*.jpeg",
    "*.gif",
    "*.png",
    "*.wmv",
    "*.flv",
    "*.tar.gz",
    "*.zip",
    ".github/",
    ".circleci/",
    ".travis.yml",
    ".gitlab-ci.yml",
    "appveyor.yml",
    ".drone.yml",
    "cloudbuild.yaml",
    "codeship-*.yml",
    "**/.goreleaser.yml",
    "**/.sops.yaml",
    "**/.flux.yaml",
];
const VCS_IGNORES: &[&str] = &[".git/", ".gitignore", ".gitmodules", ".gitattributes"];

/// The file list of one source artifact, relative to its root, sorted.
#[derive(Debug)]
pub struct SourceTree {
    pub root: PathBuf,
    pub files: Vec<PathBuf>,
    pub dirs: Vec<PathBuf>,
    /// `files` and `dirs`, for lookups.
    members: HashMap<PathBuf, PathKind>,
}

impl SourceTree {
    /// Lists what the artifact of `root` contains: regular files only (no symlinks), minus
    /// git-ignored files (they are not in git, so not in the artifact) and `.sourceignore` rules.
    pub fn scan(root: &Path) -> io::Result<SourceTree> {
        let mut files = Vec::new();
        let mut dirs = Vec::new();
        let mut has_sourceignore = false;
        let walker = WalkBuilder::new(root)
            .hidden(false)
            .git_ignore(true)
            .git_exclude(false)
            .git_global(false)
            .require_git(false)
            .parents(false)
            .follow_links(false)
            .add_custom_ignore_filename(".sourceignore")
            .filter_entry(|e| e.file_name() != ".git")
            .sort_by_file_name(|a, b| a.cmp(b))
            .build();
        for entry in walker {
            let entry = entry.map_err(io::Error::other)?;
            let Some(ft) = entry.file_type() else {
                continue;
            };
            let rel = match entry.path().strip_prefix(root) {
                Ok(r) if !r.as_os_str().is_empty() => r.to_path_buf(),
                _ => continue,
            };
            if ft.is_dir() {
                dirs.push(rel);
            } else if ft.is_file() {
                has_sourceignore |= rel.file_name().is_some_and(|n| n == ".sourceignore");
                files.push(rel);
            }
        }
        let patterns: &[&str] = if has_sourceignore {
            &[]
        } else {
            DEFAULT_IGNORES
        };
        let matcher = build_matcher(root, patterns)?;
        let ignored = |p: &Path, is_dir: bool| {
            matcher
                .matched_path_or_any_parents(root.join(p), is_dir)
                .is_ignore()
        };
        files.retain(|f| !ignored(f, false));
        dirs.retain(|d| !ignored(d, true));
        let members = (files.iter().map(|f| (f.clone(), PathKind::File)))
            .chain(dirs.iter().map(|d| (d.clone(), PathKind::Dir)))
            .collect();
        Ok(SourceTree {
            root: root.to_path_buf(),
            files,
            dirs,
            members,
        })
    }

    /// Whether an absolute path inside the root is part of the artifact.
    pub fn includes(&self, path: &Path) -> bool {
        match path.strip_prefix(&self.root) {
            Ok(rel) => rel.as_os_str().is_empty() || self.members.contains_key(rel),
            Err(_) => false,
        }
    }

    /// What the scan found at `rel` (relative to the root): a regular file or a folder, reached
    /// from the root through no symlink (the walk does not follow them).
    pub fn kind(&self, rel: &Path) -> Option<PathKind> {
        self.members.get(rel).copied()
    }

    /// Creates a private copy of just `files` (relative paths; those outside the artifact are
    /// skipped) under `dest`: what a build reads, when we know it.
    pub fn materialize_files(&self, dest: &Path, files: &[PathBuf]) -> io::Result<()> {
        for f in files {
            if !self.members.contains_key(f) {
                continue;
            }
            let to = dest.join(f);
            if let Some(parent) = to.parent() {
                fs::create_dir_all(parent)?;
            }
            let from = self.root.join(f);
            if fs::hard_link(&from, &to).is_err() {
                fs::copy(&from, &to)?;
            }
        }
        Ok(())
    }

    /// Creates a private copy of the artifact under `dest` (which must exist and be empty).
    pub fn materialize(&self, dest: &Path) -> io::Result<()> {
        for d in &self.dirs {
            fs::create_dir_all(dest.join(d))?;
        }
        for f in &self.files {
            let (from, to) = (self.root.join(f), dest.join(f));
            if fs::hard_link(&from, &to).is_err() {
                fs::copy(&from, &to)?;
            }
        }
        Ok(())
    }
}

fn build_matcher(root: &Path, extra: &[&str]) -> io::Result<Gitignore> {
    let mut b = GitignoreBuilder::new(root);
    for p in VCS_IGNORES.iter().chain(extra) {
        b.add_line(None, p).map_err(io::Error::other)?;
    }
    b.build().map_err(io::Error::other)
}

/// Replaces a file of a materialized tree with new content without writing through a hard link.
pub fn replace_file(path: &Path, content: &[u8]) -> io::Result<()> {
    if path.exists() {
        fs::remove_file(path)?;
    }
    fs::write(path, content)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::write;

    #[test]
    fn default_ignores_apply_without_sourceignore() {
        let t = tempfile::tempdir().unwrap();
        write(t.path(), "a/x.yaml", "a");
        write(t.path(), ".sops.yaml", "b");
        write(t.path(), "a/pic.png", "c");
        write(t.path(), ".github/workflows/ci.yaml", "d");
        let tree = SourceTree::scan(t.path()).unwrap();
        assert_eq!(tree.files, vec![PathBuf::from("a/x.yaml")]);
    }

    #[test]
    fn sourceignore_replaces_defaults() {
        let t = tempfile::tempdir().unwrap();
        write(t.path(), "a/x.yaml", "a");
        write(t.path(), "a/skip.yaml", "a");
        write(t.path(), "a/.sourceignore", "skip.yaml\n");
        write(t.path(), ".sops.yaml", "b");
        let tree = SourceTree::scan(t.path()).unwrap();
        let names: Vec<_> = tree
            .files
            .iter()
            .map(|p| p.to_string_lossy().to_string())
            .collect();
        assert_eq!(names, vec![".sops.yaml", "a/.sourceignore", "a/x.yaml"]);
    }

    #[test]
    fn materialized_copy_is_private() {
        let t = tempfile::tempdir().unwrap();
        write(t.path(), "k/kustomization.yaml", "orig");
        let tree = SourceTree::scan(t.path()).unwrap();
        let d = tempfile::tempdir().unwrap();
        tree.materialize(d.path()).unwrap();
        replace_file(&d.path().join("k/kustomization.yaml"), b"new").unwrap();
        assert_eq!(
            fs::read_to_string(t.path().join("k/kustomization.yaml")).unwrap(),
            "orig"
        );
    }
}
