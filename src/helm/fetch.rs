//! Getting chart archives into the cache: dispatch by source kind, shared state of the fetchers.

use super::cache::{Cache, RefEntry};
use super::error::HelmError;
use super::source::{ChartRequest, SourceKind};
use crate::net::oci::OciClient;
use crate::net::{HttpClient, NetOptions};
use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

/// A chart archive in the cache.
#[derive(Debug, Clone)]
pub(crate) struct Fetched {
    pub tgz: PathBuf,
    /// sha256 hex of the archive.
    pub digest: String,
    /// The version or tag the request resolved to (empty for a digest ref).
    pub version: String,
    /// OCI manifest digest.
    pub revision: Option<String>,
    /// Where the archive came from.
    pub url: String,
}

/// Network clients, the cache, and per-process memos of indexes.
pub(crate) struct Fetcher {
    pub cache: Cache,
    /// Built on first use: building it loads the system certificates, which costs a tenth of a
    /// warm run that never touches the network.
    http: std::sync::OnceLock<HttpClient>,
    oci: std::sync::OnceLock<OciClient>,
    network: NetOptions,
    pub offline: bool,
    indexes: Mutex<HashMap<String, Arc<Value>>>,
}

impl Fetcher {
    pub(crate) fn new(cache: Cache, offline: bool, network: NetOptions) -> Result<Self, HelmError> {
        Ok(Fetcher {
            cache,
            http: std::sync::OnceLock::new(),
            oci: std::sync::OnceLock::new(),
            network,
            offline,
            indexes: Mutex::new(HashMap::new()),
        })
    }

    /// The guarded HTTP client (see [`crate::net`]).
    pub(crate) fn http(&self) -> Result<&HttpClient, HelmError> {
        if let Some(c) = self.http.get() {
            return Ok(c);
        }
        let client =
            HttpClient::new(self.network.clone()).map_err(|e| HelmError::Setup(e.to_string()))?;
        Ok(self.http.get_or_init(|| client))
    }

    /// The OCI registry client, over the same HTTP client.
    pub(crate) fn oci(&self) -> Result<&OciClient, HelmError> {
        if let Some(c) = self.oci.get() {
            return Ok(c);
        }
        let client = OciClient::new(self.http()?.clone());
        Ok(self.oci.get_or_init(|| client))
    }

    pub(crate) fn lock_indexes(&self) -> MutexGuard<'_, HashMap<String, Arc<Value>>> {
        self.indexes.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Fetches the archive for a remote request; Git requests never get here.
    pub(crate) async fn fetch(&self, req: &ChartRequest) -> Result<Fetched, HelmError> {
        match req.kind {
            SourceKind::HelmRepository => self.fetch_http(req).await,
            SourceKind::OciHelmRepository => self.fetch_oci_helm(req).await,
            SourceKind::OciRepository => self.fetch_oci_repository(req).await,
            SourceKind::GitRepository => Err(HelmError::InvalidChartRef {
                hr: req.hr.clone(),
                reason: "a Git chart is read from its folder, not fetched".to_string(),
            }),
        }
    }

    /// The archive a ref names; the ref was read only if the archive is in the store.
    pub(crate) fn fetched(
        &self,
        hr: &str,
        entry: RefEntry,
        url: String,
    ) -> Result<Fetched, HelmError> {
        let tgz = self.cache.chart_path(&entry.digest).ok_or_else(|| {
            HelmError::fetch(hr, &url, "the chart archive vanished from the cache")
        })?;
        Ok(Fetched {
            tgz,
            digest: entry.digest,
            version: entry.version,
            revision: entry.revision,
            url,
        })
    }
}
