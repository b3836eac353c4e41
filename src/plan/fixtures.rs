//! Hand-built `ClusterInput`s for tests: a tiny builder plus one scenario per check.

use serde_json::{Value, json};

use super::input::Scenario;
use crate::model::{
    FailureReason, FluxFile, Outcome, OwnerId, OwnerKind, OwnerRecord as Owner, RenderedObject,
    VarOrigin,
};

pub fn ks_id(ns: &str, name: &str) -> OwnerId {
    OwnerId::new(OwnerKind::Kustomization, ns, name)
}

pub fn hr_id(ns: &str, name: &str) -> OwnerId {
    OwnerId::new(OwnerKind::HelmRelease, ns, name)
}

/// A Kustomization owner with `interval: 10m` merged under `spec`.
pub fn ks(ns: &str, name: &str, spec: Value) -> Owner {
    let mut s = json!({"interval": "10m", "path": format!("./{name}"), "prune": true,
        "sourceRef": {"kind": "GitRepository", "name": "flux-system", "namespace": "flux-system"}});
    merge(&mut s, spec);
    owner(ks_id(ns, name), "kustomize.toolkit.fluxcd.io/v1", s)
}

/// A HelmRelease owner with `interval: 30m` merged under `spec`.
pub fn hr(ns: &str, name: &str, spec: Value) -> Owner {
    let mut s = json!({"interval": "30m", "chart": {"spec": {"chart": name,
        "sourceRef": {"kind": "HelmRepository", "name": "charts", "namespace": "flux-system"}}}});
    merge(&mut s, spec);
    owner(hr_id(ns, name), "helm.toolkit.fluxcd.io/v2", s)
}

fn owner(id: OwnerId, api_version: &str, spec: Value) -> Owner {
    let object = json!({"apiVersion": api_version, "kind": id.kind.as_str(),
        "metadata": {"name": id.name, "namespace": id.namespace}, "spec": spec});
    let file = Some(format!("clusters/main/{}/{}.yaml", id.namespace, id.name));
    let mut o = Owner::pending(id, object, None, file);
    o.outcome = Outcome::Rendered;
    o
}

fn merge(base: &mut Value, extra: Value) {
    if let (Some(b), Value::Object(e)) = (base.as_object_mut(), extra) {
        for (k, v) in e {
            b.insert(k, v);
        }
    }
}

/// Builder-style helpers on `Owner`.
pub trait OwnerExt {
    fn under(self, parent: &Owner) -> Self;
    fn with(self, objects: Vec<Value>) -> Self;
    fn failed(self, msg: &str) -> Self;
    fn defines(self, var: &str, source: &str, digest: &str) -> Self;
    fn uses(self, vars: &[&str]) -> Self;
}

impl OwnerExt for Owner {
    fn under(mut self, parent: &Owner) -> Self {
        self.parent = Some(parent.id.clone());
        self
    }
    fn with(mut self, objects: Vec<Value>) -> Self {
        self.objects
            .extend(objects.into_iter().map(|o| RenderedObject::new(o, None)));
        self
    }
    fn failed(mut self, msg: &str) -> Self {
        self.outcome = Outcome::failed(FailureReason::Build, msg);
        self
    }
    fn defines(mut self, var: &str, source: &str, digest: &str) -> Self {
        self.vars.defined.insert(
            var.to_string(),
            VarOrigin {
                source: source.to_string(),
                digest: digest.to_string(),
            },
        );
        self
    }
    fn uses(mut self, vars: &[&str]) -> Self {
        self.vars.substituted = true;
        self.vars.used.extend(vars.iter().map(|v| v.to_string()));
        self.vars
            .used_bare
            .extend(vars.iter().map(|v| v.to_string()));
        self
    }
}

pub fn obj(api_version: &str, kind: &str, ns: &str, name: &str) -> Value {
    let mut meta = json!({"name": name});
    if !ns.is_empty() {
        meta["namespace"] = json!(ns);
    }
    json!({"apiVersion": api_version, "kind": kind, "metadata": meta})
}

