//! What the HelmRelease stage keeps between runs, in the one checksummed store of
//! [`crate::cache::Store`]: content-addressed chart archives, refs from (source, chart, version)
//! to a digest, repository indexes and tag lists for offline use, and rendered releases. A
//! damaged or foreign entry reads as a miss and is fetched or rendered again.
//!
//! helm reads charts from files, so an archive used in a run is written (once, after checking
//! its digest) into a folder of this run that is removed when the run ends; helm's own home
//! folders live there too.

use crate::cache::{Key, KeyBuilder, Store};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Buckets of the store; bump a version when its format changes.
const CHARTS: &str = "helm-chart-v1";
const REFS: &str = "helm-ref-v1";
pub(crate) const INDEX: &str = "helm-index-v1";
pub(crate) const TAGS: &str = "helm-tags-v1";
pub(crate) const RENDER: &str = "helm-render-v1";

/// What a ref resolves to.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct RefEntry {
    /// sha256 hex of the chart archive.
    pub digest: String,
    /// The chart version or tag the ref resolved to.
    pub version: String,
    /// OCI manifest digest (`sha256:…`), the artifact revision Flux tracks.
    pub revision: Option<String>,
}

/// The store plus this run's chart folder and in-process locks that deduplicate concurrent
/// work on one key.
pub(crate) struct Cache {
    store: Store,
    /// This run's folder: chart archives for helm, helm's home. Removed with the cache.
    run_dir: tempfile::TempDir,
    /// Keeps a `--no-cache` store alive for the run.
    _temporary_store: Option<tempfile::TempDir>,
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// sha256 hex of a text.
pub(crate) fn sha256_hex(data: impl AsRef<[u8]>) -> String {
    hex::encode(Sha256::digest(data.as_ref()))
}

fn key(kind: &str, text: &str) -> Key {
    KeyBuilder::new(kind).text("key", text).finish()
}

impl Cache {
    /// The store under `root`, or with `persistent: false` one that lives only for this run
    /// (`--no-cache`: nothing is read from or written to `root`). This run's folders are made
    /// under `scratch` (the run's folder, see [`crate::rundir`]).
    pub(crate) fn open(root: &Path, persistent: bool, scratch: &Path) -> std::io::Result<Self> {
        let run_dir = tempfile::Builder::new()
            .prefix("helm-run-")
            .tempdir_in(scratch)?;
        let (store, temporary) = if persistent {
            (Store::open(root)?, None)
        } else {
            let dir = tempfile::Builder::new()
                .prefix("helm-store-")
                .tempdir_in(scratch)?;
            (Store::open(dir.path())?, Some(dir))
        };
        Ok(Cache {
            store,
            run_dir,
            _temporary_store: temporary,
            locks: Mutex::new(HashMap::new()),
        })
    }

    /// This run's folder (helm's home lives in it).
    pub(crate) fn run_dir(&self) -> &Path {
        self.run_dir.path()
    }

    /// Serializes work on `key` inside this process (e.g. two releases fetching the same chart).
    pub(crate) async fn lock(&self, key: &str) -> tokio::sync::OwnedMutexGuard<()> {
        let mutex = {
            let mut locks = self.locks.lock().unwrap_or_else(|p| p.into_inner());
            locks.entry(key.to_string()).or_default().clone()
        };
        mutex.lock_owned().await
    }

    /// Serializes work on `key` across processes sharing the store (two CI jobs rendering the
    /// same release agree on its output). Held until the returned file is dropped.
    pub(crate) async fn lock_across_processes(&self, name: &str) -> Option<std::fs::File> {
        let store = self.store.clone();
        let key = key("lock", name);
        tokio::task::spawn_blocking(move || store.lock(&key).ok())
            .await
            .ok()
            .flatten()
    }

