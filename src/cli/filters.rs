//! What a command shows of a finished run: which owners (kind, NAME, `-n`, `-l`, flux-local's
//! `--sources`) and which of their objects (`--skip-crds`, `--skip-secrets`, `--skip-kinds`).
//! Filters only ever hide: they never change what was rendered or checked.

use super::args_select::{OutputFilterArgs, ScopeArgs};
use super::compat::SourceItem;
use fluxsim::model::{Cluster, ObjectKey, OwnerId, OwnerKind, OwnerRecord};
use fluxsim::object;
use serde_json::Value;

/// Which owners to show.
#[derive(Debug, Clone, Default)]
pub struct OwnerFilter {
    pub kind: Option<OwnerKind>,
    /// `NAME` (the bare `metadata.name`, flate's positional) or `NAMESPACE/NAME`.
    pub name: Option<String>,
    pub namespace: Option<String>,
    pub labels: Vec<(String, String)>,
    /// flux-local's `--sources`: Kustomizations whose sourceRef is one of these, and the
    /// HelmReleases they produce.
    pub sources: Vec<SourceItem>,
}

impl OwnerFilter {
    pub fn new(
        kind: Option<OwnerKind>,
        name: Option<&str>,
        scope: &ScopeArgs,
        sources: &[SourceItem],
    ) -> OwnerFilter {
        OwnerFilter {
            kind,
            name: name.map(str::to_string),
            namespace: scope.namespace.clone().filter(|_| !scope.all_namespaces),
            labels: scope.selector.clone(),
            sources: sources.to_vec(),
        }
    }

    /// Nothing is filtered out but, perhaps, one kind.
    pub fn is_everything(&self) -> bool {
        self.name.is_none()
            && self.namespace.is_none()
            && self.labels.is_empty()
            && self.sources.is_empty()
    }

    /// Whether `owner` is shown; `cluster` holds its parent (for the sources of HelmReleases).
    pub fn keeps(&self, cluster: &Cluster, owner: &OwnerRecord) -> bool {
        let id = &owner.id;
        self.kind.is_none_or(|k| k == id.kind)
            && self.name.as_deref().is_none_or(|n| name_matches(id, n))
            && self
                .namespace
                .as_deref()
                .is_none_or(|ns| id.namespace == ns)
            && self
                .labels
                .iter()
                .all(|(k, v)| label(&owner.object, k) == Some(v))
            && (self.sources.is_empty() || self.comes_from_listed_source(cluster, owner))
    }

    /// Like [`OwnerFilter::keeps`], for an owner known by identity only.
    pub fn keeps_id(&self, cluster: &Cluster, id: &OwnerId) -> bool {
        find(cluster, id).is_some_and(|r| self.keeps(cluster, r))
    }

    fn comes_from_listed_source(&self, cluster: &Cluster, owner: &OwnerRecord) -> bool {
        let ks = match owner.id.kind {
            OwnerKind::Kustomization => Some(owner),
            OwnerKind::HelmRelease => owner.parent.as_ref().and_then(|p| find(cluster, p)),
        };
        let Some(source) = ks
            .and_then(|k| k.kustomization.as_ref())
            .map(|k| k.source())
        else {
            return false;
        };
        self.sources.iter().any(|s| {
            s.name == source.name
                && s.namespace
                    .as_deref()
                    .is_none_or(|ns| source.namespace.as_deref() == Some(ns))
        })
    }
}

fn find<'a>(cluster: &'a Cluster, id: &OwnerId) -> Option<&'a OwnerRecord> {
    cluster.owners.get(id).or_else(|| cluster.hidden.get(id))
}

/// `NAME` matches the bare name in any namespace; `NAMESPACE/NAME` one owner.
pub fn name_matches(id: &OwnerId, name: &str) -> bool {
    match name.split_once('/') {
        Some((ns, n)) => id.namespace == ns && id.name == n,
        None => id.name == name,
    }
}

fn label<'a>(obj: &'a Value, key: &str) -> Option<&'a String> {
    match object::labels(obj)?.get(key)? {
        Value::String(s) => Some(s),
        _ => None,
    }
}

/// Which objects to print.
#[derive(Debug, Clone, Default)]
pub struct ObjectFilter {
    pub skip_crds: bool,
    pub skip_secrets: bool,
    /// `Kind` or `Kind.group`.
    pub skip_kinds: Vec<String>,
}

impl ObjectFilter {
    pub fn new(args: &OutputFilterArgs) -> ObjectFilter {
        ObjectFilter {
            skip_crds: args.skips_crds(),
            skip_secrets: args.skips_secrets(),
            skip_kinds: args.skip_kinds.clone(),
        }
    }

