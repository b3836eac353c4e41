//! Reads the fields of a Kustomization/HelmRelease spec that ordering depends on, with Flux's namespace
//! defaulting applied. Missing or mistyped fields read as absent: the engine already validated the objects.

use serde_json::Value;

use crate::model::{OwnerKind, OwnerRecord as Owner};

/// A reference from an owner's spec to another object, namespace already defaulted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecRef {
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

/// Follows a path of object keys.
pub fn at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |cur, key| cur.get(key))
}

pub fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    at(v, path).and_then(Value::as_str)
}

fn items<'a>(v: &'a Value, path: &[&str]) -> impl Iterator<Item = &'a Value> {
    at(v, path).and_then(Value::as_array).into_iter().flatten()
}

/// `spec.dependsOn` as (namespace, name); the namespace defaults to the dependent's (Flux 4.1/4.4).
pub fn depends_on(owner: &Owner) -> Vec<(String, String)> {
    items(&owner.object, &["spec", "dependsOn"])
        .filter_map(|d| {
            let name = d.get("name")?.as_str()?;
            let ns = d
                .get("namespace")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .unwrap_or(&owner.id.namespace);
            Some((ns.to_string(), name.to_string()))
        })
        .collect()
}

fn refs_in_own_namespace(owner: &Owner, path: &[&str]) -> Vec<SpecRef> {
    items(&owner.object, path)
        .filter_map(|r| {
            Some(SpecRef {
                kind: r.get("kind")?.as_str()?.to_string(),
                namespace: owner.id.namespace.clone(),
                name: r.get("name")?.as_str()?.to_string(),
            })
        })
        .collect()
}

/// `spec.postBuild.substituteFrom` (KS only) entries that are not `optional`, read from the
/// Kustomization's own namespace. An optional one is no ordering edge: Flux builds without it
/// when it is missing, so it can never make a dependency cycle.
pub fn substitute_from(owner: &Owner) -> Vec<SpecRef> {
    if owner.id.kind != OwnerKind::Kustomization {
        return Vec::new();
    }
    let required: Vec<bool> = items(&owner.object, &["spec", "postBuild", "substituteFrom"])
        .filter(|r| r.get("kind").is_some() && r.get("name").is_some())
        .map(|r| r.get("optional").and_then(Value::as_bool) != Some(true))
        .collect();
    refs_in_own_namespace(owner, &["spec", "postBuild", "substituteFrom"])
        .into_iter()
        .zip(required)
        .filter(|(_, required)| *required)
        .map(|(r, _)| r)
        .collect()
}

/// `spec.valuesFrom` (HR only), read from the HelmRelease's own namespace.
pub fn values_from(owner: &Owner) -> Vec<SpecRef> {
    match owner.id.kind {
        OwnerKind::HelmRelease => refs_in_own_namespace(owner, &["spec", "valuesFrom"]),
        OwnerKind::Kustomization => Vec::new(),
    }
}

fn source_at(owner: &Owner, path: &[&str]) -> Option<SpecRef> {
    let r = at(&owner.object, path)?;
    let ns = r
        .get("namespace")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .unwrap_or(&owner.id.namespace);
    Some(SpecRef {
        kind: r.get("kind")?.as_str()?.to_string(),
        namespace: ns.to_string(),
        name: r.get("name")?.as_str()?.to_string(),
    })
}

/// The source object a HelmRelease's chart comes from: `spec.chartRef` (OCIRepository/HelmChart) or
/// `spec.chart.spec.sourceRef` (HelmRepository/GitRepository/Bucket); namespace defaults to the HR's.
pub fn chart_source(owner: &Owner) -> Option<SpecRef> {
    if owner.id.kind != OwnerKind::HelmRelease {
        return None;
    }
    source_at(owner, &["spec", "chartRef"])
        .or_else(|| source_at(owner, &["spec", "chart", "spec", "sourceRef"]))
}

/// A Kustomization's `spec.sourceRef`; namespace defaults to the KS's.
pub fn ks_source(owner: &Owner) -> Option<SpecRef> {
    match owner.id.kind {
        OwnerKind::Kustomization => source_at(owner, &["spec", "sourceRef"]),
        OwnerKind::HelmRelease => None,
    }
}

/// Where a HelmRelease puts namespaced objects that name no namespace: `targetNamespace`, else its own.
pub fn release_namespace(owner: &Owner) -> String {
    str_at(&owner.object, &["spec", "targetNamespace"])
        .filter(|s| !s.is_empty())
        .unwrap_or(&owner.id.namespace)
        .to_string()
}

