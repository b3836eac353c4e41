//! Identities: of a Kubernetes object in the cluster, and of the Flux owner that applies it.

use serde::Serialize;
use serde_json::Value;
use std::fmt;

/// The identity of an object in the cluster: group, kind, namespace and name. The version is
/// left out on purpose: the API server stores one object for all versions of a kind, and a
/// `v1beta1` → `v1` move is a change of one object, not a removal plus an addition.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct ObjectKey {
    pub group: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

impl ObjectKey {
    pub fn new(group: &str, kind: &str, namespace: &str, name: &str) -> ObjectKey {
        ObjectKey {
            group: group.to_string(),
            kind: kind.to_string(),
            namespace: namespace.to_string(),
            name: name.to_string(),
        }
    }

    /// The key of an object as written (its namespace not defaulted).
    pub fn of(obj: &Value) -> ObjectKey {
        let text = |p: &str| obj.pointer(p).and_then(Value::as_str).unwrap_or("");
        let api_version = text("/apiVersion");
        let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
        ObjectKey::new(
            group,
            text("/kind"),
            text("/metadata/namespace"),
            text("/metadata/name"),
        )
    }

    /// `Kind.group`, or `Kind` for the core group.
    pub fn group_kind(&self) -> String {
        if self.group.is_empty() {
            self.kind.clone()
        } else {
            format!("{}.{}", self.kind, self.group)
        }
    }

    /// `ConfigMap flux-system/settings`, `Certificate.cert-manager.io apps/web`: how findings
    /// name objects.
    pub fn described(&self) -> String {
        match self.namespace.as_str() {
            "" => format!("{} {}", self.group_kind(), self.name),
            ns => format!("{} {ns}/{}", self.group_kind(), self.name),
        }
    }

    /// `Deployment.apps/default/web`, `Namespace/apps`: how patches and tables name objects.
    pub fn label(&self) -> String {
        match self.namespace.as_str() {
            "" => format!("{}/{}", self.group_kind(), self.name),
            ns => format!("{}/{ns}/{}", self.group_kind(), self.name),
        }
    }
}

impl fmt::Display for ObjectKey {
    /// `Kind/namespace/name` (or `Kind/name` when cluster-scoped), as Flux prints objects.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.namespace.is_empty() {
            write!(f, "{}/{}", self.kind, self.name)
        } else {
            write!(f, "{}/{}/{}", self.kind, self.namespace, self.name)
        }
    }
}

/// The namespace/name of a Flux object.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct NamespacedName {
    pub namespace: String,
    pub name: String,
}

impl NamespacedName {
    pub fn new(namespace: &str, name: &str) -> Self {
        NamespacedName {
            namespace: namespace.to_string(),
            name: name.to_string(),
        }
    }

    pub fn of(obj: &Value) -> Self {
        let text = |p: &str| obj.pointer(p).and_then(Value::as_str).unwrap_or("");
        Self::new(text("/metadata/namespace"), text("/metadata/name"))
    }
}

impl fmt::Display for NamespacedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

/// The two kinds of Flux object that render and apply other objects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum OwnerKind {
    Kustomization,
    HelmRelease,
}

impl OwnerKind {
    /// The API group of this kind.
    pub fn group(self) -> &'static str {
        match self {
            OwnerKind::Kustomization => "kustomize.toolkit.fluxcd.io",
            OwnerKind::HelmRelease => "helm.toolkit.fluxcd.io",
        }
    }

    /// Short form used in compact output (`ks`, `hr`), as the flux CLI abbreviates them.
    pub fn short(self) -> &'static str {
        match self {
            OwnerKind::Kustomization => "ks",
            OwnerKind::HelmRelease => "hr",
        }
    }

    /// The kind as written in manifests.
    pub fn as_str(self) -> &'static str {
        match self {
            OwnerKind::Kustomization => "Kustomization",
            OwnerKind::HelmRelease => "HelmRelease",
        }
    }
}

impl fmt::Display for OwnerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Identity of a Kustomization or HelmRelease. Orders by (kind, namespace, name).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct OwnerId {
    pub kind: OwnerKind,
    pub namespace: String,
    pub name: String,
}

impl OwnerId {
    pub fn new(kind: OwnerKind, namespace: &str, name: &str) -> Self {
        Self {
            kind,
            namespace: namespace.to_string(),
            name: name.to_string(),
        }
    }

    pub fn ks(id: &NamespacedName) -> Self {
        Self::new(OwnerKind::Kustomization, &id.namespace, &id.name)
    }

    pub fn hr(id: &NamespacedName) -> Self {
        Self::new(OwnerKind::HelmRelease, &id.namespace, &id.name)
    }

    /// The namespace/name part.
    pub fn name(&self) -> NamespacedName {
        NamespacedName::new(&self.namespace, &self.name)
    }

    /// `ks/flux-system/apps`: compact, unambiguous, used in graphs and test names.
    pub fn short(&self) -> String {
        format!("{}/{}/{}", self.kind.short(), self.namespace, self.name)
    }

    /// `HelmRelease/default/app`: used in patch file names.
    pub fn path_label(&self) -> String {
        format!("{}/{}/{}", self.kind, self.namespace, self.name)
    }
}

impl fmt::Display for OwnerId {
    /// `Kustomization flux-system/apps`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}/{}", self.kind, self.namespace, self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn object_key_formats() {
        let o = json!({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"a","namespace":"n"}});
        let k = ObjectKey::of(&o);
        assert_eq!(k.group, "apps");
        assert_eq!(k.to_string(), "Deployment/n/a");
        assert_eq!(k.described(), "Deployment.apps n/a");
        assert_eq!(k.label(), "Deployment.apps/n/a");
        let ns =
            ObjectKey::of(&json!({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"x"}}));
        assert_eq!(
            (ns.to_string(), ns.described(), ns.label()),
            (
                "Namespace/x".into(),
                "Namespace x".into(),
                "Namespace/x".into()
            )
        );
    }

    #[test]
    fn owner_id_formats_and_order() {
        let ks = OwnerId::new(OwnerKind::Kustomization, "flux-system", "z");
        let hr = OwnerId::new(OwnerKind::HelmRelease, "a", "a");
        assert!(ks < hr, "Kustomizations sort before HelmReleases");
        assert_eq!(ks.to_string(), "Kustomization flux-system/z");
        assert_eq!(hr.short(), "hr/a/a");
        assert_eq!(hr.path_label(), "HelmRelease/a/a");
    }
}
