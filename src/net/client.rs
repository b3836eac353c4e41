//! The HTTP client every fetch goes through: guarded DNS, literal-IP and redirect checks, a
//! connect timeout plus a deadline for each whole request, bodies read in chunks up to a limit.

use super::guard::{self, Refused};
use super::{NetError, NetOptions, NetworkPolicy};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::HeaderMap;
use reqwest::{Url, redirect};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// A response whose body was read in full (within its limit).
#[derive(Debug)]
pub struct Fetched {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// Share it: it keeps connections open between requests.
#[derive(Debug, Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    opts: NetOptions,
}

/// Resolves names with the system resolver and keeps only the addresses the policy allows, so a
/// name that resolves to 169.254.169.254 never gets a connection.
struct GuardedResolver {
    policy: NetworkPolicy,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy;
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let mut refused = None;
            let allowed: Vec<SocketAddr> = found
                .into_iter()
                .filter(|a| match guard::check(a.ip(), policy) {
                    Ok(()) => true,
                    Err(r) => {
                        refused.get_or_insert(r);
                        false
                    }
                })
                .collect();
            match (allowed.is_empty(), refused) {
                (true, Some(r)) => Err(Box::new(r) as Box<dyn std::error::Error + Send + Sync>),
                _ => Ok(Box::new(allowed.into_iter()) as Addrs),
            }
        })
    }
}

/// Raised inside reqwest's redirect policy; found again in the error's source chain.
#[derive(Debug, thiserror::Error)]
#[error("more than {0} redirects")]
struct TooManyRedirects(usize);

/// A redirect hop the guard refused, raised inside reqwest's redirect policy.
#[derive(Debug, thiserror::Error)]
#[error("redirected to {to}: {refused}")]
struct RefusedHop {
    to: String,
    refused: Refused,
}

/// A URL whose host is an IP literal never reaches the resolver: check it here.
fn check_literal(url: &Url, policy: NetworkPolicy) -> Result<(), Refused> {
    let host = url.host_str().unwrap_or_default();
    let ip = host.trim_start_matches('[').trim_end_matches(']');
    ip.parse::<IpAddr>()
        .map_or(Ok(()), |ip| guard::check(ip, policy))
}

