//! Charts from OCI registries: HelmRepository `type: oci` and `chartRef` OCIRepository, pulled with
//! `oci-client` (anonymous, following Bearer challenges), plain HTTP for loopback or `insecure`.

use super::cache::{RefEntry, write_atomic};
use super::error::HelmError;
use super::fetch::{Fetched, Fetcher};
use super::semver::{parse_version, select};
use super::source::ChartRequest;
use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};

/// Helm's chart layer media types (helm `pkg/registry/constants.go`).
pub const HELM_CHART_LAYER: &str = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";
const HELM_LEGACY_LAYER: &str = "application/tar+gzip";

/// Where in a registry a chart lives.
struct Location {
    registry: String,
    repository: String,
    insecure: bool,
}

impl Location {
    fn parse(req: &ChartRequest, url: &str) -> Result<Self, HelmError> {
        let rest = url
            .strip_prefix("oci://")
            .ok_or_else(|| HelmError::InvalidChartRef {
                hr: req.hr.clone(),
                reason: format!("'{url}' is not an oci:// URL"),
            })?;
        let (registry, repository) = rest.split_once('/').unwrap_or((rest, ""));
        Ok(Location {
            registry: registry.to_string(),
            repository: repository.trim_matches('/').to_string(),
            insecure: req.insecure,
        })
    }

    fn url(&self) -> String {
        format!("oci://{}/{}", self.registry, self.repository)
    }

    fn reference(&self, tag: &str) -> Reference {
        if tag.starts_with("sha256:") {
            Reference::with_digest(
                self.registry.clone(),
                self.repository.clone(),
                tag.to_string(),
            )
        } else {
            Reference::with_tag(
                self.registry.clone(),
                self.repository.clone(),
                tag.to_string(),
            )
        }
    }

    fn client(&self) -> Client {
        let host = self
            .registry
            .rsplit_once(':')
            .map_or(self.registry.as_str(), |(h, _)| h);
        let loopback = matches!(host, "127.0.0.1" | "localhost" | "[::1]");
        let protocol = if loopback || self.insecure {
            ClientProtocol::HttpsExcept(vec![self.registry.clone()])
        } else {
            ClientProtocol::Https
        };
        super::tls::install_crypto_provider();
        Client::new(ClientConfig {
            protocol,
            extra_root_certificates: super::tls::oci_extra_roots(),
            ..Default::default()
        })
    }
}

impl Fetcher {
    /// HelmRepository `type: oci`: `<url>/<chart>:<version>`; constraints list the tags.
    pub(crate) async fn fetch_oci_helm(&self, req: &ChartRequest) -> Result<Fetched, HelmError> {
        let url = format!("{}/{}", req.url, req.chart);
        let location = Location::parse(req, &url)?;
        let is_exact = !req
            .version
            .contains(['*', 'x', 'X', '^', '~', '<', '>', '=', ' ', ','])
            && parse_version(&req.version).is_some();
        let tag = if is_exact {
            req.version.replace('+', "_")
        } else {
            self.pick_tag(req, &location, &req.version, None).await?
        };
        // Chart versions are immutable by convention: a cached ref is reused without asking.
        self.pull(req, &location, &tag, None, true).await
    }

    /// `chartRef` OCIRepository: digest > semver > tag > `latest`.
    pub(crate) async fn fetch_oci_repository(
        &self,
        req: &ChartRequest,
    ) -> Result<Fetched, HelmError> {
        let location = Location::parse(req, &req.url)?;
        let r = &req.oci_ref;
        let media = req.layer_media_type.as_deref();
        if let Some(digest) = &r.digest {
            return self.pull(req, &location, digest, media, true).await;
        }
        let tag = if let Some(constraint) = &r.semver {
            self.pick_tag(req, &location, constraint, r.semver_filter.as_deref())
                .await?
        } else {
            r.tag.clone().unwrap_or_else(|| "latest".to_string())
        };
        // Tags can move: online, the manifest is asked for each process run.
        self.pull(req, &location, &tag, media, false).await
    }

