//! Charts from HTTP HelmRepositories: `index.yaml` (cached for offline use), version selection,
//! download with digest check.

use super::cache::{RefEntry, write_atomic};
use super::error::HelmError;
use super::fetch::{Fetched, Fetcher};
use super::semver::select;
use super::source::ChartRequest;
use serde_json::Value;
use std::sync::Arc;

impl Fetcher {
    /// Resolves and downloads a chart from an HTTP repository (or the cache).
    pub(crate) async fn fetch_http(&self, req: &ChartRequest) -> Result<Fetched, HelmError> {
        let index = self.index(req).await?;
        let entries: Vec<&Value> = index
            .pointer(&format!(
                "/entries/{}",
                req.chart.replace('~', "~0").replace('/', "~1")
            ))
            .and_then(Value::as_array)
            .map(|a| a.iter().collect())
            .unwrap_or_default();
        let versions: Vec<&str> = entries
            .iter()
            .filter_map(|e| e.get("version").and_then(Value::as_str))
            .collect();
        let chosen = select(versions.iter().copied(), &req.version).map_err(|reason| {
            HelmError::BadConstraint {
                hr: req.hr.clone(),
                constraint: req.version.clone(),
                reason,
            }
        })?;
        let Some(version) = chosen else {
            return Err(HelmError::NoMatchingVersion {
                hr: req.hr.clone(),
                chart: req.chart.clone(),
                url: req.url.clone(),
                constraint: req.version.clone(),
                available: if versions.is_empty() {
                    "none".to_string()
                } else {
                    versions.join(", ")
                },
            });
        };
        let entry = entries
            .iter()
            .find(|e| e.get("version").and_then(Value::as_str) == Some(version))
            .ok_or_else(|| {
                HelmError::chart(
                    &req.hr,
                    &req.chart,
                    format!("index entry {version} vanished"),
                )
            })?;
        let key = format!("http\n{}\n{}\n{version}", req.url, req.chart);
        let _guard = self.cache.lock(&key).await;
        if let Some(hit) = self.cache.read_ref(&key) {
            return Ok(self.fetched(hit, req.url.clone()));
        }
        let chart_url = entry
            .pointer("/urls/0")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                HelmError::chart(
                    &req.hr,
                    &req.chart,
                    format!("index entry {version} has no urls"),
                )
            })?;
        let chart_url = resolve_url(&req.url, chart_url)
            .map_err(|e| HelmError::fetch(&req.hr, chart_url, e))?;
        if self.offline {
            return Err(self.offline_error(req, &chart_url, version));
        }
        let data = self.get_bytes(&req.hr, &chart_url).await?;
        let expected = entry
            .get("digest")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let digest = self
            .cache
            .store_chart(&data)
            .map_err(|e| HelmError::io(&req.hr, self.cache.root(), e))?;
        if !expected.is_empty() && expected.trim_start_matches("sha256:") != digest {
            return Err(HelmError::fetch(
                &req.hr,
                &chart_url,
                format!("digest mismatch: index says {expected}, got sha256:{digest}"),
            ));
        }
        let entry = RefEntry {
            digest,
            version: version.to_string(),
            revision: None,
        };
        self.cache
            .write_ref(&key, &entry)
            .map_err(|e| HelmError::io(&req.hr, self.cache.root(), e))?;
        Ok(self.fetched(entry, chart_url))
    }

    /// The repository index: fetched once per process when online, else read from the cache.
    async fn index(&self, req: &ChartRequest) -> Result<Arc<Value>, HelmError> {
        let url = &req.url;
        let _guard = self.cache.lock(&format!("index\n{url}")).await;
        if let Some(index) = self.lock_indexes().get(url) {
            return Ok(index.clone());
        }
        let path = self.cache.keyed("index", url, "yaml");
        let index_url = format!("{url}index.yaml");
        let text = if self.offline {
            std::fs::read(&path).map_err(|_| self.offline_error(req, &index_url, &req.version))?
        } else {
            let data = self.get_bytes(&req.hr, &index_url).await?;
            write_atomic(&path, &data).map_err(|e| HelmError::io(&req.hr, &path, e))?;
            data
        };
        let text = String::from_utf8_lossy(&text);
        let index = crate::yaml::parse_one(&text).map_err(|e| {
            HelmError::fetch(&req.hr, &index_url, format!("invalid index.yaml: {e}"))
        })?;
        let index = Arc::new(index);
        self.lock_indexes().insert(url.clone(), index.clone());
        Ok(index)
    }

    pub(crate) fn offline_error(&self, req: &ChartRequest, url: &str, version: &str) -> HelmError {
        HelmError::Offline {
            hr: req.hr.clone(),
            url: url.to_string(),
            version: version.to_string(),
        }
    }

    async fn get_bytes(&self, hr: &str, url: &str) -> Result<Vec<u8>, HelmError> {
        let response = self
            .http()?
            .get(url)
            .send()
            .await
            .map_err(|e| HelmError::fetch_failed(hr, url, &e))?;
        let status = response.status();
        if !status.is_success() {
            return Err(HelmError::fetch(hr, url, format!("HTTP {status}")));
        }
        let body = response
            .bytes()
            .await
            .map_err(|e| HelmError::fetch_failed(hr, url, &e))?;
        Ok(body.to_vec())
    }
}

/// Chart URLs in an index may be relative to the repository URL.
fn resolve_url(base: &str, url: &str) -> Result<String, String> {
    if url.contains("://") {
        return Ok(url.to_string());
    }
    let base = reqwest::Url::parse(base).map_err(|e| e.to_string())?;
    base.join(url)
        .map(|u| u.to_string())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_chart_urls() {
        assert_eq!(
            resolve_url("http://h/charts/", "web-1.0.0.tgz").unwrap(),
            "http://h/charts/web-1.0.0.tgz"
        );
        assert_eq!(
            resolve_url("http://h/charts/", "https://cdn/x.tgz").unwrap(),
            "https://cdn/x.tgz"
        );
        assert_eq!(
            resolve_url("http://h/charts/", "/x.tgz").unwrap(),
            "http://h/x.tgz"
        );
    }
}