impl HttpClient {
    pub fn new(opts: NetOptions) -> Result<Self, NetError> {
        let (policy, max) = (opts.policy, opts.max_redirects);
        let redirects = redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() > max {
                return attempt.error(TooManyRedirects(max));
            }
            match check_literal(attempt.url(), policy) {
                Ok(()) => attempt.follow(),
                Err(refused) => {
                    let to = attempt.url().to_string();
                    attempt.error(RefusedHop { to, refused })
                }
            }
        });
        super::tls::install_crypto_provider();
        let client = reqwest::Client::builder()
            .tls_certs_merge(super::tls::reqwest_extra_roots())
            .user_agent(concat!("fluxsim/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(opts.connect_timeout)
            .redirect(redirects)
            .dns_resolver(Arc::new(GuardedResolver { policy }))
            .no_proxy()
            .build()
            .map_err(|e| NetError::Transport {
                url: String::new(),
                message: format!("cannot set up the HTTP client: {e}"),
            })?;
        Ok(HttpClient { client, opts })
    }

    pub fn options(&self) -> &NetOptions {
        &self.opts
    }

    /// GETs `url` and reads a success body of at most `limit` bytes; `what` names it in errors.
    pub async fn get(&self, url: &str, what: &str, limit: u64) -> Result<Vec<u8>, NetError> {
        let fetched = self.fetch(url, what, limit, &[]).await?;
        if !(200..300).contains(&fetched.status) {
            return Err(NetError::Status {
                url: url.to_string(),
                status: fetched.status,
            });
        }
        Ok(fetched.body)
    }

    /// GETs `url` with extra headers; any status is returned, the body bounded by `limit`.
    pub async fn fetch(
        &self,
        url: &str,
        what: &str,
        limit: u64,
        headers: &[(&str, &str)],
    ) -> Result<Fetched, NetError> {
        if self.opts.policy == NetworkPolicy::Offline {
            return Err(NetError::Offline {
                url: url.to_string(),
            });
        }
        let parsed = Url::parse(url).map_err(|e| NetError::Invalid {
            url: url.to_string(),
            message: e.to_string(),
        })?;
        check_literal(&parsed, self.opts.policy).map_err(|refused| NetError::Refused {
            url: url.to_string(),
            refused,
        })?;
        let limit_time = self.opts.request_timeout;
        let request = self.request(parsed, what, limit, headers);
        match tokio::time::timeout(limit_time, request).await {
            Ok(result) => result.map_err(|e| self.classify(url, e)),
            Err(_) => Err(NetError::Timeout {
                url: url.to_string(),
                limit: limit_time,
            }),
        }
    }

    async fn request(
        &self,
        url: Url,
        what: &str,
        limit: u64,
        headers: &[(&str, &str)],
    ) -> Result<Fetched, Failure> {
        let shown = url.to_string();
        let mut builder = self.client.get(url);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let mut response = builder.send().await.map_err(Failure::Http)?;
        let too_large = || {
            Failure::Net(NetError::TooLarge {
                what: what.to_string(),
                url: shown.clone(),
                limit,
            })
        };
        if response.content_length().is_some_and(|n| n > limit) {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(Failure::Http)? {
            if (body.len() + chunk.len()) as u64 > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Fetched {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body,
        })
    }

    /// Finds what went wrong in reqwest's error chain: our own refusals come back from the
    /// resolver and the redirect policy wrapped in it.
    fn classify(&self, url: &str, failure: Failure) -> NetError {
        let e = match failure {
            Failure::Net(e) => return e,
            Failure::Http(e) => e,
        };
        let url = e.url().map_or(url.to_string(), Url::to_string);
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
        while let Some(err) = source {
            if let Some(hop) = err.downcast_ref::<RefusedHop>() {
                return NetError::Refused {
                    url: format!("{url} (redirected to {})", hop.to),
                    refused: hop.refused.clone(),
                };
            }
            if let Some(refused) = err.downcast_ref::<Refused>() {
                return NetError::Refused {
                    url,
                    refused: refused.clone(),
                };
            }
            if let Some(TooManyRedirects(max)) = err.downcast_ref::<TooManyRedirects>() {
                return NetError::Redirects { url, max: *max };
            }
            source = err.source();
        }
        if e.is_timeout() {
            return NetError::Timeout {
                url,
                limit: self.opts.connect_timeout,
            };
        }
        NetError::Transport {
            url,
            message: chain(&e),
        }
    }
}

enum Failure {
    Http(reqwest::Error),
    Net(NetError),
}

/// An error and its causes on one line, each said once.
fn chain(e: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = vec![e.to_string()];
    let mut source = e.source();
    while let Some(err) = source {
        let text = err.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = err.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("error sending request")]
    struct Outer(#[source] Inner);
    #[derive(Debug, thiserror::Error)]
    #[error("invalid peer certificate: UnknownIssuer")]
    struct Inner;

    /// reqwest's own message leaves out why (a refused connection, an unknown issuer).
    #[test]
    fn a_transport_failure_names_every_cause() {
        assert_eq!(
            chain(&Outer(Inner)),
            "error sending request: invalid peer certificate: UnknownIssuer"
        );
    }

    #[tokio::test]
    async fn literal_addresses_are_checked_before_connecting() {
        let client = HttpClient::new(NetOptions::default()).unwrap();
        let err = client
            .get("http://169.254.169.254/latest/meta-data/", "metadata", 10)
            .await
            .unwrap_err();
        assert!(matches!(err, NetError::Refused { .. }), "{err}");
        let public = NetOptions::new(NetworkPolicy::PublicOnly, None);
        let client = HttpClient::new(public).unwrap();
        let err = client.get("http://[::1]:9/x", "x", 10).await.unwrap_err();
        assert!(
            err.to_string().contains("refusing ::1 (loopback address)"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn names_resolving_to_refused_addresses_are_refused() {
        let public = NetOptions::new(NetworkPolicy::PublicOnly, None);
        let client = HttpClient::new(public).unwrap();
        let err = client
            .get("http://localhost:9/index.yaml", "index.yaml", 10)
            .await
            .unwrap_err();
        assert!(matches!(err, NetError::Refused { .. }), "{err}");
        assert!(
            err.to_string().contains("under --network public-only"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn offline_makes_no_request() {
        let client = HttpClient::new(NetOptions::new(NetworkPolicy::Offline, None)).unwrap();
        let err = client
            .get("https://example.com/", "x", 10)
            .await
            .unwrap_err();
        assert!(matches!(err, NetError::Offline { .. }), "{err}");
    }
}
