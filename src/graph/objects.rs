//! Identity of rendered Kubernetes objects: API group from apiVersion, which groups are built into
//! Kubernetes, which built-in kinds are cluster-scoped, and object keys with defaulted namespaces.

use std::collections::HashMap;

use crate::model::ObjectKey;
use serde_json::Value;

/// `Kind.group`, or `Kind` for the core group.
pub fn group_kind(group: &str, kind: &str) -> String {
    if group.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}.{group}")
    }
}

/// The group part of an apiVersion (one definition for the whole crate).
pub use crate::object::group_of;

/// API groups served by kube-apiserver itself (never CRDs). Note that many `*.k8s.io` groups are CRDs
/// (gateway.networking.k8s.io, snapshot.storage.k8s.io, metrics via APIService), so this list is exact.
const BUILTIN_GROUPS: &[&str] = &[
    "",
    "admissionregistration.k8s.io",
    "apiextensions.k8s.io",
    "apiregistration.k8s.io",
    "apps",
    "authentication.k8s.io",
    "authorization.k8s.io",
    "autoscaling",
    "batch",
    "certificates.k8s.io",
    "coordination.k8s.io",
    "discovery.k8s.io",
    "events.k8s.io",
    "extensions",
    "flowcontrol.apiserver.k8s.io",
    "internal.apiserver.k8s.io",
    "networking.k8s.io",
    "node.k8s.io",
    "policy",
    "rbac.authorization.k8s.io",
    "resource.k8s.io",
    "scheduling.k8s.io",
    "storage.k8s.io",
    "storagemigration.k8s.io",
];

/// Built-in kinds that are cluster-scoped, as (group, kind).
const BUILTIN_CLUSTER_SCOPED: &[(&str, &str)] = &[
    ("", "ComponentStatus"),
    ("", "Namespace"),
    ("", "Node"),
    ("", "PersistentVolume"),
    ("admissionregistration.k8s.io", "MutatingAdmissionPolicy"),
    (
        "admissionregistration.k8s.io",
        "MutatingAdmissionPolicyBinding",
    ),
    (
        "admissionregistration.k8s.io",
        "MutatingWebhookConfiguration",
    ),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
    (
        "admissionregistration.k8s.io",
        "ValidatingAdmissionPolicyBinding",
    ),
    (
        "admissionregistration.k8s.io",
        "ValidatingWebhookConfiguration",
    ),
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
    ("apiregistration.k8s.io", "APIService"),
    ("certificates.k8s.io", "CertificateSigningRequest"),
    ("certificates.k8s.io", "ClusterTrustBundle"),
    ("flowcontrol.apiserver.k8s.io", "FlowSchema"),
    ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"),
    ("internal.apiserver.k8s.io", "StorageVersion"),
    ("networking.k8s.io", "IPAddress"),
    ("networking.k8s.io", "IngressClass"),
    ("networking.k8s.io", "ServiceCIDR"),
    ("node.k8s.io", "RuntimeClass"),
    ("policy", "PodSecurityPolicy"),
    ("rbac.authorization.k8s.io", "ClusterRole"),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("resource.k8s.io", "DeviceClass"),
    ("resource.k8s.io", "ResourceSlice"),
    ("scheduling.k8s.io", "PriorityClass"),
    ("storage.k8s.io", "CSIDriver"),
    ("storage.k8s.io", "CSINode"),
    ("storage.k8s.io", "StorageClass"),
    ("storage.k8s.io", "VolumeAttachment"),
    ("storage.k8s.io", "VolumeAttributesClass"),
    ("storagemigration.k8s.io", "StorageVersionMigration"),
];

/// Namespaces that exist before anything is applied: Kubernetes' own, plus flux-system from `flux bootstrap`.
pub const PREEXISTING_NAMESPACES: &[&str] = &[
    "default",
    "flux-system",
    "kube-node-lease",
    "kube-public",
    "kube-system",
];

pub fn is_builtin_group(group: &str) -> bool {
    BUILTIN_GROUPS.binary_search(&group).is_ok()
}

/// Flux's own groups, installed by `flux bootstrap` (gotk-components.yaml).
pub fn is_flux_group(group: &str) -> bool {
    group.ends_with(".toolkit.fluxcd.io")
}

