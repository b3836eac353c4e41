//! The run's private folders: where decrypted copies of sources, helm values and rendered
//! releases live while the run needs them, and nowhere else.
//!
//! Each folder is `<base>/fluxsim-run-<pid>-<random>/`, mode 0700, holding a `.lock` file the
//! run keeps locked with an advisory lock, which the kernel releases however the process ends.
//! A folder goes when its [`RunDir`] is dropped (normal end, error, panic unwinding) and, on
//! SIGINT/SIGTERM, through [`remove_live`], which the CLI's signal handler calls. SIGKILL cannot
//! be caught: every new run, and `cache gc`/`clear`, [`sweep`] the folders whose lock is free,
//! that is whose run is gone.
//!
//! Plaintext prefers memory-backed storage (`$XDG_RUNTIME_DIR`, else `/dev/shm`), so a killed
//! run leaves nothing on a disk; copies without secrets stay next to the cache (`<cache>/tmp`),
//! where hard links to the source make them cheap.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// Name prefix of every run folder; [`sweep`] looks at nothing else.
pub const PREFIX: &str = "fluxsim-run-";
/// Where a folder's run holds its lock.
const LOCK: &str = ".lock";
/// Folder of `--cache-dir` holding the run folders made next to the cache.
pub const SCRATCH: &str = "tmp";
/// A folder without a lock file (its run died between making it and locking) is swept when
/// its pid is gone, or, where that cannot be told, after this long.
const UNLOCKED_GRACE: std::time::Duration = std::time::Duration::from_secs(86_400);

/// Folders of live runs in this process, for [`remove_live`].
static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
/// Set by [`remove_live`]: the process is exiting, no new folder may be made.
static EXITING: AtomicBool = AtomicBool::new(false);

/// One locked run folder, removed on drop.
#[derive(Debug)]
struct RunFolder {
    path: PathBuf,
    _lock: File,
}

/// The folders of one run: `private` for plaintext, `scratch` for everything else (the same
/// folder when no memory-backed storage is available).
#[derive(Debug)]
pub struct RunDir {
    scratch: RunFolder,
    private: Option<RunFolder>,
}

impl RunDir {
    /// Sweeps stale run folders, then makes this run's: scratch under `<cache_dir>/tmp` (else the
    /// system temporary folder), private in memory when possible.
    pub fn create(cache_dir: &Path) -> io::Result<RunDir> {
        sweep(cache_dir);
        let scratch = RunFolder::create(&cache_dir.join(SCRATCH))
            .or_else(|_| RunFolder::create(&std::env::temp_dir()))?;
        let private = memory_bases()
            .iter()
            .find_map(|base| RunFolder::create(base).ok());
        Ok(RunDir { scratch, private })
    }

    /// Where plaintext goes: decrypted sources, helm values, rendered releases.
    pub fn private(&self) -> &Path {
        &self.private.as_ref().unwrap_or(&self.scratch).path
    }

    /// Where copies without secrets go (same file system as the cache, for hard links).
    pub fn scratch(&self) -> &Path {
        &self.scratch.path
    }
}

impl RunFolder {
    fn create(base: &Path) -> io::Result<RunFolder> {
        if EXITING.load(Ordering::SeqCst) {
            return Err(io::Error::other("the process is exiting"));
        }
        fs::create_dir_all(base)?;
        let mut last = None;
        for _ in 0..8 {
            let path = base.join(format!("{PREFIX}{}-{}", std::process::id(), random_hex()));
            match make_private_dir(&path) {
                Ok(()) => return RunFolder::lock(path),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| io::Error::other("no free run folder name")))
    }

    /// Locks the folder and registers it. The lock file is locked under a temporary name and
    /// renamed into place, so a sweeper never sees an unlocked `.lock` of a live run.
    fn lock(path: PathBuf) -> io::Result<RunFolder> {
        let result = (|| {
            let temp = path.join(".lock-new");
            let file = fs::OpenOptions::new()
                .create_new(true)
                .write(true)
                .open(&temp)?;
            file.try_lock().map_err(io::Error::other)?;
            fs::rename(&temp, path.join(LOCK))?;
            Ok(file)
        })();
        match result {
            Ok(lock) => {
                live().push(path.clone());
                Ok(RunFolder { path, _lock: lock })
            }
            Err(e) => {
                let _ = fs::remove_dir_all(&path);
                Err(e)
            }
        }
    }
}

impl Drop for RunFolder {
    fn drop(&mut self) {
        live().retain(|p| p != &self.path);
        let _ = fs::remove_dir_all(&self.path);
    }
}

fn live() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    LIVE.lock().unwrap_or_else(|p| p.into_inner())
}

/// Removes every run folder of this process and refuses new ones: for a signal handler that
/// then exits without unwinding.
pub fn remove_live() {
    EXITING.store(true, Ordering::SeqCst);
    let mut folders = live();
    for path in folders.drain(..) {
        let _ = fs::remove_dir_all(path);
    }
}

/// Memory-backed places for plaintext, in order of preference.
fn memory_bases() -> Vec<PathBuf> {
    let mut bases = Vec::new();
    if let Some(dir) = std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from)
        && dir.is_absolute()
        && dir.is_dir()
    {
        bases.push(dir);
    }
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        bases.push(shm.to_path_buf());
    }
    bases
}

/// Every place a run folder may be made.
fn all_bases(cache_dir: &Path) -> Vec<PathBuf> {
    let mut bases = memory_bases();
    bases.push(cache_dir.join(SCRATCH));
    bases.push(std::env::temp_dir());
    bases.dedup();
    bases
}

