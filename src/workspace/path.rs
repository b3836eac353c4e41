//! `spec.path` inside a source artifact (securejoin semantics: `..` never leaves the root).

use std::path::{Component, Path, PathBuf};

/// Cleans a Flux `spec.path` into a relative path that stays inside the artifact root.
pub fn secure_join(spec_path: &str) -> PathBuf {
    let mut parts: Vec<&std::ffi::OsStr> = Vec::new();
    for c in Path::new(spec_path).components() {
        match c {
            Component::Normal(p) => parts.push(p),
            Component::ParentDir => {
                parts.pop();
            }
            _ => {}
        }
    }
    parts.iter().collect()
}

/// `root` joined with the cleaned `entry`, when the path is part of a Flux artifact: `None` when
/// one of its components is a symlink, which source-controller leaves out of every artifact
/// (its archiver keeps regular files and folders only), so a pull request cannot point a chart
/// or values file anywhere on the machine.
pub fn artifact_path(root: &Path, entry: &str) -> Option<PathBuf> {
    let mut at = root.to_path_buf();
    for part in secure_join(entry).components() {
        at.push(part);
        match std::fs::symlink_metadata(&at) {
            Ok(m) if m.file_type().is_symlink() => return None,
            _ => {}
        }
    }
    Some(at)
}

/// How Flux's error message shows the path (`stat <path>`): relative, `./`-prefixed.
pub fn display_spec_path(rel: &Path) -> String {
    format!("./{}", rel.display())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stays_inside_root() {
        assert_eq!(secure_join("./apps/../x"), PathBuf::from("x"));
        assert_eq!(secure_join("../../etc"), PathBuf::from("etc"));
        assert_eq!(secure_join("/abs/p"), PathBuf::from("abs/p"));
        assert_eq!(secure_join(""), PathBuf::from(""));
    }

    #[cfg(unix)]
    #[test]
    fn artifact_paths_have_no_symlinks() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("real")).unwrap();
        std::os::unix::fs::symlink("/etc", dir.path().join("link")).unwrap();
        let root = dir.path();
        assert_eq!(artifact_path(root, "../real"), Some(root.join("real")));
        assert_eq!(artifact_path(root, "./link/passwd"), None);
        assert_eq!(
            artifact_path(root, "missing/x"),
            Some(root.join("missing/x"))
        );
    }
}
