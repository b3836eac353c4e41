//! Replacing an output folder whole: write a new folder beside it, then rename it over the old.
//!
//! A folder is replaced only if it does not exist, is empty, or holds a previous snapshot: one
//! with the [`MARKER`] file (or, from fluxsim before the marker, nothing but a Snapshot
//! `index.yaml`, `ks/` and `hr/`). The new snapshot is written into `.<name>.fluxsim-new-*` next
//! to it, with the marker locked while it is written, then swapped with the old one in one
//! rename where Linux can (`RENAME_EXCHANGE`); elsewhere the old one is renamed aside to
//! `.<name>.fluxsim-old-*`, the new one into place, and the old one removed. A run killed midway
//! leaves the previous snapshot or none at `dir`, and its leftovers (unlocked markers) are removed
//! by the next write. Where renaming is impossible (`dir` is a mount point, its parent is
//! read-only) the snapshot is written in place, as before.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The file that marks a folder as a fluxsim snapshot. Only fluxsim writes it.
pub const MARKER: &str = ".fluxsim-snapshot";
const MARKER_TEXT: &str =
    "This folder is a fluxsim snapshot; `fluxsim build --output-dir` replaces it whole.\n";
const NEW: &str = "fluxsim-new-";
const OLD: &str = "fluxsim-old-";

/// Writes a snapshot with `fill` (which gets an empty folder) and puts it at `dir`.
pub fn write_atomically(
    dir: &Path,
    fill: impl FnOnce(&Path) -> io::Result<usize>,
) -> io::Result<usize> {
    let dir = resolve(dir);
    check_replaceable(&dir)?;
    let (Some(parent), Some(name)) = (dir.parent(), dir.file_name()) else {
        return in_place(&dir, fill);
    };
    let parent = if parent.as_os_str().is_empty() {
        Path::new(".")
    } else {
        parent
    };
    let name = name.to_string_lossy().to_string();
    if fs::create_dir_all(parent).is_err() {
        return in_place(&dir, fill);
    }
    remove_leftovers(parent, &name);
    let staging = match tempfile::Builder::new()
        .prefix(&format!(".{name}.{NEW}"))
        .tempdir_in(parent)
    {
        Ok(t) => t,
        Err(_) => return in_place(&dir, fill),
    };
    let marker = write_marker(staging.path())?;
    let count = fill(staging.path())?;
    if !dir.exists() {
        fs::rename(staging.path(), &dir)?;
        drop(marker);
        // Renamed away: nothing left for the TempDir to remove.
        let _ = staging.keep();
        return Ok(count);
    }
    // One atomic exchange where the system has it: `dir` is the old snapshot, then the new.
    // The staging folder then holds the old one, which its drop removes.
    if exchange(staging.path(), &dir).is_ok() {
        drop(marker);
        return Ok(count);
    }
    let aside = parent.join(format!(".{name}.{OLD}{}", std::process::id()));
    let _ = fs::remove_dir_all(&aside);
    if fs::rename(&dir, &aside).is_err() {
        // A mount point cannot be renamed: its content is replaced instead (not atomically).
        clear(&dir)?;
        move_contents(staging.path(), &dir)?;
        return Ok(count);
    }
    if let Err(e) = fs::rename(staging.path(), &dir) {
        let _ = fs::rename(&aside, &dir);
        return Err(e);
    }
    drop(marker);
    let _ = staging.keep();
    let _ = fs::remove_dir_all(&aside);
    Ok(count)
}

/// Swaps two folders in one step (Linux `renameat2(RENAME_EXCHANGE)`).
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).map_err(io::Error::from)
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> io::Result<()> {
    Err(io::ErrorKind::Unsupported.into())
}

/// Writes into `dir` itself, after clearing what a previous snapshot left there.
fn in_place(dir: &Path, fill: impl FnOnce(&Path) -> io::Result<usize>) -> io::Result<usize> {
    fs::create_dir_all(dir)?;
    clear(dir)?;
    let _marker = write_marker(dir)?;
    fill(dir)
}

/// Removes everything inside `dir` (a checked snapshot), never following a symlink.
fn clear(dir: &Path) -> io::Result<()> {
    for item in fs::read_dir(dir)? {
        let item = item?;
        if item.file_type()?.is_dir() {
            fs::remove_dir_all(item.path())?;
        } else {
            fs::remove_file(item.path())?;
        }
    }
    Ok(())
}

/// Moves the children of `from` into `to`, copying across file systems.
fn move_contents(from: &Path, to: &Path) -> io::Result<()> {
    for item in fs::read_dir(from)? {
        let item = item?;
        let dest = to.join(item.file_name());
        if fs::rename(item.path(), &dest).is_ok() {
            continue;
        }
        for e in walkdir::WalkDir::new(item.path()) {
            let e = e.map_err(io::Error::other)?;
            let rel = e.path().strip_prefix(item.path()).unwrap_or(e.path());
            let target = dest.join(rel);
            if e.file_type().is_dir() {
                fs::create_dir_all(&target)?;
            } else {
                fs::copy(e.path(), &target)?;
            }
        }
    }
    Ok(())
}

/// The real folder when `dir` is a symlink to one, so the rename replaces the folder, not the
/// link.
fn resolve(dir: &Path) -> PathBuf {
    if dir.is_symlink() {
        fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf())
    } else {
        dir.to_path_buf()
    }
}

