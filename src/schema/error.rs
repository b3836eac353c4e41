//! Why a schema could not be loaded, learned or compiled.

use std::path::PathBuf;

/// The error a fetch callback returns (any error; it is kept as the cause).
pub type FetchError = Box<dyn std::error::Error + Send + Sync>;

/// An error of the schema module. Each variant names the version, object, file or URL at fault.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// The Kubernetes version is not `X.Y.Z` (an optional leading `v`) or `master`.
    #[error("invalid Kubernetes version {version:?}: expected X.Y.Z or master")]
    BadKubeVersion { version: String },
    /// fluxsim ships the built-in schemas of one version only.
    #[error(
        "no built-in schemas for Kubernetes {requested} (fluxsim ships {shipped}); give a schema location for it"
    )]
    UnsupportedKubeVersion {
        requested: String,
        shipped: &'static str,
    },
    /// The schemas compiled into fluxsim do not decode (a broken build).
    #[error("the built-in Kubernetes schemas are damaged: {reason}")]
    BuiltinData { reason: String },
    /// `learn_crd` was given something that is not an `apiextensions.k8s.io/v1` CRD.
    #[error(
        "{name}: not an apiextensions.k8s.io/v1 CustomResourceDefinition ({api_version} {kind})"
    )]
    NotACrd {
        name: String,
        api_version: String,
        kind: String,
    },
    /// A CRD lacks a field that learning needs.
    #[error("CustomResourceDefinition {name}: {reason}")]
    BadCrd { name: String, reason: String },
    /// A `--schema-location` value is not a template fluxsim understands.
    #[error("schema location {location:?}: {reason}")]
    BadLocation { location: String, reason: String },
    /// A schema file exists but cannot be read.
    #[error("cannot read schema file {}", path.display())]
    ReadSchema {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A schema file or download is not JSON.
    #[error("schema {origin} is not valid JSON")]
    ParseSchema {
        origin: String,
        #[source]
        source: serde_json::Error,
    },
    /// The fetch callback failed for a URL (a 404 is not a failure: it returns `Ok(None)`).
    #[error("cannot fetch schema {url}")]
    Fetch {
        url: String,
        #[source]
        source: FetchError,
    },
    /// A URL location was configured but the catalog was given no fetch callback.
    #[error("schema location {url} is a URL, but no fetcher was configured")]
    NoFetcher { url: String },
    /// The on-disk download cache cannot be opened or written.
    #[error("schema download cache {}", dir.display())]
    Cache {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A schema was found but is not a usable JSON Schema.
    #[error("schema {origin} for {api_version} {kind} does not compile: {reason}")]
    Compile {
        api_version: String,
        kind: String,
        origin: String,
        reason: String,
    },
}
