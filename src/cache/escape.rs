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

/// What the source artifact's scan already knows of a path (relative to the root): a regular
/// file or a folder reached from the root through no symlink. Such paths need no `stat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathKind {
    File,
    Dir,
}

/// What a path (relative to the root, lexically inside it) is on disk, looked at without
/// following symlinks.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum OnDisk {
    /// Nothing there (it fails later as a missing file).
    Missing,
    /// One of its components is a symlink: where the whole path really resolves. A dangling
    /// link resolves nowhere and counts as where it stands (inside).
    Symlink(PathBuf),
    File,
    Dir,
    /// A socket, device or fifo.
    Special,
}

/// Looks at `rel` component by component from `root`. Paths `known` from the artifact scan,
/// and folders in `plain` (no symlink on their way from the root; those found are added), are
/// not looked at on disk again: a warm run then walks read sets with almost no `stat` calls.
pub(super) fn inspect(
    root: &Path,
    rel: &Path,
    known: &dyn Fn(&Path) -> Option<PathKind>,
    plain: &mut std::collections::HashSet<PathBuf>,
) -> OnDisk {
    match known(rel) {
        Some(PathKind::File) => return OnDisk::File,
        Some(PathKind::Dir) => return OnDisk::Dir,
        None => {}
    }
    let mut at = PathBuf::new();
    let mut components = rel.components().peekable();
    while let Some(component) = components.next() {
        at.push(component);
        let last = components.peek().is_none();
        if !last && (plain.contains(&at) || known(&at) == Some(PathKind::Dir)) {
            continue;
        }
        match fs::symlink_metadata(root.join(&at)) {
            Ok(m) if m.file_type().is_symlink() => {
                let whole = root.join(rel);
                return OnDisk::Symlink(fs::canonicalize(&whole).unwrap_or(whole));
            }
            Ok(m) if last => return kind(&m),
            Ok(m) if m.is_dir() => {
                plain.insert(at.clone());
            }
            Ok(_) => {}
            Err(_) => return OnDisk::Missing,
        }
    }
    // `rel` is empty: the root itself.
    fs::symlink_metadata(root).map_or(OnDisk::Missing, |m| kind(&m))
}

fn kind(m: &fs::Metadata) -> OnDisk {
    if m.is_file() {
        OnDisk::File
    } else if m.is_dir() {
        OnDisk::Dir
    } else {
        OnDisk::Special
    }
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
        let unknown = |_: &Path| None;
        let mut look = |rel: &str| inspect(&root, Path::new(rel), &unknown, &mut plain);
        let resolved = |on_disk| match on_disk {
            OnDisk::Symlink(path) => path,
            other => panic!("not a symlink: {other:?}"),
        };
        let out = resolved(look("apps/out"));
        assert!(!is_inside(&out, &canon), "{}", out.display());
        let up = resolved(look("apps/up"));
        assert!(is_inside(&up, &canon));
        assert_eq!(look("apps"), OnDisk::Dir);
        assert_eq!(look("apps/none"), OnDisk::Missing);
        assert!(plain.contains(Path::new("apps")));
        // What the scan knows is believed without a look.
        let known = |rel: &Path| (rel == Path::new("apps/out")).then_some(PathKind::File);
        let out = inspect(&root, Path::new("apps/out"), &known, &mut plain);
        assert_eq!(out, OnDisk::File);
    }
}
