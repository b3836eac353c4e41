//! The on-disk, content-addressed store: `<root>/<bucket>/<2 hex>/<62 hex>`.
//!
//! Buckets carry a version in their name (`kustomize-v1`), so a format change bumps the name and
//! old entries simply age out through [`Store::gc`]. Writes go to a temporary file in the entry's
//! own folder and are renamed into place, so readers in other processes see either no entry or a
//! whole one; two writers of one key both write the same bytes, and the last rename wins. Each
//! entry carries a checksum (see `entry.rs`) so that damage from a crash or a full disk reads as a
//! miss. The root is tagged with a standard `CACHEDIR.TAG` and each bucket folder with a marker
//! file, so that `clear` and `gc` only ever touch folders this store created.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::entry;
use super::key::Key;

/// The standard cache-directory tag (https://bford.info/cachedir/), so backup tools skip the cache.
const ROOT_MARKER: &str = "CACHEDIR.TAG";
const ROOT_MARKER_TEXT: &str = "Signature: 8a477f597d28d172789f06886806bc55\n\
# This file is a cache directory tag created by fluxsim.\n\
# For information about cache directory tags see https://bford.info/cachedir/\n";
/// Present in every bucket folder this store created; nothing without it is ever removed.
const BUCKET_MARKER: &str = ".fluxsim-bucket";
/// Lock files of work shared between processes (see [`Store::lock`]); not a bucket.
const LOCKS: &str = ".locks";
/// Prefix of in-flight writes. Leftovers of a crashed writer are removed by `gc` after a grace time.
const TEMP_PREFIX: &str = ".tmp-";
const TEMP_GRACE: Duration = Duration::from_secs(3600);

/// A content-addressed store under one root folder.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
}

/// What [`Store::gc`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GcReport {
    pub removed_entries: u64,
    pub removed_bytes: u64,
    pub kept_entries: u64,
    pub kept_bytes: u64,
}

/// One entry found while scanning.
struct EntryFile {
    path: PathBuf,
    bytes: u64,
    modified: SystemTime,
}

impl Store {
    /// Opens (creating if needed) a store at `root`.
    pub fn open(root: &Path) -> io::Result<Store> {
        fs::create_dir_all(root)?;
        let marker = root.join(ROOT_MARKER);
        if !marker.exists() {
            write_atomically(root, &marker, ROOT_MARKER_TEXT.as_bytes())?;
        }
        Ok(Store {
            root: root.to_path_buf(),
        })
    }

    /// The root folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Reads an entry. A missing, unreadable or damaged entry is a miss (a damaged one is
    /// removed). A hit refreshes the entry's modification time, which `gc` uses as "last used".
    pub fn get(&self, bucket: &str, key: &Key) -> Option<Vec<u8>> {
        let path = self.entry_path(bucket, key)?;
        let mut file = File::open(&path).ok()?;
        let mut bytes = Vec::new();
        if file.read_to_end(&mut bytes).is_err() {
            return None;
        }
        match entry::decode(key, &bytes) {
            Some(value) => {
                // Best effort: a read-only cache still serves hits, it just ages by write time.
                let _ = file.set_modified(SystemTime::now());
                Some(value)
            }
            None => {
                // A concurrent writer may have just renamed a good entry over this one; removing
                // it then costs one more miss, never a wrong hit.
                let _ = fs::remove_file(&path);
                None
            }
        }
    }

    /// Writes an entry atomically (temporary file in the same folder, then rename).
    pub fn put(&self, bucket: &str, key: &Key, value: &[u8]) -> io::Result<()> {
        let path = self
            .entry_path(bucket, key)
            .ok_or_else(|| invalid_bucket(bucket))?;
        let bucket_dir = self.root.join(bucket);
        let shard_dir = path.parent().unwrap_or(&bucket_dir).to_path_buf();
        fs::create_dir_all(&shard_dir)?;
        let marker = bucket_dir.join(BUCKET_MARKER);
        if !marker.exists() {
            write_atomically(&bucket_dir, &marker, b"fluxsim cache bucket\n")?;
        }
        write_atomically(&shard_dir, &path, &entry::encode(key, value))
    }