    /// Stores a chart archive under its sha256 and returns the hex digest.
    pub(crate) fn store_chart(&self, data: &[u8]) -> std::io::Result<String> {
        let digest = sha256_hex(data);
        let key = key(CHARTS, &digest);
        if self.store.get(CHARTS, &key).is_none() {
            self.store.put(CHARTS, &key, data)?;
        }
        Ok(digest)
    }

    /// The archive with this digest as a file helm can read, when the store has it intact.
    pub(crate) fn chart_path(&self, digest_hex: &str) -> Option<PathBuf> {
        let path = self.run_dir.path().join(format!("{digest_hex}.tgz"));
        if path.is_file() {
            return Some(path);
        }
        let data = self.store.get(CHARTS, &key(CHARTS, digest_hex))?;
        if sha256_hex(&data) != digest_hex {
            return None;
        }
        let tmp = tempfile::NamedTempFile::new_in(self.run_dir.path()).ok()?;
        std::fs::write(tmp.path(), &data).ok()?;
        tmp.persist(&path).ok()?;
        Some(path)
    }

    /// The ref for `key`, only if its chart archive is still present.
    pub(crate) fn read_ref(&self, key_text: &str) -> Option<RefEntry> {
        let data = self.store.get(REFS, &key(REFS, key_text))?;
        let entry: RefEntry = serde_json::from_slice(&data).ok()?;
        self.chart_path(&entry.digest).is_some().then_some(entry)
    }

    pub(crate) fn write_ref(&self, key_text: &str, entry: &RefEntry) -> std::io::Result<()> {
        let data = serde_json::to_vec(entry).map_err(std::io::Error::other)?;
        self.store.put(REFS, &key(REFS, key_text), &data)
    }

    /// A value kept under a text key in one of the buckets above (`INDEX`, `TAGS`, `RENDER`).
    pub(crate) fn read(&self, bucket: &str, key_text: &str) -> Option<Vec<u8>> {
        self.store.get(bucket, &key(bucket, key_text))
    }

    pub(crate) fn write(&self, bucket: &str, key_text: &str, data: &[u8]) -> std::io::Result<()> {
        self.store.put(bucket, &key(bucket, key_text), data)
    }

    /// Where errors about the store point.
    pub(crate) fn root(&self) -> &Path {
        self.store.root()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(dir: &tempfile::TempDir) -> PathBuf {
        let path = dir.path().join("tmp");
        std::fs::create_dir_all(&path).unwrap();
        path
    }

    #[test]
    fn charts_are_content_addressed_and_refs_need_the_chart() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path(), true, &scratch(&dir)).unwrap();
        let digest = cache.store_chart(b"chart").unwrap();
        assert_eq!(digest, sha256_hex(b"chart"));
        let path = cache.chart_path(&digest).unwrap();
        assert_eq!(std::fs::read(path).unwrap(), b"chart");
        let entry = RefEntry {
            digest: digest.clone(),
            version: "1.0.0".into(),
            revision: None,
        };
        cache.write_ref("k", &entry).unwrap();
        assert_eq!(cache.read_ref("k"), Some(entry.clone()));
        // Another run sees the same entries; a damaged archive is a miss, never served.
        drop(cache);
        assert_eq!(
            Cache::open(dir.path(), true, &scratch(&dir))
                .unwrap()
                .read_ref("k"),
            Some(entry)
        );
        let store = Store::open(dir.path()).unwrap();
        store.put(CHARTS, &key(CHARTS, &digest), b"other").unwrap();
        assert_eq!(
            Cache::open(dir.path(), true, &scratch(&dir))
                .unwrap()
                .read_ref("k"),
            None
        );
    }

    #[test]
    fn no_cache_keeps_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path(), false, &scratch(&dir)).unwrap();
        cache.store_chart(b"chart").unwrap();
        drop(cache);
        let cache = Cache::open(dir.path(), true, &scratch(&dir)).unwrap();
        assert_eq!(cache.chart_path(&sha256_hex(b"chart")), None);
    }
}
