//! TLS for every connection [`super::HttpClient`] makes: which crypto provider rustls uses and
//! which roots it trusts.
//!
//! Provider: `ring`. reqwest's own default, aws-lc-rs, needs cmake and a C toolchain per target
//! (aws-lc-sys), which makes static and cross builds slow and fragile; ring builds with `cc` only.
//! reqwest is built with its `rustls-no-provider` feature and takes the process's
//! default provider (reqwest `async_impl/client.rs`: `CryptoProvider::get_default()`), so it is
//! installed before any client is built.
//!
//! Roots: the system's, through rustls-platform-verifier as reqwest does by default
//! (`SSL_CERT_FILE`/`SSL_CERT_DIR`, `/etc/ssl/certs`, the macOS keychain). Only when the system
//! has none (a static binary in a scratch container) are Mozilla's roots (webpki-root-certs)
//! added, so HTTPS chart repositories still work there without widening trust elsewhere.

use rustls::pki_types::CertificateDer;
use std::sync::{Once, OnceLock};

/// Installs ring as the process's rustls provider, once. A provider installed earlier (by a
/// program embedding the library) is kept.
pub(crate) fn install_crypto_provider() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // Err only means another provider is already the default: that one is used.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// The roots to add to the system's: Mozilla's when the system has none, else none. Looked up
/// once per process (reading the system store costs milliseconds).
pub(crate) fn extra_roots() -> &'static [CertificateDer<'static>] {
    static ROOTS: OnceLock<Vec<CertificateDer<'static>>> = OnceLock::new();
    ROOTS.get_or_init(|| {
        let system = rustls_native_certs::load_native_certs().certs.len();
        roots_to_add(system)
    })
}

/// Pure choice behind [`extra_roots`], given how many certificates the system store holds.
fn roots_to_add(system_certs: usize) -> Vec<CertificateDer<'static>> {
    if system_certs > 0 {
        Vec::new()
    } else {
        webpki_root_certs::TLS_SERVER_ROOT_CERTS.to_vec()
    }
}

/// [`extra_roots`] as reqwest certificates.
pub(crate) fn reqwest_extra_roots() -> Vec<reqwest::Certificate> {
    extra_roots()
        .iter()
        .filter_map(|c| reqwest::Certificate::from_der(c).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_roots_alone_when_the_system_has_some() {
        assert!(roots_to_add(140).is_empty());
    }

    #[test]
    fn mozilla_roots_when_the_system_has_none() {
        let roots = roots_to_add(0);
        assert!(roots.len() > 100, "{} roots", roots.len());
        assert_eq!(roots.len(), reqwest_roots_parsed(&roots));
    }

    fn reqwest_roots_parsed(roots: &[CertificateDer<'static>]) -> usize {
        roots
            .iter()
            .filter(|c| reqwest::Certificate::from_der(c).is_ok())
            .count()
    }

    #[test]
    fn a_client_builds_with_the_ring_provider() {
        install_crypto_provider();
        assert!(rustls::crypto::CryptoProvider::get_default().is_some());
        let client = reqwest::Client::builder()
            .tls_certs_merge(reqwest_extra_roots())
            .build();
        assert!(client.is_ok(), "{:?}", client.err());
    }
}