    /// Removes entries not used for `max_age`, then the least recently used ones until the
    /// total is at most `max_bytes`. Also removes temporary files left by crashed writers.
    pub fn gc(&self, max_age: Duration, max_bytes: Option<u64>) -> io::Result<GcReport> {
        let now = SystemTime::now();
        let mut report = GcReport::default();
        let mut kept = Vec::new();
        for bucket in self.buckets()? {
            for file in scan_bucket(&self.root.join(&bucket), now)? {
                let age = now.duration_since(file.modified).unwrap_or_default();
                if age > max_age {
                    remove_counted(&file, &mut report)?;
                } else {
                    kept.push(file);
                }
            }
        }
        if let Some(limit) = max_bytes {
            kept.sort_by(|a, b| a.modified.cmp(&b.modified).then(a.path.cmp(&b.path)));
            let mut total: u64 = kept.iter().map(|f| f.bytes).sum();
            let mut index = 0;
            while total > limit && index < kept.len() {
                remove_counted(&kept[index], &mut report)?;
                total = total.saturating_sub(kept[index].bytes);
                index += 1;
            }
            kept.drain(..index);
        }
        report.kept_entries = kept.len() as u64;
        report.kept_bytes = kept.iter().map(|f| f.bytes).sum();
        prune_locks(&self.root.join(LOCKS), now, max_age);
        Ok(report)
    }

    /// Takes an exclusive lock named by `key`, shared with other processes using this store;
    /// released when the file is dropped. Blocks until it is free.
    pub fn lock(&self, key: &Key) -> io::Result<File> {
        let dir = self.root.join(LOCKS);
        fs::create_dir_all(&dir)?;
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join(key.to_hex()))?;
        file.lock()?;
        Ok(file)
    }

    /// Removes everything this store wrote: its bucket folders and the root tag. Other files and
    /// folders in the root are left alone. Returns the number of entry bytes freed.
    pub fn clear(&self) -> io::Result<u64> {
        let mut freed = 0;
        for bucket in self.buckets()? {
            let dir = self.root.join(&bucket);
            freed += scan_bucket(&dir, SystemTime::now())?
                .iter()
                .map(|f| f.bytes)
                .sum::<u64>();
            match fs::remove_dir_all(&dir) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        match fs::remove_dir_all(self.root.join(LOCKS)) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let marker = self.root.join(ROOT_MARKER);
        // Only our own tag: a CACHEDIR.TAG written by another tool stays.
        if fs::read_to_string(&marker).is_ok_and(|text| text == ROOT_MARKER_TEXT) {
            fs::remove_file(&marker)?;
        }
        Ok(freed)
    }

    /// Entries and bytes per bucket, sorted by bucket name.
    pub fn usage(&self) -> io::Result<Vec<(String, u64, u64)>> {
        let mut out = Vec::new();
        for bucket in self.buckets()? {
            let files = scan_bucket(&self.root.join(&bucket), SystemTime::now())?;
            let bytes = files.iter().map(|f| f.bytes).sum();
            out.push((bucket, files.len() as u64, bytes));
        }
        Ok(out)
    }

    /// `None` for a bucket name that could escape the root or clash with our own files.
    fn entry_path(&self, bucket: &str, key: &Key) -> Option<PathBuf> {
        if !valid_bucket(bucket) {
            return None;
        }
        let hex = key.to_hex();
        Some(self.root.join(bucket).join(&hex[..2]).join(&hex[2..]))
    }

    /// Names of the bucket folders this store created, sorted.
    fn buckets(&self) -> io::Result<Vec<String>> {
        let mut names = Vec::new();
        let read = match fs::read_dir(&self.root) {
            Ok(read) => read,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(names),
            Err(e) => return Err(e),
        };
        for item in read {
            let item = item?;
            let Ok(name) = item.file_name().into_string() else {
                continue;
            };
            if valid_bucket(&name)
                && item.file_type()?.is_dir()
                && item.path().join(BUCKET_MARKER).is_file()
            {
                names.push(name);
            }
        }
        names.sort();
        Ok(names)
    }
}

/// Bucket names are one plain path component: lowercase letters, digits, `-`, `_`, `.`, not
/// starting with a dot.
fn valid_bucket(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.".contains(&b))
}

fn invalid_bucket(bucket: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("invalid cache bucket name {bucket:?}"),
    )
}

/// Writes `bytes` to `target` through a temporary file in `dir` (same file system, so the rename
/// is atomic). No fsync: a torn file after a power loss fails its checksum and reads as a miss.
fn write_atomically(dir: &Path, target: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut temp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .tempfile_in(dir)?;
    temp.write_all(bytes)?;
    temp.persist(target).map_err(|e| e.error)?;
    Ok(())
}