pub fn namespace(name: &str) -> Value {
    obj("v1", "Namespace", "", name)
}

pub fn configmap(ns: &str, name: &str) -> Value {
    obj("v1", "ConfigMap", ns, name)
}

pub fn deployment(ns: &str, name: &str) -> Value {
    obj("apps/v1", "Deployment", ns, name)
}

pub fn crd(group: &str, kind: &str, plural: &str, cluster: bool) -> Value {
    json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": format!("{plural}.{group}")},
        "spec": {"group": group, "names": {"kind": kind, "plural": plural},
            "scope": if cluster { "Cluster" } else { "Namespaced" }}})
}

/// The Flux object of an owner, as its parent renders it.
pub fn flux_object(o: &Owner) -> Value {
    o.object.clone()
}

/// Builds the input, adding each child's Flux object to its parent's objects and a FluxFile per owner file.
pub fn cluster(owners: Vec<Owner>) -> Scenario {
    let mut owners = owners;
    let children: Vec<(OwnerId, Value)> = owners
        .iter()
        .filter_map(|o| Some((o.parent.clone()?, flux_object(o))))
        .collect();
    for (parent, object) in children {
        if let Some(p) = owners.iter_mut().find(|o| o.id == parent) {
            p.objects.push(RenderedObject::new(object, None));
        }
    }
    let flux_files = owners
        .iter()
        .filter_map(|o| {
            Some(FluxFile {
                path: o.file.clone()?,
                kind: o.id.kind,
                namespace: Some(o.id.namespace.clone()),
                name: o.id.name.clone(),
            })
        })
        .collect();
    Scenario::new(owners, flux_files)
}

/// The bootstrap root: flux-system renders the GitRepository and the HelmRepository `charts`.
pub fn root() -> Owner {
    ks(
        "flux-system",
        "flux-system",
        json!({"path": "./clusters/main"}),
    )
    .with(vec![
        obj(
            "source.toolkit.fluxcd.io/v1",
            "GitRepository",
            "flux-system",
            "flux-system",
        ),
        obj(
            "source.toolkit.fluxcd.io/v1",
            "HelmRepository",
            "flux-system",
            "charts",
        ),
    ])
}

/// a -> b -> a, plus c depending on a (blocked by the cycle).
pub fn cycle() -> Scenario {
    let r = root();
    cluster(vec![
        ks("flux-system", "a", json!({"dependsOn": [{"name": "b"}]})).under(&r),
        ks(
            "flux-system",
            "b",
            json!({"dependsOn": [{"name": "a"}], "wait": true}),
        )
        .under(&r),
        ks(
            "flux-system",
            "c",
            json!({"dependsOn": [{"name": "a"}], "wait": true}),
        )
        .under(&r),
        r,
    ])
}

/// apps depends on a Kustomization that does not exist.
pub fn missing_dependency() -> Scenario {
    let r = root();
    cluster(vec![
        ks(
            "flux-system",
            "apps",
            json!({"dependsOn": [{"name": "infra-configs"}]}),
        )
        .under(&r),
        r,
    ])
}

/// apps renders a Certificate; cert-manager's CRDs come from a HelmRelease apps does not depend on.
pub fn crd_in_later_wave() -> Scenario {
    let r = root();
    let infra = ks("flux-system", "infra", json!({"wait": true}))
        .under(&r)
        .with(vec![namespace("cert-manager")]);
    let cm = hr("cert-manager", "cert-manager", json!({}))
        .under(&infra)
        .with(vec![
            crd("cert-manager.io", "Certificate", "certificates", false),
            deployment("cert-manager", "cert-manager"),
        ]);
    let apps = ks("flux-system", "apps", json!({"wait": true}))
        .under(&r)
        .with(vec![
            namespace("web"),
            obj("cert-manager.io/v1", "Certificate", "web", "tls"),
        ]);
    cluster(vec![r, infra, cm, apps])
}