/// Namespace the HelmRelease creates itself (`install.createNamespace` is honoured only with targetNamespace).
pub fn created_namespace(owner: &Owner) -> Option<String> {
    if owner.id.kind != OwnerKind::HelmRelease {
        return None;
    }
    let create = at(&owner.object, &["spec", "install", "createNamespace"])
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let target = str_at(&owner.object, &["spec", "targetNamespace"]).filter(|s| !s.is_empty())?;
    create.then(|| target.to_string())
}

/// Whether postBuild substitution runs at all: `spec.postBuild` is set and there are variables,
/// or `substituteStrategy: Always` (flux-semantics 2.1).
pub fn substitutes(owner: &Owner) -> bool {
    let Some(post_build) = at(&owner.object, &["spec", "postBuild"]) else {
        return false;
    };
    owner.id.kind == OwnerKind::Kustomization
        && (!owner.vars.defined.is_empty()
            || post_build.get("substituteStrategy").and_then(Value::as_str) == Some("Always"))
}

/// `spec.healthChecks` entries naming a Flux Kustomization or HelmRelease, as (kind, namespace, name).
pub fn health_check_refs(owner: &Owner) -> Vec<(String, Option<String>, String)> {
    items(&owner.object, &["spec", "healthChecks"])
        .filter_map(|h| {
            let ns = h
                .get("namespace")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty());
            Some((
                h.get("kind")?.as_str()?.to_string(),
                ns.map(str::to_string),
                h.get("name")?.as_str()?.to_string(),
            ))
        })
        .collect()
}

/// `spec.wait` of a Kustomization (false when unset).
pub fn ks_wait(owner: &Owner) -> bool {
    owner.id.kind == OwnerKind::Kustomization
        && at(&owner.object, &["spec", "wait"]).and_then(Value::as_bool) == Some(true)
}

/// `spec.healthChecks` as `Kind ns/name` (apiVersion defaults to apps/v1; namespace is not defaulted).
pub fn health_checks(owner: &Owner) -> Vec<String> {
    if owner.id.kind != OwnerKind::Kustomization {
        return Vec::new();
    }
    items(&owner.object, &["spec", "healthChecks"])
        .filter_map(|h| {
            let kind = h.get("kind")?.as_str()?;
            let name = h.get("name")?.as_str()?;
            Some(match h.get("namespace").and_then(Value::as_str) {
                Some(ns) if !ns.is_empty() => format!("{kind} {ns}/{name}"),
                _ => format!("{kind} {name}"),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::OwnerId;
    use serde_json::json;

    fn owner(kind: OwnerKind, object: Value) -> Owner {
        Owner::pending(OwnerId::new(kind, "apps", "x"), object, None, None)
    }

    #[test]
    fn depends_on_defaults_namespace() {
        let o = owner(
            OwnerKind::Kustomization,
            json!({"spec": {"dependsOn": [{"name": "a"}, {"name": "b", "namespace": "infra"}, {"nope": 1}]}}),
        );
        assert_eq!(
            depends_on(&o),
            vec![
                ("apps".to_string(), "a".to_string()),
                ("infra".to_string(), "b".to_string())
            ]
        );
    }

    #[test]
    fn chart_sources() {
        let hr = owner(
            OwnerKind::HelmRelease,
            json!({"spec": {"chart": {"spec": {"chart": "c", "sourceRef": {"kind": "HelmRepository", "name": "r", "namespace": "flux-system"}}}}}),
        );
        let r = chart_source(&hr).unwrap();
        assert_eq!(
            (r.kind.as_str(), r.namespace.as_str(), r.name.as_str()),
            ("HelmRepository", "flux-system", "r")
        );
        let hr = owner(
            OwnerKind::HelmRelease,
            json!({"spec": {"chartRef": {"kind": "OCIRepository", "name": "o"}}}),
        );
        assert_eq!(chart_source(&hr).unwrap().namespace, "apps");
    }

    #[test]
    fn substitution_requires_post_build_and_vars() {
        let mut ks = owner(
            OwnerKind::Kustomization,
            json!({"spec": {"postBuild": {"substitute": {}}}}),
        );
        assert!(!substitutes(&ks));
        ks.object = json!({"spec": {"postBuild": {"substituteStrategy": "Always"}}});
        assert!(substitutes(&ks));
    }

    #[test]
    fn create_namespace_needs_target_namespace() {
        let hr = owner(
            OwnerKind::HelmRelease,
            json!({"spec": {"install": {"createNamespace": true}}}),
        );
        assert_eq!(created_namespace(&hr), None);
        let hr = owner(
            OwnerKind::HelmRelease,
            json!({"spec": {"targetNamespace": "t", "install": {"createNamespace": true}}}),
        );
        assert_eq!(created_namespace(&hr).as_deref(), Some("t"));
        assert_eq!(release_namespace(&hr), "t");
    }
}
