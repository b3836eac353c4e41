//! Getting chart archives into the cache: dispatch by source kind, shared state of the fetchers.

use super::cache::{Cache, RefEntry};
use super::error::HelmError;
use super::source::{ChartRequest, SourceKind};
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
    http: std::sync::OnceLock<reqwest::Client>,
    pub offline: bool,
    indexes: Mutex<HashMap<String, Arc<Value>>>,
}

impl Fetcher {
    pub(crate) fn new(cache: Cache, offline: bool) -> Result<Self, HelmError> {
        Ok(Fetcher {
            cache,
            http: std::sync::OnceLock::new(),
            offline,
            indexes: Mutex::new(HashMap::new()),
        })
    }

    pub(crate) fn http(&self) -> Result<&reqwest::Client, HelmError> {
        if let Some(c) = self.http.get() {
            return Ok(c);
        }
        super::tls::install_crypto_provider();
        let client = reqwest::Client::builder()
            .tls_certs_merge(super::tls::reqwest_extra_roots())
            .user_agent(concat!("fluxsim/", env!("CARGO_PKG_VERSION")))
            // An unreachable registry must fail fast, not hang a whole run.
            .connect_timeout(std::time::Duration::from_secs(10))
            .timeout(std::time::Duration::from_secs(300))
            .build()
            .map_err(|e| HelmError::Setup(format!("HTTP client: {e}")))?;
        Ok(self.http.get_or_init(|| client))
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

    pub(crate) fn fetched(&self, entry: RefEntry, url: String) -> Fetched {
        Fetched {
            tgz: self.cache.chart_path(&entry.digest),
            digest: entry.digest,
            version: entry.version,
            revision: entry.revision,
            url,
        }
    }
}