/// Lists the entries of one bucket, removing stale temporary files on the way.
fn scan_bucket(dir: &Path, now: SystemTime) -> io::Result<Vec<EntryFile>> {
    let mut out = Vec::new();
    for shard in read_dir_or_empty(dir)? {
        let shard = shard?;
        if !shard.file_type()?.is_dir() {
            continue;
        }
        for item in read_dir_or_empty(&shard.path())? {
            let item = item?;
            let metadata = match item.metadata() {
                Ok(m) => m,
                // Removed by a concurrent gc or a damaged-entry read.
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            if !metadata.is_file() {
                continue;
            }
            let modified = metadata.modified()?;
            if item.file_name().to_string_lossy().starts_with(TEMP_PREFIX) {
                if now.duration_since(modified).unwrap_or_default() > TEMP_GRACE {
                    let _ = fs::remove_file(item.path());
                }
                continue;
            }
            out.push(EntryFile {
                path: item.path(),
                bytes: metadata.len(),
                modified,
            });
        }
    }
    Ok(out)
}

fn read_dir_or_empty(dir: &Path) -> io::Result<Box<dyn Iterator<Item = io::Result<fs::DirEntry>>>> {
    match fs::read_dir(dir) {
        Ok(read) => Ok(Box::new(read)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Box::new(std::iter::empty())),
        Err(e) => Err(e),
    }
}

/// Removes lock files made more than `max_age` ago that nobody holds (one is made per locked
/// key, so they would pile up).
fn prune_locks(dir: &Path, now: SystemTime, max_age: Duration) {
    let Ok(read) = fs::read_dir(dir) else { return };
    for item in read.flatten() {
        let old = item
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|m| now.duration_since(m).unwrap_or_default() > max_age);
        if old && File::open(item.path()).is_ok_and(|f| f.try_lock().is_ok()) {
            let _ = fs::remove_file(item.path());
        }
    }
}

