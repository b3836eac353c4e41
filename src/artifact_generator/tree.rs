//! One source as source-watcher sees it: the files of its artifact (as the caller's
//! [`SourceTree`](crate::workspace::SourceTree) lists them, so `.sourceignore` rules live in one
//! place), the folders that hold them, and reads that cannot leave the source root.
//!
//! A source artifact is a tarball of regular files only (fluxcd/pkg `artifact/storage` `Archive`
//! skips folders and symlinks), so its folders are exactly the ancestors of its files.

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

use super::gomatch::{BadPattern, go_match, has_meta};

/// The files and folders of one source, as `/`-separated relative paths (`.` is the root).
#[derive(Debug)]
pub struct SourceFiles {
    root: PathBuf,
    canonical_root: PathBuf,
    files: BTreeSet<String>,
    dirs: BTreeSet<String>,
}

impl SourceFiles {
    /// Views `files` (relative to `root`) as one source. Paths that are not plain relative paths
    /// (absolute, `..`, `.`) are dropped: nothing outside the root can be named.
    pub fn new(root: &Path, files: &[PathBuf]) -> io::Result<SourceFiles> {
        let mut set = BTreeSet::new();
        let mut dirs = BTreeSet::from([".".to_string()]);
        for f in files {
            let Some(rel) = plain_relative(f) else {
                continue;
            };
            let mut parent = Path::new(&rel).parent();
            while let Some(p) = parent.filter(|p| !p.as_os_str().is_empty()) {
                dirs.insert(p.to_string_lossy().into_owned());
                parent = p.parent();
            }
            set.insert(rel);
        }
        Ok(SourceFiles {
            root: root.to_path_buf(),
            canonical_root: fs::canonicalize(root)?,
            files: set,
            dirs,
        })
    }

    pub fn is_file(&self, rel: &str) -> bool {
        self.files.contains(rel)
    }

    pub fn is_dir(&self, rel: &str) -> bool {
        self.dirs.contains(rel)
    }

    /// Every file and folder strictly under `dir`, in lexical (walk) order, with whether it is a
    /// folder.
    pub fn walk(&self, dir: &str) -> Vec<(String, bool)> {
        let prefix = if dir == "." {
            String::new()
        } else {
            format!("{dir}/")
        };
        let mut out: Vec<(String, bool)> = (self.files.iter().map(|f| (f, false)))
            .chain(self.dirs.iter().map(|d| (d, true)))
            .filter(|(p, _)| p.as_str() != "." && p.starts_with(&prefix))
            .map(|(p, d)| (p.clone(), d))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// The entries directly inside `dir`, sorted by name.
    fn children(&self, dir: &str) -> Vec<&str> {
        let prefix = if dir == "." {
            String::new()
        } else {
            format!("{dir}/")
        };
        (self.files.iter().chain(self.dirs.iter()))
            .filter(|p| p.as_str() != ".")
            .filter_map(|p| p.strip_prefix(&prefix))
            .filter(|rest| !rest.is_empty() && !rest.contains('/'))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    }

    /// Every file and folder path (not the root), for the doublestar walk.
    pub fn all_paths(&self) -> impl Iterator<Item = &str> {
        self.files
            .iter()
            .chain(self.dirs.iter())
            .map(String::as_str)
            .filter(|p| *p != ".")
    }

    /// Reads a listed file, refusing anything that resolves outside the source root (a symlink in
    /// the path, a file swapped after the listing).
    pub fn read(&self, rel: &str) -> io::Result<Vec<u8>> {
        if !self.is_file(rel) {
            return Err(io::Error::new(io::ErrorKind::NotFound, rel.to_string()));
        }
        let path = self.root.join(rel);
        let meta = fs::symlink_metadata(&path)?;
        let real = fs::canonicalize(&path)?;
        if !meta.is_file() || !real.starts_with(&self.canonical_root) {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!("{rel} leaves the source root"),
            ));
        }
        fs::read(real)
    }

    /// Go's `fs.Glob` over this tree: every file or folder matching `pattern`, sorted per folder.
    pub fn glob(&self, pattern: &str) -> Result<Vec<String>, BadPattern> {
        go_match(pattern, "")?;
        if !has_meta(pattern) {
            let exists = self.is_file(pattern) || self.is_dir(pattern);
            return Ok(if exists {
                vec![pattern.to_string()]
            } else {
                Vec::new()
            });
        }
        let (dir, file) = match pattern.rfind('/') {
            Some(i) => (&pattern[..i], &pattern[i + 1..]),
            None => ("", pattern),
        };
        let dir = if dir.is_empty() { "." } else { dir };
        if !has_meta(dir) {
            return self.glob_in(dir, file, Vec::new());
        }
        if dir == pattern {
            return Err(BadPattern);
        }
        let mut matches = Vec::new();
        for d in self.glob(dir)? {
            matches = self.glob_in(&d, file, matches)?;
        }
        Ok(matches)
    }

    fn glob_in(
        &self,
        dir: &str,
        pattern: &str,
        mut out: Vec<String>,
    ) -> Result<Vec<String>, BadPattern> {
        if !self.is_dir(dir) {
            return Ok(out);
        }
        for name in self.children(dir) {
            if go_match(pattern, name)? {
                out.push(join(dir, name));
            }
        }
        Ok(out)
    }
}

