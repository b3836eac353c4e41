//! The Kubernetes schemas shipped inside fluxsim (one version), and Kubernetes version names.
//!
//! The data (`data/kubernetes-<version>.json.gz`, made by `scripts/gen-kube-schemas.py`, see
//! `data/README.md`) is one JSON document: an index `"apiVersion/Kind"` → definition name, and
//! every definition of that version's OpenAPI, converted to JSON Schema by kubernetes-validate in
//! kubeconform's strict style. It is decoded once per process, on first use, and registered under
//! [`DEFINITIONS_URI`]; a kind's schema is then just a `$ref` into it, so the definitions are
//! shared instead of copied into a standalone file per kind.

use std::collections::HashMap;
use std::io::Read;
use std::sync::OnceLock;

use serde::Deserialize;
use serde_json::{Value, json};

use super::error::SchemaError;

/// The Kubernetes version whose schemas fluxsim ships, the newest kubernetes-validate has.
pub const DEFAULT_KUBE_VERSION: &str = "1.37.0";

const DATA: &[u8] = include_bytes!("data/kubernetes-1.37.0.json.gz");

/// Where the shipped definitions live for `$ref`s. The `.invalid` top-level domain can never
/// resolve, so nothing is ever fetched for it: the registry holds the document.
pub(crate) const DEFINITIONS_URI: &str =
    "https://fluxsim.invalid/kubernetes-v1.37.0/definitions.json";

/// The definition of `metadata` in every object, learned CRDs' included.
pub(crate) const OBJECT_META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

/// A Kubernetes version as schema templates use it: `1.37.0`, `v1.37.0`, `1.37` or `master`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubeVersion {
    /// Without the `v`: `1.37.0`, or `master`.
    text: String,
}

impl KubeVersion {
    /// Parses a version; a leading `v` is optional.
    pub fn parse(text: &str) -> Result<KubeVersion, SchemaError> {
        let bare = text.strip_prefix('v').unwrap_or(text);
        let parts: Vec<&str> = bare.split('.').collect();
        let numeric = (2..=3).contains(&parts.len())
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
        if bare == "master" || numeric {
            Ok(KubeVersion {
                text: bare.to_string(),
            })
        } else {
            Err(SchemaError::BadKubeVersion {
                version: text.to_string(),
            })
        }
    }

    /// kubeconform's `NormalizedKubernetesVersion`: `v1.37.0`, or `master` as it is.
    pub fn normalized(&self) -> String {
        if self.text == "master" {
            self.text.clone()
        } else {
            format!("v{}", self.text)
        }
    }

    /// Whether the shipped schemas serve this version: same major and minor (kubernetes-validate
    /// itself ships only `.0` schemas, as patch releases do not change the API).
    pub fn is_shipped(&self) -> bool {
        fn minor(text: &str) -> Option<(&str, &str)> {
            let mut parts = text.split('.');
            Some((parts.next()?, parts.next()?))
        }
        minor(&self.text).is_some() && minor(&self.text) == minor(DEFAULT_KUBE_VERSION)
    }
}

impl std::fmt::Display for KubeVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// The decoded shipped data, shared by every catalog of the process.
pub(crate) struct Builtin {
    /// `"apps/v1/Deployment"` → `"io.k8s.api.apps.v1.Deployment"`.
    kinds: HashMap<String, String>,
    /// Holds the definitions document under [`DEFINITIONS_URI`].
    pub(crate) registry: jsonschema::Registry<'static>,
}

#[derive(Deserialize)]
struct Data {
    kinds: HashMap<String, String>,
    definitions: serde_json::Map<String, Value>,
}

impl Builtin {
    /// The shipped data, decoded on first use.
    pub(crate) fn get() -> Result<&'static Builtin, SchemaError> {
        static BUILTIN: OnceLock<Result<Builtin, String>> = OnceLock::new();
        BUILTIN
            .get_or_init(Builtin::decode)
            .as_ref()
            .map_err(|reason| SchemaError::BuiltinData {
                reason: reason.clone(),
            })
    }

    fn decode() -> Result<Builtin, String> {
        let mut text = Vec::new();
        flate2::read::GzDecoder::new(DATA)
            .read_to_end(&mut text)
            .map_err(|e| e.to_string())?;
        let data: Data = serde_json::from_slice(&text).map_err(|e| e.to_string())?;
        let document = json!({ "$defs": data.definitions });
        let registry = jsonschema::Registry::new()
            .draft(jsonschema::Draft::Draft202012)
            .add(DEFINITIONS_URI, document)
            .and_then(|builder| builder.prepare())
            .map_err(|e| e.to_string())?;
        Ok(Builtin {
            kinds: data.kinds,
            registry,
        })
    }

    /// The schema of a built-in kind (a `$ref` into the definitions), if there is one.
    pub(crate) fn schema_for(&self, api_version: &str, kind: &str) -> Option<Value> {
        let name = self.kinds.get(&format!("{api_version}/{kind}"))?;
        Some(definition_ref(name))
    }
}

/// A schema that is the named shipped definition.
pub(crate) fn definition_ref(name: &str) -> Value {
    json!({ "$ref": format!("{DEFINITIONS_URI}#/$defs/{name}") })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_with_or_without_v() {
        assert_eq!(
            KubeVersion::parse("1.37.0").unwrap().normalized(),
            "v1.37.0"
        );
        assert_eq!(
            KubeVersion::parse("v1.30.2").unwrap().normalized(),
            "v1.30.2"
        );
        assert_eq!(KubeVersion::parse("master").unwrap().normalized(), "master");
        for bad in ["", "1", "latest", "1.x.0", "1..0", "1.2.3.4"] {
            assert!(KubeVersion::parse(bad).is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn shipped_version_matches_by_minor() {
        assert!(
            KubeVersion::parse(DEFAULT_KUBE_VERSION)
                .unwrap()
                .is_shipped()
        );
        assert!(KubeVersion::parse("v1.37.4").unwrap().is_shipped());
        assert!(KubeVersion::parse("1.37").unwrap().is_shipped());
        assert!(!KubeVersion::parse("1.36.0").unwrap().is_shipped());
        assert!(!KubeVersion::parse("master").unwrap().is_shipped());
    }

    #[test]
    fn shipped_data_decodes_and_indexes_kinds() {
        let builtin = Builtin::get().expect("shipped data decodes");
        assert!(builtin.schema_for("apps/v1", "Deployment").is_some());
        assert!(builtin.schema_for("v1", "ConfigMap").is_some());
        assert!(builtin.schema_for("v1", "Deployment").is_none());
        assert!(builtin.schema_for("example.com/v1", "Widget").is_none());
    }
}
