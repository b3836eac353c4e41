//! Reading one schema from a location: a file directly, a URL through the caller's fetcher.
//!
//! The module does no HTTP itself. Downloads are kept in the caller's cache folder, in the
//! project's content-addressed [`Store`] (bucket `schema-downloads-v1`, key: SHA-256 of the URL;
//! atomic writes, checksummed entries), so a warm run fetches nothing. Only successful downloads
//! are kept: a 404 or a failure is asked again next run.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use super::builtin::KubeVersion;
use super::error::{FetchError, SchemaError};
use super::location::SchemaLocation;
use crate::cache::{KeyBuilder, Store};

const DOWNLOADS_BUCKET: &str = "schema-downloads-v1";

/// Downloads a schema for a URL location. `Ok(None)` means there is no schema at that URL (an
/// HTTP 404): the next location is tried. An `Err` stops the lookup for that kind.
pub trait SchemaFetcher: Send + Sync {
    /// Fetches `url`.
    fn fetch(&self, url: &str) -> Result<Option<Vec<u8>>, FetchError>;
}

impl<F> SchemaFetcher for F
where
    F: Fn(&str) -> Result<Option<Vec<u8>>, FetchError> + Send + Sync,
{
    fn fetch(&self, url: &str) -> Result<Option<Vec<u8>>, FetchError> {
        self(url)
    }
}

/// How URL locations are read: the fetcher and, if any, the download cache.
#[derive(Clone, Default)]
pub(crate) struct Remote {
    pub fetcher: Option<Arc<dyn SchemaFetcher>>,
    pub cache: Option<(Store, PathBuf)>,
}

impl Remote {
    pub fn new(
        fetcher: Arc<dyn SchemaFetcher>,
        cache_dir: Option<&Path>,
    ) -> Result<Remote, SchemaError> {
        let cache = match cache_dir {
            Some(dir) => Some((
                Store::open(dir).map_err(|source| SchemaError::Cache {
                    dir: dir.to_path_buf(),
                    source,
                })?,
                dir.to_path_buf(),
            )),
            None => None,
        };
        Ok(Remote {
            fetcher: Some(fetcher),
            cache,
        })
    }
}

/// A schema document and where it came from (a path or URL, for messages).
pub(crate) struct Found {
    pub origin: String,
    pub schema: Value,
}

/// The schema of `kind` in `api_version` at `location`, if it has one.
pub(crate) fn read(
    location: &SchemaLocation,
    remote: &Remote,
    version: &KubeVersion,
    api_version: &str,
    kind: &str,
) -> Result<Option<Found>, SchemaError> {
    let address = location.render(version, api_version, kind);
    let bytes = if location.is_url() {
        download(remote, &address)?
    } else {
        read_file(Path::new(&address))?
    };
    let Some(bytes) = bytes else {
        return Ok(None);
    };
    let schema = serde_json::from_slice(&bytes).map_err(|source| SchemaError::ParseSchema {
        origin: address.clone(),
        source,
    })?;
    Ok(Some(Found {
        origin: address,
        schema,
    }))
}

fn read_file(path: &Path) -> Result<Option<Vec<u8>>, SchemaError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(SchemaError::ReadSchema {
            path: path.to_path_buf(),
            source,
        }),
    }
}

fn download(remote: &Remote, url: &str) -> Result<Option<Vec<u8>>, SchemaError> {
    let key = KeyBuilder::new("schema-download").text("url", url).finish();
    if let Some((store, _)) = &remote.cache
        && let Some(bytes) = store.get(DOWNLOADS_BUCKET, &key)
    {
        return Ok(Some(bytes));
    }
    let fetcher = remote
        .fetcher
        .as_ref()
        .ok_or_else(|| SchemaError::NoFetcher {
            url: url.to_string(),
        })?;
    let fetched = fetcher.fetch(url).map_err(|source| SchemaError::Fetch {
        url: url.to_string(),
        source,
    })?;
    if let (Some(bytes), Some((store, dir))) = (&fetched, &remote.cache)
        && serde_json::from_slice::<Value>(bytes).is_ok()
    {
        store
            .put(DOWNLOADS_BUCKET, &key, bytes)
            .map_err(|source| SchemaError::Cache {
                dir: dir.clone(),
                source,
            })?;
    }
    Ok(fetched)
}
