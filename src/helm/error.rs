//! Errors of the Helm rendering pipeline; every message names the HelmRelease it concerns.

use std::path::PathBuf;

/// A failure while rendering one HelmRelease. `hr` is always `namespace/name` of the HelmRelease.
#[derive(Debug, thiserror::Error)]
pub enum HelmError {
    #[error("HelmRelease '{hr}': invalid Chart reference: {reason}")]
    InvalidChartRef { hr: String, reason: String },
    #[error("HelmRelease '{hr}': {kind} '{namespace}/{name}' not found")]
    SourceNotFound {
        hr: String,
        kind: String,
        namespace: String,
        name: String,
    },
    #[error("HelmRelease '{hr}': {kind} '{namespace}/{name}' is not mapped to a local folder")]
    SourceNotMapped {
        hr: String,
        kind: String,
        namespace: String,
        name: String,
    },
    #[error("HelmRelease '{hr}': chart not available offline: {url} {version}")]
    Offline {
        hr: String,
        url: String,
        version: String,
    },
    #[error(
        "HelmRelease '{hr}': no version of chart '{chart}' in {url} matches '{constraint}' (available: {available})"
    )]
    NoMatchingVersion {
        hr: String,
        chart: String,
        url: String,
        constraint: String,
        available: String,
    },
    #[error("HelmRelease '{hr}': invalid version constraint '{constraint}': {reason}")]
    BadConstraint {
        hr: String,
        constraint: String,
        reason: String,
    },
    #[error(
        "HelmRelease '{hr}': could not resolve {kind} chart values reference '{object}' with key '{key}': {reason}"
    )]
    ValuesReference {
        hr: String,
        kind: String,
        /// `namespace/name` of the ConfigMap or Secret.
        object: String,
        key: String,
        reason: String,
    },
    #[error("HelmRelease '{hr}': invalid values: {reason}")]
    Values { hr: String, reason: String },
    #[error("HelmRelease '{hr}': fetching {url}: {reason}")]
    Fetch {
        hr: String,
        url: String,
        reason: String,
    },
    /// A request refused, timed out, too large, … (the message names the URL).
    #[error("HelmRelease '{hr}': {source}")]
    Network {
        hr: String,
        source: crate::net::NetError,
    },
    #[error("HelmRelease '{hr}': chart {chart}: {reason}")]
    Chart {
        hr: String,
        chart: String,
        reason: String,
    },
    #[error("HelmRelease '{hr}': helm template failed: {stderr}")]
    Template { hr: String, stderr: String },
    #[error("HelmRelease '{hr}': post-renderer failed: {reason}")]
    PostRender { hr: String, reason: String },
    #[error("HelmRelease '{hr}': {source}")]
    Process {
        hr: String,
        #[source]
        source: crate::process::ProcessError,
    },
    #[error("HelmRelease '{hr}': {path}: {source}")]
    Io {
        hr: String,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("helm renderer setup: {0}")]
    Setup(String),
}

impl HelmError {
    /// `namespace/name` of the HelmRelease the error concerns (None for renderer setup).
    pub fn release(&self) -> Option<&str> {
        use HelmError::*;
        match self {
            InvalidChartRef { hr, .. }
            | SourceNotFound { hr, .. }
            | SourceNotMapped { hr, .. }
            | Offline { hr, .. }
            | NoMatchingVersion { hr, .. }
            | BadConstraint { hr, .. }
            | ValuesReference { hr, .. }
            | Values { hr, .. }
            | Fetch { hr, .. }
            | Network { hr, .. }
            | Chart { hr, .. }
            | Template { hr, .. }
            | PostRender { hr, .. }
            | Process { hr, .. }
            | Io { hr, .. } => Some(hr),
            Setup(_) => None,
        }
    }

    /// The message without its leading `HelmRelease 'ns/name': `, for reports that print the
    /// owner beside it.
    pub fn detail(&self) -> String {
        let text = self.to_string();
        let prefix = self.release().map(|hr| format!("HelmRelease '{hr}': "));
        match prefix.as_deref().and_then(|p| text.strip_prefix(p)) {
            Some(rest) => rest.to_string(),
            None => text,
        }
    }

    /// Shorthand for an I/O failure on a path.
    pub(crate) fn io(hr: &str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        HelmError::Io {
            hr: hr.to_string(),
            path: path.into(),
            source,
        }
    }

    /// Shorthand for a problem with a chart's contents.
    pub(crate) fn chart(hr: &str, chart: &str, reason: impl Into<String>) -> Self {
        HelmError::Chart {
            hr: hr.to_string(),
            chart: chart.to_string(),
            reason: reason.into(),
        }
    }

    /// Shorthand for a failed request.
    pub(crate) fn network(hr: &str, source: crate::net::NetError) -> Self {
        HelmError::Network {
            hr: hr.to_string(),
            source,
        }
    }

    /// Shorthand for a network failure.
    pub(crate) fn fetch(hr: &str, url: &str, reason: impl std::fmt::Display) -> Self {
        HelmError::Fetch {
            hr: hr.to_string(),
            url: url.to_string(),
            reason: reason.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detail_drops_the_release_prefix() {
        let e = HelmError::Template {
            hr: "apps/web".into(),
            stderr: "Error: boom".into(),
        };
        assert_eq!(
            e.to_string(),
            "HelmRelease 'apps/web': helm template failed: Error: boom"
        );
        assert_eq!(e.detail(), "helm template failed: Error: boom");
        let setup = HelmError::Setup("no cache".into());
        assert_eq!(setup.detail(), "helm renderer setup: no cache");
    }
}