/// cert-manager -> cert-manager-webhooks -> cert-manager-issuers, each a KS with an HR; issuers correctly ordered.
pub fn cert_manager_chain() -> Scenario {
    let r = root();
    let cm_ks = ks("flux-system", "cert-manager", json!({"wait": true})).under(&r);
    let cm_hr = hr(
        "cert-manager",
        "cert-manager",
        json!({"install": {"crds": "CreateReplace"}}),
    )
    .under(&cm_ks)
    .with(vec![
        crd("cert-manager.io", "Certificate", "certificates", false),
        crd("cert-manager.io", "Issuer", "issuers", false),
        crd("cert-manager.io", "ClusterIssuer", "clusterissuers", true),
        deployment("", "cert-manager"),
        deployment("", "cert-manager-webhook"),
    ]);
    let cm_ks = cm_ks.with(vec![namespace("cert-manager")]);
    let wh_ks = ks(
        "flux-system",
        "cert-manager-webhooks",
        json!({"wait": true, "dependsOn": [{"name": "cert-manager"}]}),
    )
    .under(&r);
    let wh_hr = hr("cert-manager", "cert-manager-webhook-ovh", json!({}))
        .under(&wh_ks)
        .with(vec![
            deployment("cert-manager", "webhook-ovh"),
            obj("cert-manager.io/v1", "Issuer", "", "webhook-ovh-selfsign"),
        ]);
    let iss_ks = ks(
        "flux-system",
        "cert-manager-issuers",
        json!({"wait": true, "dependsOn": [{"name": "cert-manager-webhooks"}]}),
    )
    .under(&r)
    .with(vec![obj(
        "cert-manager.io/v1",
        "ClusterIssuer",
        "",
        "letsencrypt",
    )]);
    cluster(vec![r, cm_ks, cm_hr, wh_ks, wh_hr, iss_ks])
}

/// kube-prometheus-stack depends on its -crds release, cert-manager and rook-ceph-rbd (HelmReleases).
pub fn kube_prometheus_stack() -> Scenario {
    let r = root();
    let infra = ks("flux-system", "infrastructure", json!({"wait": true}))
        .under(&r)
        .with(vec![
            namespace("monitoring"),
            namespace("cert-manager"),
            namespace("rook-ceph"),
        ]);
    let crds = hr("monitoring", "kube-prometheus-stack-crds", json!({}))
        .under(&infra)
        .with(vec![
            crd(
                "monitoring.coreos.com",
                "ServiceMonitor",
                "servicemonitors",
                false,
            ),
            crd(
                "monitoring.coreos.com",
                "PrometheusRule",
                "prometheusrules",
                false,
            ),
            crd("monitoring.coreos.com", "Prometheus", "prometheuses", false),
        ]);
    let cm = hr("cert-manager", "cert-manager", json!({}))
        .under(&infra)
        .with(vec![
            crd("cert-manager.io", "Certificate", "certificates", false),
            deployment("", "cert-manager"),
        ]);
    let rbd = hr("rook-ceph", "rook-ceph-rbd", json!({}))
        .under(&infra)
        .with(vec![obj(
            "storage.k8s.io/v1",
            "StorageClass",
            "",
            "ceph-block",
        )]);
    let kps = hr(
        "monitoring",
        "kube-prometheus-stack",
        json!({"timeout": "15m", "dependsOn": [
            {"name": "kube-prometheus-stack-crds"},
            {"name": "cert-manager", "namespace": "cert-manager"},
            {"name": "rook-ceph-rbd", "namespace": "rook-ceph"}]}),
    )
    .under(&infra)
    .with(vec![
        deployment("", "kps-operator"),
        obj("monitoring.coreos.com/v1", "Prometheus", "", "kps"),
        obj(
            "monitoring.coreos.com/v1",
            "ServiceMonitor",
            "",
            "kps-operator",
        ),
        obj("cert-manager.io/v1", "Certificate", "", "kps-admission"),
        obj("v1", "PersistentVolumeClaim", "", "grafana"),
    ]);
    cluster(vec![r, infra, crds, cm, rbd, kps])
}

