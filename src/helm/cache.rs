//! The on-disk cache: content-addressed charts, refs from (source, chart, version) to a digest,
//! repository indexes and tag lists for offline use, and rendered releases.
//!
//! Layout under `cache_dir`:
//! `charts/sha256/<hex>.tgz`, `refs/<sha256(key)>.json`, `index/<sha256(url)>.yaml`,
//! `tags/<sha256(repo)>.json`, `render/<key>.json`, `helm/{cache,config,data}`.
//! Every write goes to a temporary file in the same folder and is renamed into place, so concurrent
//! runs only ever see complete files.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Bump when the layout or a file format changes, so old caches are ignored rather than misread.
const LAYOUT: &str = "v1";

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

/// Disk cache plus in-process locks that deduplicate concurrent work on one key.
pub(crate) struct Cache {
    root: PathBuf,
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// sha256 hex of a text.
pub(crate) fn sha256_hex(data: impl AsRef<[u8]>) -> String {
    hex::encode(Sha256::digest(data.as_ref()))
}

/// Writes `data` to `path` atomically (temp file in the same folder, then rename).
pub(crate) fn write_atomic(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(data)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

impl Cache {
    pub(crate) fn new(root: &Path) -> Self {
        Cache {
            root: root.join(LAYOUT),
            locks: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    /// Serializes work on `key` inside this process (e.g. two releases fetching the same chart).
    pub(crate) async fn lock(&self, key: &str) -> tokio::sync::OwnedMutexGuard<()> {
        let mutex = {
            let mut locks = self.locks.lock().unwrap_or_else(|p| p.into_inner());
            locks.entry(key.to_string()).or_default().clone()
        };
        mutex.lock_owned().await
    }

    pub(crate) fn chart_path(&self, digest_hex: &str) -> PathBuf {
        self.root
            .join("charts")
            .join("sha256")
            .join(format!("{digest_hex}.tgz"))
    }

    /// Stores a chart archive under its sha256 and returns the hex digest.
    pub(crate) fn store_chart(&self, data: &[u8]) -> std::io::Result<String> {
        let digest = sha256_hex(data);
        let path = self.chart_path(&digest);
        if !path.is_file() {
            write_atomic(&path, data)?;
        }
        Ok(digest)
    }

    /// A keyed file in a bucket (`index`, `tags`, `refs`, `render`).
    pub(crate) fn keyed(&self, bucket: &str, key: &str, ext: &str) -> PathBuf {
        self.root
            .join(bucket)
            .join(format!("{}.{ext}", sha256_hex(key)))
    }

    /// The ref for `key`, only if its chart archive is still present.
    pub(crate) fn read_ref(&self, key: &str) -> Option<RefEntry> {
        let text = std::fs::read(self.keyed("refs", key, "json")).ok()?;
        let entry: RefEntry = serde_json::from_slice(&text).ok()?;
        self.chart_path(&entry.digest).is_file().then_some(entry)
    }

    pub(crate) fn write_ref(&self, key: &str, entry: &RefEntry) -> std::io::Result<()> {
        let data = serde_json::to_vec(entry).map_err(std::io::Error::other)?;
        write_atomic(&self.keyed("refs", key, "json"), &data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_are_content_addressed_and_refs_need_the_chart() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path());
        let digest = cache.store_chart(b"chart").unwrap();
        assert_eq!(digest, sha256_hex(b"chart"));
        assert!(cache.chart_path(&digest).is_file());
        let entry = RefEntry {
            digest: digest.clone(),
            version: "1.0.0".into(),
            revision: None,
        };
        cache.write_ref("k", &entry).unwrap();
        assert_eq!(cache.read_ref("k"), Some(entry));
        std::fs::remove_file(cache.chart_path(&digest)).unwrap();
        assert_eq!(cache.read_ref("k"), None);
    }
}