fn remove_counted(file: &EntryFile, report: &mut GcReport) -> io::Result<()> {
    match fs::remove_file(&file.path) {
        Ok(()) => {
            report.removed_entries += 1;
            report.removed_bytes += file.bytes;
            Ok(())
        }
        // Another process got there first.
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Sets a file's modification time (used by tests to age entries).
#[cfg(test)]
fn set_mtime(path: &Path, time: SystemTime) {
    fs::OpenOptions::new()
        .write(true)
        .open(path)
        .and_then(|f| f.set_modified(time))
        .unwrap();
}

#[cfg(test)]
mod tests {
    use super::super::key::KeyBuilder;
    use super::*;

    fn key(n: u64) -> Key {
        KeyBuilder::new("test").u64("n", n).finish()
    }

    fn entry_file(store: &Store, bucket: &str, k: &Key) -> PathBuf {
        store.entry_path(bucket, k).unwrap()
    }

    #[test]
    fn put_then_get() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.get("b-v1", &key(1)), None);
        store.put("b-v1", &key(1), b"value one").unwrap();
        assert_eq!(
            store.get("b-v1", &key(1)).as_deref(),
            Some(&b"value one"[..])
        );
        // Buckets are separate namespaces.
        assert_eq!(store.get("b-v2", &key(1)), None);
        // Overwrite.
        store.put("b-v1", &key(1), b"value two").unwrap();
        assert_eq!(
            store.get("b-v1", &key(1)).as_deref(),
            Some(&b"value two"[..])
        );
        // No temporary files are left behind.
        let shard = entry_file(&store, "b-v1", &key(1));
        let names: Vec<_> = fs::read_dir(shard.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn bad_bucket_names_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        for bad in ["", "../x", "a/b", ".hidden", "Upper", "CACHEDIR.TAG"] {
            assert!(store.put(bad, &key(1), b"x").is_err(), "{bad}");
            assert_eq!(store.get(bad, &key(1)), None);
        }
    }

    #[test]
    fn corrupt_entry_is_a_miss_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let value = "kind: ConfigMap\n".repeat(300);
        store.put("b-v1", &key(1), value.as_bytes()).unwrap();
        let path = entry_file(&store, "b-v1", &key(1));
        let bytes = fs::read(&path).unwrap();
        fs::write(&path, &bytes[..bytes.len() - 10]).unwrap();
        assert_eq!(store.get("b-v1", &key(1)), None);
        assert!(!path.exists());
        // Garbage of the right size is caught by the checksum.
        store.put("b-v1", &key(2), b"short value").unwrap();
        let path = entry_file(&store, "b-v1", &key(2));
        let mut bytes = fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        fs::write(&path, bytes).unwrap();
        assert_eq!(store.get("b-v1", &key(2)), None);
    }

    #[test]
    fn an_entry_moved_to_another_key_is_a_miss() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store
            .put("b-v1", &key(1), b"render of release one")
            .unwrap();
        store
            .put("b-v1", &key(2), b"render of release two")
            .unwrap();
        let (one, two) = (
            entry_file(&store, "b-v1", &key(1)),
            entry_file(&store, "b-v1", &key(2)),
        );
        fs::copy(&one, &two).unwrap();
        assert_eq!(store.get("b-v1", &key(2)), None);
        assert!(store.get("b-v1", &key(1)).is_some());
    }

    #[test]
    fn concurrent_writers_and_readers_never_see_damage() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let value = "apiVersion: v1\nkind: Secret\n".repeat(2000).into_bytes();
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    for _ in 0..25 {
                        store.put("b-v1", &key(7), &value).unwrap();
                    }
                });
            }
            for _ in 0..2 {
                scope.spawn(|| {
                    for _ in 0..50 {
                        if let Some(got) = store.get("b-v1", &key(7)) {
                            assert_eq!(got, value);
                        }
                    }
                });
            }
        });
        assert_eq!(store.get("b-v1", &key(7)), Some(value));
        assert_eq!(store.usage().unwrap()[0].1, 1);
    }

    #[test]
    fn get_refreshes_mtime() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store.put("b-v1", &key(1), b"x").unwrap();
        let path = entry_file(&store, "b-v1", &key(1));
        let old = SystemTime::now() - Duration::from_secs(86400);
        set_mtime(&path, old);
        store.get("b-v1", &key(1)).unwrap();
        assert!(fs::metadata(&path).unwrap().modified().unwrap() > old);
    }

    #[test]
    fn gc_by_age_then_size() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let now = SystemTime::now();
        // Entries 0..5, 100 bytes each, entry n last used n hours ago.
        for n in 0..5 {
            store.put("b-v1", &key(n), &[b'x'; 100]).unwrap();
            let hours = Duration::from_secs(3600 * n);
            set_mtime(&entry_file(&store, "b-v1", &key(n)), now - hours);
        }
        let size = fs::metadata(entry_file(&store, "b-v1", &key(0)))
            .unwrap()
            .len();
        // A crashed writer's leftover, old enough to go.
        let leftover = entry_file(&store, "b-v1", &key(0)).with_file_name(".tmp-crashed");
        fs::write(&leftover, b"partial").unwrap();
        set_mtime(&leftover, now - Duration::from_secs(7200));

        let report = store
            .gc(Duration::from_secs(3600 * 3 + 1800), None)
            .unwrap();
        assert_eq!(report.removed_entries, 1); // entry 4
        assert_eq!(report.kept_entries, 4);
        assert!(!leftover.exists());
        assert_eq!(store.get("b-v1", &key(4)), None);

        // Keep at most two entries' worth: the two most recently used (0 and 1) stay.
        let report = store
            .gc(Duration::from_secs(86400), Some(size * 2))
            .unwrap();
        assert_eq!(report.removed_entries, 2);
        assert_eq!(report.removed_bytes, size * 2);
        assert_eq!(report.kept_bytes, size * 2);
        assert!(store.get("b-v1", &key(0)).is_some());
        assert!(store.get("b-v1", &key(1)).is_some());
        assert!(store.get("b-v1", &key(2)).is_none());
        assert!(store.get("b-v1", &key(3)).is_none());
    }

    #[test]
    fn usage_and_clear_leave_foreign_files_alone() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::write(root.join("notes.txt"), "mine").unwrap();
        fs::create_dir_all(root.join("other-v1/ab")).unwrap();
        fs::write(root.join("other-v1/ab/cdef"), "not a cache entry").unwrap();
        let store = Store::open(root).unwrap();
        store.put("kustomize-v1", &key(1), b"one").unwrap();
        store.put("kustomize-v1", &key(2), b"two").unwrap();
        store.put("helm-render-v1", &key(1), b"three").unwrap();

        let usage = store.usage().unwrap();
        let names: Vec<_> = usage.iter().map(|(b, n, _)| (b.as_str(), *n)).collect();
        assert_eq!(names, [("helm-render-v1", 1), ("kustomize-v1", 2)]);
        assert!(usage.iter().all(|(_, _, bytes)| *bytes > 0));

        let freed = store.clear().unwrap();
        assert_eq!(freed, usage.iter().map(|u| u.2).sum::<u64>());
        let mut left: Vec<_> = fs::read_dir(root)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(left, ["notes.txt", "other-v1"]);
        assert!(root.join("other-v1/ab/cdef").exists());
        assert!(store.usage().unwrap().is_empty());
        // The store keeps working after a clear.
        store.put("kustomize-v1", &key(1), b"again").unwrap();
        assert_eq!(
            store.get("kustomize-v1", &key(1)).as_deref(),
            Some(&b"again"[..])
        );
    }
}
