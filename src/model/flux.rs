//! Typed views of the Flux objects fluxsim reconciles.
//!
//! Decoding is non-strict, as the controllers' is: unknown fields are ignored, missing ones take
//! Flux's defaults. Only the fields that change what gets built are modelled; the full object is
//! always kept beside the view for reports.

pub use super::identity::NamespacedName;
use crate::object;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub const KUSTOMIZE_GROUP: &str = "kustomize.toolkit.fluxcd.io";
pub const HELM_GROUP: &str = "helm.toolkit.fluxcd.io";
pub const SOURCE_GROUP: &str = "source.toolkit.fluxcd.io";

/// Labels the kustomize-controller puts on everything it applies.
pub const KS_NAME_LABEL: &str = "kustomize.toolkit.fluxcd.io/name";
pub const KS_NAMESPACE_LABEL: &str = "kustomize.toolkit.fluxcd.io/namespace";

pub fn is_kustomization(obj: &Value) -> bool {
    object::group_of(object::api_version(obj)) == KUSTOMIZE_GROUP
        && object::kind(obj) == "Kustomization"
}

pub fn is_helmrelease(obj: &Value) -> bool {
    object::group_of(object::api_version(obj)) == HELM_GROUP && object::kind(obj) == "HelmRelease"
}

/// A source object kind a Kustomization can reference (`spec.sourceRef.kind`).
pub fn is_source(obj: &Value) -> bool {
    object::group_of(object::api_version(obj)) == SOURCE_GROUP
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(default)]
pub struct SourceRef {
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct DependsOn {
    pub name: String,
    pub namespace: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct CommonMetadata {
    pub labels: IndexMap<String, String>,
    pub annotations: IndexMap<String, String>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Decryption {
    pub provider: String,
    pub secret_ref: Option<Value>,
}

/// `spec` of a `kustomize.toolkit.fluxcd.io` Kustomization (v1, and the compatible beta versions).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase")]
pub struct KustomizationSpec {
    pub path: Option<String>,
    pub source_ref: SourceRef,
    pub depends_on: Vec<DependsOn>,
    pub target_namespace: Option<String>,
    pub name_prefix: Option<String>,
    pub name_suffix: Option<String>,
    pub patches: Vec<Value>,
    pub images: Vec<Value>,
    pub components: Vec<String>,
    pub ignore_missing_components: bool,
    pub common_metadata: Option<CommonMetadata>,
    pub decryption: Option<Decryption>,
    pub build_metadata: Vec<String>,
    pub suspend: bool,
    pub wait: Option<bool>,
    pub timeout: Option<String>,
    pub interval: Option<String>,
    pub retry_interval: Option<String>,
    pub prune: Option<bool>,
}

/// A Flux object whose spec does not decode.
#[derive(Clone, Debug, thiserror::Error)]
#[error("invalid spec: {cause}")]
pub struct InvalidSpec {
    pub id: NamespacedName,
    pub cause: String,
}

/// A Flux Kustomization: its identity, typed spec and the object itself.
#[derive(Clone, Debug)]
pub struct Kustomization {
    pub id: NamespacedName,
    pub spec: KustomizationSpec,
    pub object: Value,
}

impl Kustomization {
    /// Decodes a Kustomization object; the error names the field that is malformed.
    pub fn from_object(obj: &Value) -> Result<Kustomization, InvalidSpec> {
        let spec_value = obj.get("spec").cloned().unwrap_or(Value::Null);
        let spec: KustomizationSpec = if spec_value.is_null() {
            KustomizationSpec::default()
        } else {
            serde_json::from_value(spec_value).map_err(|e| InvalidSpec {
                id: NamespacedName::of(obj),
                cause: e.to_string(),
            })?
        };
        Ok(Kustomization {
            id: NamespacedName::of(obj),
            spec,
            object: obj.clone(),
        })
    }

    /// `spec.sourceRef` with its namespace defaulted to the Kustomization's own.
    pub fn source(&self) -> SourceRef {
        let mut s = self.spec.source_ref.clone();
        if s.namespace.as_deref().unwrap_or("").is_empty() {
            s.namespace = Some(self.id.namespace.clone());
        }
        s
    }

    /// `dependsOn` targets with namespaces defaulted to the Kustomization's own.
    pub fn dependencies(&self) -> Vec<NamespacedName> {
        self.spec
            .depends_on
            .iter()
            .map(|d| {
                let ns = d.namespace.as_deref().filter(|n| !n.is_empty());
                NamespacedName::new(ns.unwrap_or(&self.id.namespace), &d.name)
            })
            .collect()
    }

    pub fn decryption_enabled(&self) -> bool {
        self.spec
            .decryption
            .as_ref()
            .is_some_and(|d| d.provider == "sops")
    }
}

/// Source identity `Kind/namespace/name` (kind as written in sourceRef).
pub fn source_display(s: &SourceRef) -> String {
    format!(
        "{}/{}/{}",
        s.kind,
        s.namespace.as_deref().unwrap_or(""),
        s.name
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decodes_and_defaults() {
        let o = json!({"apiVersion":"kustomize.toolkit.fluxcd.io/v1","kind":"Kustomization",
            "metadata":{"name":"apps","namespace":"flux-system"},
            "spec":{"path":"./apps","sourceRef":{"kind":"GitRepository","name":"flux-system"},
                    "dependsOn":[{"name":"infra"},{"name":"x","namespace":"other"}],"unknown":1}});
        assert!(is_kustomization(&o));
        let ks = Kustomization::from_object(&o).unwrap();
        assert_eq!(ks.source().namespace.as_deref(), Some("flux-system"));
        let deps = ks.dependencies();
        assert_eq!(deps[0].to_string(), "flux-system/infra");
        assert_eq!(deps[1].to_string(), "other/x");
    }

    #[test]
    fn malformed_spec_is_an_error() {
        let o = json!({"kind":"Kustomization","metadata":{"name":"a"},"spec":{"dependsOn":"nope"}});
        assert!(Kustomization::from_object(&o).is_err());
    }
}
