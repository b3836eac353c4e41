//! Scans of source trees started before a run needs them. A warm diff spends its first
//! milliseconds waiting for git to list the changed files; the two trees' scans (a few ms each,
//! and the first thing each side's reconcile waits for) run meanwhile on their own threads.

use super::SourceTree;
use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::thread::JoinHandle;

/// Scans in progress or done, by root exactly as given (a tree's paths are joined to its root,
/// so only a scan of the very same root path stands in for another).
#[derive(Debug, Default)]
pub struct Prefetched {
    scans: Mutex<HashMap<PathBuf, JoinHandle<io::Result<SourceTree>>>>,
}

impl Prefetched {
    /// Starts scanning `root` on a new thread, unless a scan of it was started already.
    pub fn start(&self, root: &Path) {
        let Ok(mut scans) = self.scans.lock() else {
            return;
        };
        if scans.contains_key(root) {
            return;
        }
        let dir = root.to_path_buf();
        let spawned = std::thread::Builder::new()
            .name("fluxsim-scan".into())
            .spawn(move || SourceTree::scan(&dir));
        if let Ok(handle) = spawned {
            scans.insert(root.to_path_buf(), handle);
        }
    }

    /// The scan of `root` started earlier (waiting for it to finish), or None.
    pub fn take(&self, root: &Path) -> Option<io::Result<SourceTree>> {
        let handle = self.scans.lock().ok()?.remove(root)?;
        handle.join().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_started_scan_is_taken_once_and_equals_a_scan() {
        let dir = tempfile::tempdir().unwrap();
        crate::testing::write(dir.path(), "a/b.yaml", "x");
        let p = Prefetched::default();
        p.start(dir.path());
        p.start(dir.path());
        let taken = p.take(dir.path()).unwrap().unwrap();
        let scanned = SourceTree::scan(dir.path()).unwrap();
        assert_eq!((taken.files, taken.dirs), (scanned.files, scanned.dirs));
        assert!(p.take(dir.path()).is_none(), "taken once");
        assert!(
            p.take(&dir.path().join("a")).is_none(),
            "only the root started"
        );
    }
}
