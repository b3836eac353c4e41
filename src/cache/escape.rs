//! Reads that leave the source root, which Flux refuses.
//!
//! kustomize-controller builds with a secure file system rooted at the source artifact
//! (fluxcd/pkg `kustomize/filesys/fs_secure.go`: every open is checked after `EvalSymlinks`),
//! so an absolute path, a `../` path above the root or a symlink resolving outside it fails the
//! build. fluxsim knows what a build reads before kustomize runs, so it refuses the same reads
//! there, and a pull request cannot make kustomize print `/proc/self/environ` or a key file.

use std::fs;
use std::path::{Component, Path, PathBuf};

/// One read the build would make outside the source root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Escape {
    /// The file as kustomize would open it: the absolute path it resolves to.
    pub file: PathBuf,
    /// Where it is named: `configMapGenerator entry "…" in apps/kustomization.yaml`.
    pub at: String,
}

/// `root/base/entry` cleaned lexically (`..` applied, no root constraint): the path kustomize
/// would open. An absolute `entry` stands alone.
pub(super) fn lexical_join(root: &Path, base: &Path, entry: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    let start: Vec<Component> = if entry.is_absolute() {
        Vec::new()
    } else {
        root.components().chain(base.components()).collect()
    };
    for component in start.into_iter().chain(entry.components()) {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// The canonical root every resolved path must stay in or below.
pub(super) fn canonical_root(root: &Path) -> PathBuf {
    fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf())
}

/// For `rel` (relative to `root`, already lexically inside it): where it really resolves when
/// one of its components is a symlink, `None` when none is. A dangling link resolves nowhere
/// and counts as inside (it fails later as a missing file). Folders in `plain` are known to
/// hold no symlink on their way from the root; those found are added.
pub(super) fn through_symlink(
    root: &Path,
    rel: &Path,
    plain: &mut std::collections::HashSet<PathBuf>,
) -> Option<PathBuf> {
    let mut at = PathBuf::new();
    for component in rel.components() {
        at.push(component);
        if plain.contains(&at) {
            continue;
        }
        match fs::symlink_metadata(root.join(&at)) {
            Ok(m) if m.file_type().is_symlink() => {
                return Some(fs::canonicalize(root.join(rel)).unwrap_or_else(|_| root.join(rel)));
            }
            Ok(m) if m.is_dir() => {
                plain.insert(at.clone());
            }
            Ok(_) => {}
            Err(_) => return None,
        }
    }
    None
}

/// Whether `resolved` is `canonical_root` or below it.
pub(super) fn is_inside(resolved: &Path, canonical_root: &Path) -> bool {
    resolved.starts_with(canonical_root)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexical_join_applies_parents_and_absolute_entries() {
        let root = Path::new("/src");
        assert_eq!(
            lexical_join(root, Path::new("apps"), Path::new("../../etc/passwd")),
            PathBuf::from("/etc/passwd")
        );
        assert_eq!(
            lexical_join(root, Path::new("apps"), Path::new("/proc/self/environ")),
            PathBuf::from("/proc/self/environ")
        );
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_are_resolved() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("src");
        fs::create_dir_all(root.join("apps")).unwrap();
        fs::write(dir.path().join("secret"), "x").unwrap();
        std::os::unix::fs::symlink(dir.path().join("secret"), root.join("apps/out")).unwrap();
        std::os::unix::fs::symlink("../apps", root.join("apps/up")).unwrap();
        let canon = canonical_root(&root);
        let mut plain = std::collections::HashSet::new();
        let out = through_symlink(&root, Path::new("apps/out"), &mut plain).unwrap();
        assert!(!is_inside(&out, &canon), "{}", out.display());
        let up = through_symlink(&root, Path::new("apps/up"), &mut plain).unwrap();
        assert!(is_inside(&up, &canon));
        assert_eq!(through_symlink(&root, Path::new("apps"), &mut plain), None);
        assert!(plain.contains(Path::new("apps")));
    }
}
