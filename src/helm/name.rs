//! Release name and namespaces of a HelmRelease (helm-controller `api/v2` and `internal/release/name.go`).

use super::view::{name_of, namespace_of, nonempty_at};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Helm's limit for release names.
const MAX_RELEASE_NAME: usize = 53;

/// `spec.releaseName`, else `[targetNamespace-]name`, shortened to 53 characters when longer.
pub fn release_name(hr: &Value) -> String {
    let name = match nonempty_at(hr, "/spec/releaseName") {
        Some(n) => n.to_string(),
        None => match nonempty_at(hr, "/spec/targetNamespace") {
            Some(t) => format!("{t}-{}", name_of(hr)),
            None => name_of(hr),
        },
    };
    shorten_name(&name)
}

/// `ShortenName`: names over 53 characters become `name[:40]-sha256hex[:12]`.
pub fn shorten_name(name: &str) -> String {
    if name.len() <= MAX_RELEASE_NAME {
        return name.to_string();
    }
    let hash = hex::encode(Sha256::digest(name.as_bytes()));
    // Kubernetes names are ASCII; a byte cut could split a multi-byte char only on invalid input.
    let prefix: String = name.chars().take(40).collect();
    format!("{prefix}-{}", &hash[..12])
}

/// `.Release.Namespace`: `spec.targetNamespace`, else the HelmRelease's namespace.
pub fn release_namespace(hr: &Value) -> String {
    nonempty_at(hr, "/spec/targetNamespace")
        .map(str::to_string)
        .unwrap_or_else(|| namespace_of(hr))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn long_names_are_shortened_like_flux() {
        assert_eq!(
            shorten_name("release-name-with-very-long-name-which-is-longer-than-53-characters"),
            "release-name-with-very-long-name-which-i-788ca0d0d7b0"
        );
        assert_eq!(shorten_name("short"), "short");
    }

    #[test]
    fn target_namespace_prefixes_the_name() {
        let hr =
            json!({"metadata":{"name":"app","namespace":"flux"},"spec":{"targetNamespace":"prod"}});
        assert_eq!(release_name(&hr), "prod-app");
        assert_eq!(release_namespace(&hr), "prod");
        let hr = json!({"metadata":{"name":"app","namespace":"flux"},"spec":{"targetNamespace":"prod","releaseName":"x"}});
        assert_eq!(release_name(&hr), "x");
        let hr = json!({"metadata":{"name":"app","namespace":"flux"},"spec":{}});
        assert_eq!(release_name(&hr), "app");
        assert_eq!(release_namespace(&hr), "flux");
    }
}
