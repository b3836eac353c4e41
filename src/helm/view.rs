//! The engine's read-only view of the cluster, and small accessors for untyped Kubernetes objects.

use serde_json::Value;
use std::path::PathBuf;

/// What the engine provides: rendered objects by identity, and local folders for mapped Git/OCI sources.
pub trait ClusterView: Send + Sync {
    /// A rendered object, e.g. kind `HelmRepository`, `OCIRepository`, `GitRepository`, `HelmChart`,
    /// `ConfigMap`, `Secret`.
    fn get(&self, kind: &str, namespace: &str, name: &str) -> Option<Value>;
    /// The local folder that stands in for a GitRepository/OCIRepository artifact, if mapped.
    fn source_dir(&self, kind: &str, namespace: &str, name: &str) -> Option<PathBuf>;
}

/// The string at a JSON pointer (e.g. `/spec/chart/spec/chart`), if present and a string.
pub(crate) fn str_at<'a>(obj: &'a Value, pointer: &str) -> Option<&'a str> {
    obj.pointer(pointer).and_then(Value::as_str)
}

/// Like [`str_at`], treating an empty string as absent (as Go's zero value is).
pub(crate) fn nonempty_at<'a>(obj: &'a Value, pointer: &str) -> Option<&'a str> {
    str_at(obj, pointer).filter(|s| !s.is_empty())
}

/// A boolean at a JSON pointer; absent or non-boolean is false.
pub(crate) fn bool_at(obj: &Value, pointer: &str) -> bool {
    obj.pointer(pointer)
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

/// `metadata.namespace`, defaulting to `default` as the API server does.
pub(crate) fn namespace_of(obj: &Value) -> String {
    nonempty_at(obj, "/metadata/namespace")
        .unwrap_or("default")
        .to_string()
}

/// `metadata.name` (empty if missing).
pub(crate) fn name_of(obj: &Value) -> String {
    str_at(obj, "/metadata/name")
        .unwrap_or_default()
        .to_string()
}

/// `namespace/name` of an object, used in every error message.
pub(crate) fn object_id(obj: &Value) -> String {
    format!("{}/{}", namespace_of(obj), name_of(obj))
}