    pub fn keeps(&self, obj: &Value) -> bool {
        let key = ObjectKey::of(obj);
        let is = |group: &str, kind: &str| key.group == group && key.kind == kind;
        !(self.skip_crds && is("apiextensions.k8s.io", "CustomResourceDefinition")
            || self.skip_secrets && is("", "Secret")
            || self
                .skip_kinds
                .iter()
                .any(|k| *k == key.kind || *k == key.group_kind()))
    }

    /// `objects` without the skipped ones.
    pub fn apply(&self, objects: Vec<Value>) -> Vec<Value> {
        objects.into_iter().filter(|o| self.keeps(o)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fluxsim::flux::Kustomization;
    use serde_json::json;

    fn ks(ns: &str, name: &str, source: &str, labels: Value) -> OwnerRecord {
        let object = json!({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
            "metadata": {"name": name, "namespace": ns, "labels": labels},
            "spec": {"path": "./x", "sourceRef": {"kind": "GitRepository", "name": source}}});
        let id = OwnerId::new(OwnerKind::Kustomization, ns, name);
        let mut r = OwnerRecord::pending(id, object.clone(), None, None);
        r.kustomization = Kustomization::from_object(&object).ok();
        r
    }

    fn hr(ns: &str, name: &str, parent: &OwnerRecord) -> OwnerRecord {
        let object = json!({"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
            "metadata": {"name": name, "namespace": ns}});
        let id = OwnerId::new(OwnerKind::HelmRelease, ns, name);
        OwnerRecord::pending(id, object, Some(parent.id.clone()), None)
    }

    fn cluster(records: &[&OwnerRecord]) -> Cluster {
        let mut c = Cluster::default();
        for r in records {
            c.owners.insert(r.id.clone(), (*r).clone());
        }
        c
    }

    #[test]
    fn name_namespace_and_labels() {
        let a = ks("flux-system", "apps", "flux-system", json!({"tier": "web"}));
        let b = ks("media", "apps", "flux-system", json!({}));
        let c = cluster(&[&a, &b]);
        let f = |name: Option<&str>, ns: Option<&str>, labels: &[(&str, &str)]| OwnerFilter {
            name: name.map(str::to_string),
            namespace: ns.map(str::to_string),
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..OwnerFilter::default()
        };
        let kept = |f: &OwnerFilter| [&a, &b].iter().filter(|r| f.keeps(&c, r)).count();
        assert_eq!(kept(&f(None, None, &[])), 2);
        assert_eq!(
            kept(&f(Some("apps"), None, &[])),
            2,
            "bare name: every namespace"
        );
        assert_eq!(kept(&f(Some("media/apps"), None, &[])), 1);
        assert_eq!(kept(&f(Some("apps"), Some("media"), &[])), 1);
        assert_eq!(kept(&f(None, None, &[("tier", "web")])), 1);
        assert_eq!(kept(&f(None, None, &[("tier", "db")])), 0);
        let hr_only = OwnerFilter {
            kind: Some(OwnerKind::HelmRelease),
            ..OwnerFilter::default()
        };
        assert_eq!(kept(&hr_only), 0);
    }

    #[test]
    fn sources_keep_kustomizations_and_their_releases() {
        let local = ks("flux-system", "apps", "flux-system", json!({}));
        let other = ks("flux-system", "remote", "other", json!({}));
        let web = hr("apps", "web", &local);
        let far = hr("apps", "far", &other);
        let c = cluster(&[&local, &other, &web, &far]);
        let item = |ns: Option<&str>, name: &str| SourceItem {
            namespace: ns.map(str::to_string),
            name: name.to_string(),
            dir: None,
        };
        let f = OwnerFilter {
            sources: vec![item(None, "flux-system")],
            ..OwnerFilter::default()
        };
        assert!(f.keeps(&c, &local) && f.keeps(&c, &web));
        assert!(!f.keeps(&c, &other) && !f.keeps(&c, &far));
        let wrong_ns = OwnerFilter {
            sources: vec![item(Some("elsewhere"), "flux-system")],
            ..OwnerFilter::default()
        };
        assert!(!wrong_ns.keeps(&c, &local));
    }

    #[test]
    fn object_filter_skips_crds_secrets_and_kinds() {
        let crd =
            json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition"});
        let secret = json!({"apiVersion": "v1", "kind": "Secret"});
        let cm = json!({"apiVersion": "v1", "kind": "ConfigMap"});
        let deploy = json!({"apiVersion": "apps/v1", "kind": "Deployment"});
        let none = ObjectFilter::default();
        assert!([&crd, &secret, &cm, &deploy].iter().all(|o| none.keeps(o)));
        let f = ObjectFilter {
            skip_crds: true,
            skip_secrets: true,
            skip_kinds: vec!["ConfigMap".into(), "Deployment.apps".into()],
        };
        assert!([&crd, &secret, &cm, &deploy].iter().all(|o| !f.keeps(o)));
        let other_group = json!({"apiVersion": "example.com/v1", "kind": "Secret"});
        assert!(f.keeps(&other_group), "only the core Secret is a Secret");
    }
}
