//! Remote kustomize resources (`resources: [https://…, github.com/org/repo//path?ref=…]`) are
//! fetched by kustomize itself, out of reach of [`super::HttpClient`]. Before kustomize runs,
//! the hosts they name are checked here against the policy: under `offline` none is allowed,
//! otherwise each host is resolved and its addresses go through the same [`guard`].
//!
//! What this cannot see: where kustomize's (or git's) own DNS lookup lands a moment later, the
//! redirects it follows, and the remote bases those remote bases name in turn.

use super::NetworkPolicy;
use super::guard::{self, Refused};
use std::net::IpAddr;

/// A remote resource the policy does not allow.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RemoteRefused {
    #[error("{at} is fetched by kustomize: no network under --network offline")]
    Offline { at: String, entry: String },
    #[error("{at} is fetched by kustomize from {host}: {refused}")]
    Refused {
        at: String,
        entry: String,
        host: String,
        refused: Refused,
    },
}

/// The host a kustomize remote target names: `https://host/…`, `ssh://git@host/…`,
/// `git::https://host/…`, `git@host:org/repo`, `host/org/repo//path?ref=…`.
pub fn remote_host(entry: &str) -> Option<String> {
    let rest = entry.strip_prefix("git::").unwrap_or(entry);
    let rest = match rest.split_once("://") {
        Some((_, after)) => after,
        None => rest,
    };
    // user@ (git@github.com:org/repo).
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split_once(']').map(|(h, _)| h)?
    } else {
        // host:port, or scp-like host:org/repo.
        authority.split(':').next()?
    };
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// Checks one remote entry (`at` says where it is written, for the message).
pub async fn check(at: &str, entry: &str, policy: NetworkPolicy) -> Result<(), RemoteRefused> {
    if policy == NetworkPolicy::Offline {
        return Err(RemoteRefused::Offline {
            at: at.to_string(),
            entry: entry.to_string(),
        });
    }
    let Some(host) = remote_host(entry) else {
        return Ok(());
    };
    let refused = |refused| RemoteRefused::Refused {
        at: at.to_string(),
        entry: entry.to_string(),
        host: host.clone(),
        refused,
    };
    let addrs: Vec<IpAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![ip],
        // A name that does not resolve here fails in kustomize with its own message.
        Err(_) => match tokio::net::lookup_host((host.as_str(), 0)).await {
            Ok(found) => found.map(|a| a.ip()).collect(),
            Err(_) => Vec::new(),
        },
    };
    // kustomize may connect to any of them: every one must be allowed.
    for addr in addrs {
        guard::check(addr, policy).map_err(refused)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_of_kustomize_remote_targets() {
        for (entry, host) in [
            ("https://github.com/org/repo//deploy?ref=v1", "github.com"),
            ("github.com/org/repo/deploy?ref=v1", "github.com"),
            ("git@github.com:org/repo.git", "github.com"),
            ("ssh://git@gitlab.com:22/org/repo.git", "gitlab.com"),
            ("git::https://10.0.0.5/org/repo", "10.0.0.5"),
            (
                "https://169.254.169.254/latest/meta-data/x.yaml",
                "169.254.169.254",
            ),
            ("http://[fd00:ec2::254]/x.yaml", "fd00:ec2::254"),
            ("https://Example.COM:8443/x.yaml", "example.com"),
        ] {
            assert_eq!(remote_host(entry).as_deref(), Some(host), "{entry}");
        }
    }

    #[tokio::test]
    async fn policies() {
        let at = "resources entry in apps/kustomization.yaml";
        let metadata = "https://169.254.169.254/latest/x.yaml";
        let err = check(at, metadata, NetworkPolicy::Any).await.unwrap_err();
        assert!(err.to_string().contains("never allowed"), "{err}");
        let private = "https://10.0.0.5/org/repo//x?ref=main";
        assert!(check(at, private, NetworkPolicy::Any).await.is_ok());
        let err = check(at, private, NetworkPolicy::PublicOnly)
            .await
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("refusing 10.0.0.5 (private address) under --network public-only"),
            "{err}"
        );
        let local = "http://localhost:8080/x.yaml";
        assert!(check(at, local, NetworkPolicy::PublicOnly).await.is_err());
        let err = check(at, "github.com/org/repo", NetworkPolicy::Offline)
            .await
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("no network under --network offline"),
            "{err}"
        );
    }
}
