//! Every network access fluxsim makes (chart repositories, OCI registries), under one policy:
//! timeouts, bounded bodies, bounded redirects, and an address guard that is enforced on the
//! addresses a connection actually goes to.
//!
//! A pull request is untrusted input: its HelmRepository URLs may point at a cloud metadata
//! service, a private network, a server that never answers or one that streams forever.
//! [`HttpClient`] is the only way to the network: its DNS resolver drops refused addresses
//! ([`guard`]), literal IP hosts are checked before each request and at each redirect hop, and
//! bodies are read in chunks up to a limit. [`oci`] speaks the OCI distribution protocol over it.
//!
//! Proxies from the environment (`HTTPS_PROXY`, …) are not used: behind a proxy the guard would
//! only ever see the proxy's address.

mod client;
mod error;
pub mod guard;
pub mod oci;
pub mod remote;
pub(crate) mod tls;

pub use client::HttpClient;
pub use error::NetError;

use std::time::Duration;

/// Which addresses fluxsim may connect to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum NetworkPolicy {
    /// Every address except link-local and cloud metadata ones.
    #[default]
    Any,
    /// Only globally routable addresses: no loopback, private, CGNAT or other special ranges
    /// (for pull requests from forks).
    PublicOnly,
    /// No network at all; charts only from the cache.
    Offline,
}

impl NetworkPolicy {
    /// The flag value, for messages.
    pub fn flag(self) -> &'static str {
        match self {
            NetworkPolicy::Any => "any",
            NetworkPolicy::PublicOnly => "public-only",
            NetworkPolicy::Offline => "offline",
        }
    }
}

/// Largest bodies read, by what they are.
pub mod limits {
    /// A Helm repository's `index.yaml` (large public indexes are tens of MiB).
    pub const INDEX_BYTES: u64 = 64 << 20;
    /// A chart archive: Helm refuses charts that unpack to more than 100 MiB
    /// (`MaxDecompressedChartSize`), so a bigger archive can never render.
    pub const CHART_BYTES: u64 = 100 << 20;
    /// An OCI manifest (registries cap these at 4 MiB).
    pub const MANIFEST_BYTES: u64 = 4 << 20;
    /// An OCI tag list.
    pub const TAGS_BYTES: u64 = 16 << 20;
    /// A registry token response.
    pub const TOKEN_BYTES: u64 = 1 << 20;
}

/// How HTTP requests are made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetOptions {
    pub policy: NetworkPolicy,
    /// Time to open a connection (DNS, TCP, TLS).
    pub connect_timeout: Duration,
    /// Time for a whole request, body included.
    pub request_timeout: Duration,
    /// Redirects followed per request.
    pub max_redirects: usize,
}

impl Default for NetOptions {
    fn default() -> Self {
        NetOptions {
            policy: NetworkPolicy::Any,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_redirects: 10,
        }
    }
}

impl NetOptions {
    /// The defaults with a policy and, when given, another per-request timeout (which also
    /// caps the connect timeout).
    pub fn new(policy: NetworkPolicy, request_timeout: Option<Duration>) -> Self {
        let mut opts = NetOptions {
            policy,
            ..NetOptions::default()
        };
        if let Some(t) = request_timeout {
            opts.request_timeout = t;
            opts.connect_timeout = opts.connect_timeout.min(t);
        }
        opts
    }
}
