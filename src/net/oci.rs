//! Anonymous pulls from OCI registries (OCI distribution spec): tag lists, manifests and blobs,
//! following `WWW-Authenticate: Bearer` challenges for an anonymous token.
//!
//! Spoken here over [`HttpClient`] rather than through the oci-client crate: that crate builds
//! its own HTTP client, so its connections, the token realm a registry names and the blob
//! redirects to storage would all bypass the address guard, and it reads bodies without limit.

use super::{HttpClient, NetError, limits};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;

const MANIFEST_TYPES: &str = "application/vnd.oci.image.manifest.v1+json, \
     application/vnd.docker.distribution.manifest.v2+json";

/// A repository in a registry.
#[derive(Debug, Clone)]
pub struct Repo {
    /// `host[:port]`.
    pub registry: String,
    /// `path/to/chart`.
    pub repository: String,
    /// Plain HTTP (loopback registries, `insecure: true`).
    pub plain_http: bool,
}

impl Repo {
    fn v2(&self, rest: &str) -> String {
        let scheme = if self.plain_http { "http" } else { "https" };
        format!("{scheme}://{}/v2/{}/{rest}", self.registry, self.repository)
    }
}

/// The manifest fields fluxsim reads.
#[derive(Debug, Clone, Deserialize)]
pub struct Manifest {
    #[serde(default)]
    pub layers: Vec<Descriptor>,
}

/// A content descriptor (a layer).
#[derive(Debug, Clone, Deserialize)]
pub struct Descriptor {
    #[serde(rename = "mediaType", default)]
    pub media_type: String,
    pub digest: String,
    #[serde(default)]
    pub size: u64,
}

#[derive(Deserialize)]
struct TagList {
    #[serde(default)]
    tags: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct TokenResponse {
    token: Option<String>,
    access_token: Option<String>,
}

/// Pulls anonymously; keeps the tokens registries hand out, per repository.
pub struct OciClient {
    http: HttpClient,
    tokens: Mutex<HashMap<String, String>>,
}

impl OciClient {
    pub fn new(http: HttpClient) -> Self {
        OciClient {
            http,
            tokens: Mutex::new(HashMap::new()),
        }
    }

    /// Every tag of the repository (the first page a registry returns).
    pub async fn tags(&self, repo: &Repo) -> Result<Vec<String>, NetError> {
        let url = repo.v2("tags/list");
        let body = self
            .get(repo, &url, "tag list", limits::TAGS_BYTES, None)
            .await?;
        let list: TagList = json(&url, &body)?;
        Ok(list.tags.unwrap_or_default())
    }

    /// The image manifest of a tag or digest, and its digest.
    pub async fn manifest(
        &self,
        repo: &Repo,
        reference: &str,
    ) -> Result<(Manifest, String), NetError> {
        let url = repo.v2(&format!("manifests/{reference}"));
        let body = self
            .get(
                repo,
                &url,
                "manifest",
                limits::MANIFEST_BYTES,
                Some(MANIFEST_TYPES),
            )
            .await?;
        let digest = format!("sha256:{}", hex::encode(Sha256::digest(&body)));
        if reference.starts_with("sha256:") && reference != digest {
            return Err(NetError::Invalid {
                url,
                message: format!("manifest digest is {digest}"),
            });
        }
        Ok((json(&url, &body)?, digest))
    }

    /// A blob, refused before download when its descriptor says it is over `limit`.
    pub async fn blob(
        &self,
        repo: &Repo,
        layer: &Descriptor,
        what: &str,
        limit: u64,
    ) -> Result<Vec<u8>, NetError> {
        let url = repo.v2(&format!("blobs/{}", layer.digest));
        if layer.size > limit {
            return Err(NetError::TooLarge {
                what: what.to_string(),
                url,
                limit,
            });
        }
        self.get(repo, &url, what, limit, None).await
    }

    /// GET with the repository's token; on a Bearer challenge, gets a token and asks again.
    async fn get(
        &self,
        repo: &Repo,
        url: &str,
        what: &str,
        limit: u64,
        accept: Option<&str>,
    ) -> Result<Vec<u8>, NetError> {
        let key = format!("{}/{}", repo.registry, repo.repository);
        let mut token = self.lock().get(&key).cloned();
        for attempt in 0..2 {
            let auth = token.as_ref().map(|t| format!("Bearer {t}"));
            let mut headers: Vec<(&str, &str)> = Vec::new();
            if let Some(a) = accept {
                headers.push(("Accept", a));
            }
            if let Some(a) = &auth {
                headers.push(("Authorization", a));
            }
            let fetched = self.http.fetch(url, what, limit, &headers).await?;
            let challenge = fetched
                .headers
                .get("www-authenticate")
                .and_then(|v| v.to_str().ok());
            match (fetched.status, challenge) {
                (200..=299, _) => return Ok(fetched.body),
                (401, Some(challenge)) if attempt == 0 => {
                    let t = self.token(repo, url, challenge).await?;
                    self.lock().insert(key.clone(), t.clone());
                    token = Some(t);
                }
                (status, _) => {
                    return Err(NetError::Status {
                        url: url.to_string(),
                        status,
                    });
                }
            }
        }
        Err(NetError::Status {
            url: url.to_string(),
            status: 401,
        })
    }

    /// An anonymous token from the challenge's realm (fetched through the same guard).
    async fn token(&self, repo: &Repo, url: &str, challenge: &str) -> Result<String, NetError> {
        let invalid = |message: String| NetError::Invalid {
            url: url.to_string(),
            message,
        };
        let challenges = http_auth::parse_challenges(challenge)
            .map_err(|e| invalid(format!("unreadable WWW-Authenticate header: {e}")))?;
        let bearer = challenges
            .iter()
            .find(|c| c.scheme.eq_ignore_ascii_case("bearer"))
            .ok_or_else(|| invalid("the registry asks for credentials".to_string()))?;
        let param = |name: &str| {
            bearer
                .params
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.to_unescaped())
        };
        let realm =
            param("realm").ok_or_else(|| invalid("Bearer challenge without realm".into()))?;
        let mut token_url = reqwest::Url::parse(&realm)
            .map_err(|e| invalid(format!("token realm '{realm}': {e}")))?;
        {
            let mut query = token_url.query_pairs_mut();
            if let Some(service) = param("service") {
                query.append_pair("service", &service);
            }
            let scope =
                param("scope").unwrap_or_else(|| format!("repository:{}:pull", repo.repository));
            query.append_pair("scope", &scope);
        }
        let token_url = token_url.to_string();
        let body = self
            .http
            .get(&token_url, "token response", limits::TOKEN_BYTES)
            .await?;
        let response: TokenResponse = json(&token_url, &body)?;
        response
            .token
            .or(response.access_token)
            .ok_or_else(|| invalid("the token response has no token".into()))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        self.tokens.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn json<T: serde::de::DeserializeOwned>(url: &str, body: &[u8]) -> Result<T, NetError> {
    serde_json::from_slice(body).map_err(|e| NetError::Invalid {
        url: url.to_string(),
        message: format!("invalid JSON: {e}"),
    })
}