/// apps depends on infra, which has neither wait nor healthChecks.
pub fn wait_false_dependency() -> Scenario {
    let r = root();
    let infra = ks("flux-system", "infra", json!({}))
        .under(&r)
        .with(vec![deployment("flux-system", "ingress")]);
    let apps = ks(
        "flux-system",
        "apps",
        json!({"dependsOn": [{"name": "infra"}], "wait": true}),
    )
    .under(&r);
    cluster(vec![r, infra, apps])
}

/// Substitution variables: one undefined, one unused, one conflicting between two ConfigMaps.
pub fn vars() -> Scenario {
    let r = root();
    let settings = ks("flux-system", "settings", json!({"wait": true}))
        .under(&r)
        .with(vec![
            configmap("flux-system", "cluster-settings"),
            configmap("flux-system", "extra-settings"),
        ]);
    let sub = json!({"dependsOn": [{"name": "settings"}], "postBuild": {"substituteFrom": [
        {"kind": "ConfigMap", "name": "cluster-settings"}, {"kind": "ConfigMap", "name": "extra-settings"}]}});
    let apps = ks("flux-system", "apps", sub.clone())
        .under(&r)
        .defines("DOMAIN", "ConfigMap flux-system/cluster-settings", "aaaa")
        .defines(
            "UNUSED_VAR",
            "ConfigMap flux-system/cluster-settings",
            "bbbb",
        )
        .defines("APP", "inline", "cccc")
        .uses(&["DOMAIN", "APP", "MISSING_VAR"]);
    let web = ks("flux-system", "web", sub)
        .under(&r)
        .defines("DOMAIN", "ConfigMap flux-system/extra-settings", "dddd")
        .uses(&["DOMAIN"]);
    // Uses variables but does not substitute: no undefined-variable finding.
    let plain = ks("flux-system", "plain", json!({}))
        .under(&r)
        .uses(&["NOT_SUBSTITUTED"]);
    cluster(vec![r, settings, apps, web, plain])
}

/// The same ConfigMap rendered by two Kustomizations.
pub fn duplicates() -> Scenario {
    let r = root();
    let a = ks("flux-system", "a", json!({}))
        .under(&r)
        .with(vec![configmap("flux-system", "shared")]);
    let b = ks("flux-system", "b", json!({}))
        .under(&r)
        .with(vec![configmap("flux-system", "shared")]);
    cluster(vec![r, a, b])
}

/// `apps` uses namespace web that nothing creates; `db` uses namespace data created by a KS it does not depend on.
pub fn namespaces() -> Scenario {
    let r = root();
    let ns = ks("flux-system", "namespaces", json!({"wait": true}))
        .under(&r)
        .with(vec![namespace("data")]);
    let apps = ks("flux-system", "apps", json!({}))
        .under(&r)
        .with(vec![deployment("web", "site")]);
    let db = ks("flux-system", "db", json!({}))
        .under(&r)
        .with(vec![deployment("data", "postgres")]);
    let ok = ks(
        "flux-system",
        "ok",
        json!({"dependsOn": [{"name": "namespaces"}]}),
    )
    .under(&r)
    .with(vec![deployment("data", "redis")]);
    cluster(vec![r, ns, apps, db, ok])
}

/// One Kustomization file that nothing applies.
pub fn orphans() -> Scenario {
    let mut input = cluster(vec![root()]);
    input.flux_files.push(FluxFile {
        path: "clusters/old/apps.yaml".to_string(),
        kind: OwnerKind::Kustomization,
        namespace: Some("flux-system".to_string()),
        name: "apps".to_string(),
    });
    input
}