/// Refuses a folder that exists, is not empty and holds no previous snapshot.
fn check_replaceable(dir: &Path) -> io::Result<()> {
    let entries: Vec<String> = match fs::read_dir(dir) {
        Ok(read) => read
            .map(|e| e.map(|e| e.file_name().to_string_lossy().to_string()))
            .collect::<io::Result<_>>()?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    if entries.is_empty() || is_marked(dir) || is_legacy_snapshot(dir, &entries) {
        return Ok(());
    }
    Err(io::Error::other(format!(
        "{} is not empty and holds no fluxsim snapshot (no {MARKER} file); refusing to overwrite it",
        dir.display()
    )))
}

fn is_marked(dir: &Path) -> bool {
    let marker = dir.join(MARKER);
    !marker.is_symlink() && fs::read_to_string(marker).is_ok_and(|t| t == MARKER_TEXT)
}

/// A snapshot of fluxsim before the marker: a Snapshot `index.yaml` and its two folders only.
fn is_legacy_snapshot(dir: &Path, entries: &[String]) -> bool {
    entries
        .iter()
        .all(|e| matches!(e.as_str(), "index.yaml" | "ks" | "hr"))
        && fs::read_to_string(dir.join("index.yaml"))
            .ok()
            .and_then(|t| crate::yaml::parse_one(&t).ok())
            .is_some_and(|v| {
                crate::object::api_version(&v) == "fluxsim.dev/v1"
                    && crate::object::kind(&v) == "Snapshot"
            })
}

/// The marker, locked while this run writes the folder (so that [`remove_leftovers`] of another
/// run leaves it alone).
fn write_marker(dir: &Path) -> io::Result<File> {
    let mut file = File::create(dir.join(MARKER))?;
    file.write_all(MARKER_TEXT.as_bytes())?;
    let _ = file.try_lock();
    Ok(file)
}

/// Staging and aside folders of `name` that a killed run left: marked, and nobody writing them.
fn remove_leftovers(parent: &Path, name: &str) {
    let Ok(read) = fs::read_dir(parent) else {
        return;
    };
    let (new, old) = (format!(".{name}.{NEW}"), format!(".{name}.{OLD}"));
    for item in read.flatten() {
        let file_name = item.file_name().to_string_lossy().to_string();
        if !(file_name.starts_with(&new) || file_name.starts_with(&old))
            || !item.file_type().is_ok_and(|t| t.is_dir())
        {
            continue;
        }
        let path = item.path();
        let idle = File::open(path.join(MARKER)).is_ok_and(|f| f.try_lock().is_ok());
        if idle && is_marked(&path) {
            let _ = fs::remove_dir_all(&path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fill_with(text: &'static str) -> impl FnOnce(&Path) -> io::Result<usize> {
        move |dir| {
            fs::create_dir_all(dir.join("ks"))?;
            fs::write(dir.join("ks/a.yaml"), text)?;
            Ok(1)
        }
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut n: Vec<_> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        n.sort();
        n
    }

    #[test]
    fn replaces_a_previous_snapshot_whole() {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("snap");
        write_atomically(&dir, fill_with("one")).unwrap();
        fs::write(dir.join("ks/stale.yaml"), "from the first run").unwrap();
        write_atomically(&dir, fill_with("two")).unwrap();
        assert_eq!(fs::read_to_string(dir.join("ks/a.yaml")).unwrap(), "two");
        assert!(!dir.join("ks/stale.yaml").exists());
        assert_eq!(names(&dir), [MARKER, "ks"]);
        // Nothing is left beside it.
        assert_eq!(names(t.path()), ["snap"]);
    }

    #[test]
    fn refuses_foreign_folders_and_a_fake_index() {
        let t = tempfile::tempdir().unwrap();
        fs::write(t.path().join("index.yaml"), "docs: true\n").unwrap();
        fs::write(t.path().join("README.md"), "mine").unwrap();
        let err = write_atomically(t.path(), fill_with("x")).unwrap_err();
        assert!(err.to_string().contains("refusing to overwrite"), "{err}");
        assert_eq!(names(t.path()), ["README.md", "index.yaml"]);
        // A marker with other content is not ours either.
        fs::write(t.path().join(MARKER), "hand made").unwrap();
        assert!(write_atomically(t.path(), fill_with("x")).is_err());
    }

    #[test]
    fn a_failed_write_leaves_the_previous_snapshot() {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("snap");
        write_atomically(&dir, fill_with("one")).unwrap();
        let failed = write_atomically(&dir, |_| Err(io::Error::other("killed")));
        assert!(failed.is_err());
        assert_eq!(fs::read_to_string(dir.join("ks/a.yaml")).unwrap(), "one");
        assert_eq!(names(t.path()), ["snap"]);
    }

    #[test]
    fn leftovers_of_a_killed_run_are_removed() {
        let t = tempfile::tempdir().unwrap();
        let left = t.path().join(format!(".snap.{NEW}abc"));
        fs::create_dir(&left).unwrap();
        drop(write_marker(&left).unwrap());
        let foreign = t.path().join(format!(".snap.{NEW}unmarked"));
        fs::create_dir(&foreign).unwrap();
        write_atomically(&t.path().join("snap"), fill_with("one")).unwrap();
        assert!(!left.exists());
        assert!(foreign.exists());
    }

    #[test]
    fn accepts_a_snapshot_from_before_the_marker() {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("snap");
        fs::create_dir_all(dir.join("ks")).unwrap();
        fs::write(
            dir.join("index.yaml"),
            "apiVersion: fluxsim.dev/v1\nkind: Snapshot\n",
        )
        .unwrap();
        write_atomically(&dir, fill_with("new")).unwrap();
        assert_eq!(names(&dir), [MARKER, "ks"]);
    }
}
