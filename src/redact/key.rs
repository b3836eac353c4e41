//! The redaction key file: random, private to the user (mode 0600), created atomically so two
//! runs starting together agree on one key.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The key file in the cache folder.
pub const KEY_FILE: &str = "redaction.key";
const KEY_LEN: usize = 32;

/// The key kept in `dir`, created when missing or unusable; None when the folder cannot hold
/// one (the caller then uses a key that lives for this run only).
pub fn load_or_create(dir: &Path) -> Option<Vec<u8>> {
    let path = dir.join(KEY_FILE);
    if let Some(key) = existing(&path) {
        return Some(key);
    }
    std::fs::create_dir_all(dir).ok()?;
    let key = fresh();
    let tmp = write_private(dir, &key).ok()?;
    // A hard link never replaces: when another run created the key meanwhile, use that one.
    let linked = std::fs::hard_link(&tmp, &path);
    let replace = linked.is_err() && existing(&path).is_none();
    let placed = if replace {
        // What is there is not a usable private key (too short, too open, not a file).
        std::fs::rename(&tmp, &path).is_ok()
    } else {
        linked.is_ok()
    };
    let _ = std::fs::remove_file(&tmp);
    if placed || !replace {
        return existing(&path);
    }
    None
}

/// The key at `path` when it is a regular file of at least [`KEY_LEN`] bytes that only its
/// owner can read; a key readable by others is made private first (or refused when it cannot
/// be: other users may have read it).
fn existing(path: &Path) -> Option<Vec<u8>> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    if !meta.is_file() {
        return None;
    }
    if !private(&meta) && !make_private(path) {
        return None;
    }
    std::fs::read(path).ok().filter(|k| k.len() >= KEY_LEN)
}

fn fresh() -> Vec<u8> {
    let mut key = vec![0u8; KEY_LEN];
    if getrandom::fill(&mut key).is_err() {
        key = format!("{:?}{:?}", std::time::SystemTime::now(), std::process::id()).into_bytes();
    }
    key
}

/// Writes `key` to a new file in `dir` that is private from its creation (no window in which
/// it is readable by others).
fn write_private(dir: &Path, key: &[u8]) -> std::io::Result<PathBuf> {
    let mut suffix = [0u8; 6];
    let _ = getrandom::fill(&mut suffix);
    let tmp = dir.join(format!(
        "{KEY_FILE}.{}.{}.tmp",
        std::process::id(),
        hex::encode(suffix)
    ));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&tmp)?;
    let written = file.write_all(key).and_then(|_| file.sync_all());
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    Ok(tmp)
}

#[cfg(unix)]
fn private(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o077 == 0
}

#[cfg(not(unix))]
fn private(_: &std::fs::Metadata) -> bool {
    true
}

#[cfg(unix)]
fn make_private(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).is_ok()
}

#[cfg(not(unix))]
fn make_private(_: &Path) -> bool {
    true
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn key_is_created_private_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let a = load_or_create(dir.path()).unwrap();
        assert_eq!(mode(&dir.path().join(KEY_FILE)), 0o600);
        assert_eq!(load_or_create(dir.path()).unwrap(), a);
        // No temporary file is left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn an_open_key_is_made_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(KEY_FILE);
        std::fs::write(&path, [7u8; 32]).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(load_or_create(dir.path()).unwrap(), vec![7u8; 32]);
        assert_eq!(mode(&path), 0o600);
    }

    #[test]
    fn a_short_key_or_a_link_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(KEY_FILE);
        std::fs::write(&path, b"short").unwrap();
        let key = load_or_create(dir.path()).unwrap();
        assert_eq!(key.len(), KEY_LEN);
        std::fs::remove_file(&path).unwrap();
        let elsewhere = dir.path().join("elsewhere");
        std::fs::write(&elsewhere, [1u8; 40]).unwrap();
        std::os::unix::fs::symlink(&elsewhere, &path).unwrap();
        let key = load_or_create(dir.path()).unwrap();
        assert_ne!(key, vec![1u8; 40]);
        assert!(!std::fs::symlink_metadata(&path).unwrap().is_symlink());
        assert_eq!(mode(&path), 0o600);
    }
}