    /// Lists tags (cached for offline use) and picks the highest match; `_` in a tag stands for `+`.
    async fn pick_tag(
        &self,
        req: &ChartRequest,
        location: &Location,
        constraint: &str,
        filter: Option<&str>,
    ) -> Result<String, HelmError> {
        let url = location.url();
        let tags = self.tags(req, location, constraint).await?;
        let filter =
            filter
                .map(regex::Regex::new)
                .transpose()
                .map_err(|e| HelmError::BadConstraint {
                    hr: req.hr.clone(),
                    constraint: constraint.to_string(),
                    reason: format!("semverFilter: {e}"),
                })?;
        let versions: Vec<String> = tags
            .iter()
            .filter(|t| filter.as_ref().is_none_or(|f| f.is_match(t)))
            .map(|t| t.replace('_', "+"))
            .collect();
        let chosen = select(versions.iter().map(String::as_str), constraint).map_err(|reason| {
            HelmError::BadConstraint {
                hr: req.hr.clone(),
                constraint: constraint.to_string(),
                reason,
            }
        })?;
        match chosen {
            Some(v) => Ok(v.replace('+', "_")),
            None => Err(HelmError::NoMatchingVersion {
                hr: req.hr.clone(),
                chart: location.repository.clone(),
                url,
                constraint: constraint.to_string(),
                available: if versions.is_empty() {
                    "none".to_string()
                } else {
                    versions.join(", ")
                },
            }),
        }
    }

    async fn tags(
        &self,
        req: &ChartRequest,
        location: &Location,
        constraint: &str,
    ) -> Result<Vec<String>, HelmError> {
        let url = location.url();
        let path = self.cache.keyed("tags", &url, "json");
        let _guard = self.cache.lock(&format!("tags\n{url}")).await;
        if self.offline {
            let text =
                std::fs::read(&path).map_err(|_| self.offline_error(req, &url, constraint))?;
            return serde_json::from_slice(&text)
                .map_err(|e| HelmError::io(&req.hr, &path, std::io::Error::other(e)));
        }
        let client = location.client();
        let response = client
            .list_tags(
                &location.reference("latest"),
                &RegistryAuth::Anonymous,
                None,
                None,
            )
            .await
            .map_err(|e| HelmError::fetch(&req.hr, &url, e))?;
        let data =
            serde_json::to_vec(&response.tags).map_err(|e| HelmError::fetch(&req.hr, &url, e))?;
        write_atomic(&path, &data).map_err(|e| HelmError::io(&req.hr, &path, e))?;
        Ok(response.tags)
    }

    /// Pulls the chart layer of `<location>:<tag>` (or `@digest`) into the cache.
    async fn pull(
        &self,
        req: &ChartRequest,
        location: &Location,
        tag: &str,
        media_type: Option<&str>,
        immutable: bool,
    ) -> Result<Fetched, HelmError> {
        let url = location.url();
        let key = format!("oci\n{url}\n{tag}\n{}", media_type.unwrap_or_default());
        let _guard = self.cache.lock(&key).await;
        let cached = self.cache.read_ref(&key);
        if let Some(hit) = cached.clone()
            && (immutable || self.offline)
        {
            return Ok(self.fetched(hit, url));
        }
        if self.offline {
            return Err(self.offline_error(req, &url, tag));
        }
        let reference = location.reference(tag);
        let client = location.client();
        let (manifest, manifest_digest) = client
            .pull_image_manifest(&reference, &RegistryAuth::Anonymous)
            .await
            .map_err(|e| HelmError::fetch(&req.hr, &format!("{url}:{tag}"), e))?;
        let layer = match media_type {
            Some(wanted) => manifest.layers.iter().find(|l| l.media_type == wanted),
            None if req.chart_ref => manifest.layers.first(),
            None => manifest
                .layers
                .iter()
                .find(|l| l.media_type == HELM_CHART_LAYER || l.media_type == HELM_LEGACY_LAYER),
        }
        .ok_or_else(|| {
            HelmError::fetch(
                &req.hr,
                &format!("{url}:{tag}"),
                format!(
                    "no layer with media type '{}'",
                    media_type.unwrap_or(HELM_CHART_LAYER)
                ),
            )
        })?;
        let layer_hex = layer.digest.trim_start_matches("sha256:").to_string();
        if !self.cache.chart_path(&layer_hex).is_file() {
            let mut data: Vec<u8> = Vec::new();
            client
                .pull_blob(&reference, layer, &mut data)
                .await
                .map_err(|e| HelmError::fetch(&req.hr, &format!("{url}@{}", layer.digest), e))?;
            let digest = self
                .cache
                .store_chart(&data)
                .map_err(|e| HelmError::io(&req.hr, self.cache.root(), e))?;
            if digest != layer_hex {
                return Err(HelmError::fetch(
                    &req.hr,
                    &url,
                    format!("layer digest mismatch: {} vs sha256:{digest}", layer.digest),
                ));
            }
        }
        let entry = RefEntry {
            digest: layer_hex,
            version: if tag.starts_with("sha256:") {
                String::new()
            } else {
                tag.replace('_', "+")
            },
            revision: Some(manifest_digest),
        };
        self.cache
            .write_ref(&key, &entry)
            .map_err(|e| HelmError::io(&req.hr, self.cache.root(), e))?;
        Ok(self.fetched(entry, url))
    }
}