/// `a/b` for `join("a", "b")`, `b` for `join(".", "b")`.
pub fn join(dir: &str, name: &str) -> String {
    if dir == "." || dir.is_empty() {
        name.to_string()
    } else if name == "." || name.is_empty() {
        dir.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// The path as `a/b/c` when it is made of plain names only.
fn plain_relative(p: &Path) -> Option<String> {
    let mut parts = Vec::new();
    for c in p.components() {
        match c {
            Component::Normal(s) => parts.push(s.to_str()?.to_string()),
            _ => return None,
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::write;

    fn tree(files: &[&str]) -> (tempfile::TempDir, SourceFiles) {
        let t = tempfile::tempdir().unwrap();
        for f in files {
            write(t.path(), f, f);
        }
        let list: Vec<PathBuf> = files.iter().map(PathBuf::from).collect();
        let s = SourceFiles::new(t.path(), &list).unwrap();
        (t, s)
    }

    #[test]
    fn folders_are_the_ancestors_of_files() {
        let (_t, s) = tree(&["a/b/c.yaml", "d.yaml"]);
        assert!(s.is_dir("a") && s.is_dir("a/b") && s.is_dir("."));
        assert!(!s.is_dir("a/b/c.yaml"));
        assert!(s.is_file("d.yaml"));
    }

    #[test]
    fn glob_follows_fs_glob() {
        let (_t, s) = tree(&["apps/x.yaml", "apps/sub/y.yaml", "apps/z.json", "top.yaml"]);
        assert_eq!(s.glob("apps/*.yaml").unwrap(), vec!["apps/x.yaml"]);
        assert_eq!(
            s.glob("apps/**").unwrap(),
            vec!["apps/sub", "apps/x.yaml", "apps/z.json"]
        );
        assert_eq!(s.glob("*/*.yaml").unwrap(), vec!["apps/x.yaml"]);
        assert_eq!(
            s.glob("**/*.yaml").unwrap(),
            vec!["apps/x.yaml"],
            "one level only"
        );
        assert_eq!(s.glob("top.yaml").unwrap(), vec!["top.yaml"]);
        assert!(s.glob("missing/*").unwrap().is_empty());
        assert_eq!(s.glob("["), Err(BadPattern));
    }

    #[test]
    fn paths_outside_the_root_are_never_listed() {
        let (_t, s) = tree(&["a.yaml"]);
        let t = tempfile::tempdir().unwrap();
        let list = vec![PathBuf::from("../etc/passwd"), PathBuf::from("/etc/passwd")];
        let s2 = SourceFiles::new(t.path(), &list).unwrap();
        assert_eq!(s2.all_paths().count(), 0);
        assert!(s.read("../a.yaml").is_err());
    }

    #[cfg(unix)]
    #[test]
    fn reads_refuse_symlinks_out_of_the_root() {
        let outside = tempfile::tempdir().unwrap();
        write(outside.path(), "secret", "s3cret");
        let t = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret"), t.path().join("link.yaml"))
            .unwrap();
        let s = SourceFiles::new(t.path(), &[PathBuf::from("link.yaml")]).unwrap();
        assert!(s.read("link.yaml").is_err());
    }
}