/// The CRD-defined type a CustomResourceDefinition object declares: (group, kind, namespaced).
pub fn crd_target(obj: &Value) -> Option<(String, String, bool)> {
    if obj.get("kind")?.as_str()? != "CustomResourceDefinition"
        || group_of(obj.get("apiVersion")?.as_str()?) != "apiextensions.k8s.io"
    {
        return None;
    }
    let spec = obj.get("spec")?;
    let group = spec.get("group")?.as_str()?;
    let kind = spec.get("names")?.get("kind")?.as_str()?;
    let namespaced = spec.get("scope").and_then(Value::as_str) != Some("Cluster");
    Some((group.to_string(), kind.to_string(), namespaced))
}

/// Knows whether a (group, kind) is namespaced, from the built-in list and from rendered CRDs.
#[derive(Debug, Default)]
pub struct Scopes {
    crds: HashMap<(String, String), bool>,
}

impl Scopes {
    /// Records the scope declared by a rendered CRD object (ignored if `obj` is not a CRD).
    pub fn learn(&mut self, obj: &Value) {
        if let Some((group, kind, namespaced)) = crd_target(obj) {
            self.crds.insert((group, kind), namespaced);
        }
    }

    /// Some(true) namespaced, Some(false) cluster-scoped, None unknown (a CR whose CRD is not rendered).
    pub fn is_namespaced(&self, group: &str, kind: &str) -> Option<bool> {
        if is_builtin_group(group) {
            let cluster = BUILTIN_CLUSTER_SCOPED
                .iter()
                .any(|(g, k)| *g == group && *k == kind);
            return Some(!cluster);
        }
        let learned = self
            .crds
            .get(&(group.to_string(), kind.to_string()))
            .copied();
        // Every Flux kind is namespaced, whether or not gotk-components.yaml is in the render.
        learned.or_else(|| is_flux_group(group).then_some(true))
    }
}

/// Basic identity of a rendered object, with its namespace normalised: dropped for cluster-scoped kinds, and
/// for namespaced kinds without one, set to `default_ns` (a HelmRelease's release namespace, as Helm does).
pub fn object_key(obj: &Value, default_ns: Option<&str>, scopes: &Scopes) -> Option<ObjectKey> {
    let api_version = obj.get("apiVersion")?.as_str()?;
    let kind = obj.get("kind")?.as_str()?;
    let meta = obj.get("metadata")?;
    let name = meta.get("name")?.as_str()?;
    let group = group_of(api_version);
    let given = meta
        .get("namespace")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let namespace = match scopes.is_namespaced(group, kind) {
        Some(false) => "",
        Some(true) if given.is_empty() => default_ns.unwrap_or_default(),
        // Unknown scope: keep what the manifest says.
        _ => given,
    };
    Some(ObjectKey::new(group, kind, namespace, name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn builtin_group_list_is_sorted_for_binary_search() {
        let mut sorted = BUILTIN_GROUPS.to_vec();
        sorted.sort_unstable();
        assert_eq!(sorted, BUILTIN_GROUPS);
    }

    #[test]
    fn groups() {
        assert_eq!(group_of("v1"), "");
        assert_eq!(group_of("apps/v1"), "apps");
        assert_eq!(group_of("cert-manager.io/v1"), "cert-manager.io");
        assert!(is_builtin_group(""));
        assert!(is_builtin_group("rbac.authorization.k8s.io"));
        assert!(!is_builtin_group("gateway.networking.k8s.io"));
        assert!(!is_builtin_group("snapshot.storage.k8s.io"));
        assert!(is_flux_group("helm.toolkit.fluxcd.io"));
    }

    #[test]
    fn namespaces_are_normalised() {
        let mut scopes = Scopes::default();
        scopes.learn(&json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": "clusterissuers.cert-manager.io"},
            "spec": {"group": "cert-manager.io", "scope": "Cluster", "names": {"kind": "ClusterIssuer"}}}));
        let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}});
        let role = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": "r", "namespace": "x"}});
        let issuer = json!({"apiVersion": "cert-manager.io/v1", "kind": "ClusterIssuer", "metadata": {"name": "le"}});
        let unknown =
            json!({"apiVersion": "example.com/v1", "kind": "Thing", "metadata": {"name": "t"}});
        let key = |o: &Value| object_key(o, Some("rel"), &scopes).map(|k| k.described());
        assert_eq!(key(&cm).as_deref(), Some("ConfigMap rel/a"));
        assert_eq!(
            key(&role).as_deref(),
            Some("ClusterRole.rbac.authorization.k8s.io r")
        );
        assert_eq!(
            key(&issuer).as_deref(),
            Some("ClusterIssuer.cert-manager.io le")
        );
        assert_eq!(key(&unknown).as_deref(), Some("Thing.example.com t"));
        assert_eq!(key(&json!({"kind": "X"})), None);
    }
}