/// A run folder found by [`list`].
#[derive(Debug, Clone)]
pub struct Found {
    pub path: PathBuf,
    /// Its run is gone (see [`sweep`]).
    pub stale: bool,
}

/// Every run folder this user can see, wherever runs make them. Symlinks are never followed,
/// even one someone planted under a shared base like /dev/shm.
pub fn list(cache_dir: &Path) -> Vec<Found> {
    let mut out = Vec::new();
    for base in all_bases(cache_dir) {
        let Ok(read) = fs::read_dir(&base) else {
            continue;
        };
        for item in read.flatten() {
            let name = item.file_name();
            let Some(name) = name.to_str().filter(|n| n.starts_with(PREFIX)) else {
                continue;
            };
            if !item.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            let path = item.path();
            let stale = is_stale(&path, name);
            out.push(Found { path, stale });
        }
    }
    out
}

/// Removes run folders whose run is gone; returns how many. Folders of live runs (of this
/// process too) and of other users are left alone; an error only skips a folder.
pub fn sweep(cache_dir: &Path) -> u64 {
    let stale = list(cache_dir).into_iter().filter(|f| f.stale);
    stale
        .filter(|f| fs::remove_dir_all(&f.path).is_ok())
        .count() as u64
}

/// A folder is stale when its lock can be taken (its run is gone), or when it has no lock file
/// and its pid is gone.
fn is_stale(path: &Path, name: &str) -> bool {
    match File::open(path.join(LOCK)) {
        // The lock is dropped with the file; a run that is gone cannot mind.
        Ok(file) => file.try_lock().is_ok(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let pid = name[PREFIX.len()..].split('-').next().unwrap_or_default();
            match process_alive(pid) {
                Some(alive) => !alive,
                None => fs::metadata(path)
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.elapsed().ok())
                    .is_some_and(|age| age > UNLOCKED_GRACE),
            }
        }
        Err(_) => false,
    }
}

/// Whether a process with this pid exists, where `/proc` can tell.
fn process_alive(pid: &str) -> Option<bool> {
    let proc = Path::new("/proc");
    if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) || !proc.join("self").exists() {
        return None;
    }
    Some(proc.join(pid).exists())
}

/// Makes a folder only its owner can enter, whatever the umask.
fn make_private_dir(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        fs::DirBuilder::new().mode(0o700).create(path)?;
        fs::set_permissions(path, fs::Permissions::from_mode(0o700))
    }
    #[cfg(not(unix))]
    {
        fs::create_dir(path)
    }
}

fn random_hex() -> String {
    let mut bytes = [0u8; 8];
    // A clash only costs a retry (create_dir refuses an existing name).
    let _ = getrandom::fill(&mut bytes);
    hex::encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folders(base: &Path) -> Vec<PathBuf> {
        fs::read_dir(base)
            .map(|r| r.flatten().map(|e| e.path()).collect())
            .unwrap_or_default()
    }

    #[test]
    fn folders_are_private_locked_and_removed_on_drop() {
        let cache = tempfile::tempdir().unwrap();
        let run = RunDir::create(cache.path()).unwrap();
        for dir in [run.private(), run.scratch()] {
            assert!(
                dir.file_name()
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .starts_with(PREFIX)
            );
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = fs::metadata(dir).unwrap().permissions().mode();
                assert_eq!(mode & 0o777, 0o700, "{}", dir.display());
            }
            assert!(dir.join(LOCK).is_file());
        }
        assert!(run.scratch().starts_with(cache.path().join(SCRATCH)));
        // A live run's folders survive a sweep, even from this process.
        sweep(cache.path());
        assert!(run.private().is_dir() && run.scratch().is_dir());
        let (private, scratch) = (run.private().to_path_buf(), run.scratch().to_path_buf());
        drop(run);
        assert!(!private.exists() && !scratch.exists());
    }

    #[test]
    fn stale_folders_are_swept_and_foreign_ones_left() {
        let cache = tempfile::tempdir().unwrap();
        let base = cache.path().join(SCRATCH);
        fs::create_dir_all(&base).unwrap();
        // A run killed after locking: its lock file is there, unlocked.
        let killed = base.join(format!("{PREFIX}1-aaaa"));
        fs::create_dir(&killed).unwrap();
        fs::write(killed.join(LOCK), "").unwrap();
        fs::write(killed.join("secret.env"), "TOKEN=plain").unwrap();
        // Killed before locking, with a pid that cannot exist.
        let early = base.join(format!("{PREFIX}4294967295-bbbb"));
        fs::create_dir(&early).unwrap();
        // Not ours: other names, and a file with our prefix.
        fs::create_dir(base.join("other-folder")).unwrap();
        fs::write(base.join(format!("{PREFIX}file")), "").unwrap();
        // Killed before locking, and its pid is alive (ours): kept.
        let racing = base.join(format!("{PREFIX}{}-cccc", std::process::id()));
        fs::create_dir(&racing).unwrap();

        assert!(sweep(cache.path()) >= 2);
        assert!(!killed.exists() && !early.exists());
        assert!(racing.exists() && base.join("other-folder").exists());
        assert!(base.join(format!("{PREFIX}file")).exists());
        assert_eq!(folders(&base).len(), 3);
    }

    #[test]
    fn remove_live_removes_this_process_folders() {
        let cache = tempfile::tempdir().unwrap();
        let run = RunDir::create(cache.path()).unwrap();
        let scratch = run.scratch().to_path_buf();
        // Not remove_live itself: it would stop every other test of this process from making
        // folders. The same removal, by hand.
        let listed = live().contains(&scratch);
        assert!(listed);
        drop(run);
        assert!(!live().contains(&scratch));
    }
}
