//! Container images in rendered objects: which images each object runs, which owners and
//! objects use an image, and which images a change introduces (the list an image pre-pull job
//! reads). Pure functions of the objects they are given; nothing here knows how they were made.
//!
//! Pod specs are read where Kubernetes puts them: a Pod's `spec`, a workload's
//! `spec.template.spec` (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job,
//! ReplicationController, and any custom resource with the same shape, such as an Argo Rollout or
//! an actions-runner-controller AutoscalingRunnerSet) and a CronJob's
//! `spec.jobTemplate.spec.template.spec`. In a pod spec: `containers`, `initContainers`,
//! `ephemeralContainers` and image volumes (`volumes[].image.reference`, Kubernetes 1.31).
//! A few operators' custom resources name their image elsewhere; the kinds below are the ones
//! flux-local's `flux_local/image.py` lists (allenporter/flux-local), read the same way: every
//! `image` (or CNPG's `imageName`) string under `spec`.

use crate::model::{ObjectKey, OwnerId};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Where a pod spec sits in a workload (JSON pointers), for every kind but Pod.
const POD_SPEC_PATHS: [&str; 2] = [
    "/spec/template/spec",
    "/spec/jobTemplate/spec/template/spec",
];

/// Pod spec fields that list containers.
const CONTAINER_LISTS: [&str; 3] = ["containers", "initContainers", "ephemeralContainers"];

/// Custom resources that name images outside a pod spec: (API group, kind, field name). Every
/// string in a field of that name below `spec` is an image.
const CUSTOM_IMAGE_FIELDS: [(&str, &str, &str); 8] = [
    ("postgresql.cnpg.io", "Cluster", "imageName"),
    ("ceph.rook.io", "CephCluster", "image"),
    ("monitoring.coreos.com", "Prometheus", "image"),
    ("monitoring.coreos.com", "Alertmanager", "image"),
    ("monitoring.coreos.com", "ThanosRuler", "image"),
    ("apps.emqx.io", "EMQX", "image"),
    ("upgrade.cattle.io", "Plan", "image"),
    ("gateway.envoyproxy.io", "EnvoyProxy", "image"),
];

/// An object that runs an image, and the Kustomization or HelmRelease that applies it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ImageUser {
    pub owner: OwnerId,
    pub object: ObjectKey,
}

/// Every image reference, with the objects that use it; both sorted.
pub type ImageIndex = BTreeMap<String, BTreeSet<ImageUser>>;

/// The images one object runs, sorted and without duplicates.
pub fn object_images(obj: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let kind = obj.get("kind").and_then(Value::as_str).unwrap_or("");
    if kind == "Pod" {
        if let Some(spec) = obj.get("spec") {
            pod_spec_images(spec, &mut out);
        }
    } else {
        for path in POD_SPEC_PATHS {
            if let Some(spec) = obj.pointer(path) {
                pod_spec_images(spec, &mut out);
            }
        }
    }
    let key = ObjectKey::of(obj);
    for (group, kind, field) in CUSTOM_IMAGE_FIELDS {
        if key.group == group
            && key.kind == kind
            && let Some(spec) = obj.get("spec")
        {
            field_images(spec, field, &mut out);
        }
    }
    out
}

fn pod_spec_images(spec: &Value, out: &mut BTreeSet<String>) {
    for list in CONTAINER_LISTS {
        for container in spec
            .get(list)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            add(container.get("image"), out);
        }
    }
    for volume in spec
        .get("volumes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        add(volume.pointer("/image/reference"), out);
    }
}

/// Every `field` string (or `field.reference`) at any depth of `v`.
fn field_images(v: &Value, field: &str, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                if k == field {
                    add(Some(child), out);
                    add(child.get("reference"), out);
                }
                field_images(child, field, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| field_images(i, field, out)),
        _ => {}
    }
}

fn add(v: Option<&Value>, out: &mut BTreeSet<String>) {
    if let Some(image) = v.and_then(Value::as_str).map(str::trim)
        && !image.is_empty()
    {
        out.insert(image.to_string());
    }
}

/// The images the given owners' objects run, with who runs them.
pub fn index<'a>(owners: impl IntoIterator<Item = (&'a OwnerId, &'a [Value])>) -> ImageIndex {
    let mut index = ImageIndex::new();
    for (owner, objects) in owners {
        for obj in objects {
            for image in object_images(obj) {
                index.entry(image).or_default().insert(ImageUser {
                    owner: owner.clone(),
                    object: ObjectKey::of(obj),
                });
            }
        }
    }
    index
}

/// The images `head` uses and `base` does not, sorted; with `include_removed`, also those only
/// `base` uses.
pub fn introduced(base: &ImageIndex, head: &ImageIndex, include_removed: bool) -> Vec<String> {
    let mut out: BTreeSet<&String> = head.keys().filter(|i| !base.contains_key(*i)).collect();
    if include_removed {
        out.extend(base.keys().filter(|i| !head.contains_key(*i)));
    }
    out.into_iter().cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::OwnerKind;
    use serde_json::json;

    fn pod_spec(image: &str) -> Value {
        json!({
            "initContainers": [{"name": "init", "image": "ghcr.io/o/init:1"}],
            "containers": [{"name": "app", "image": image}, {"name": "sidecar", "image": "ghcr.io/o/side:2"}],
            "ephemeralContainers": [{"name": "debug", "image": "busybox:1.36"}],
            "volumes": [{"name": "data", "image": {"reference": "ghcr.io/o/data:3"}}, {"name": "tmp", "emptyDir": {}}]
        })
    }

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn reads_every_container_list_and_image_volumes() {
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": pod_spec("ghcr.io/o/app:1.0")});
        assert_eq!(
            object_images(&pod),
            set(&[
                "busybox:1.36",
                "ghcr.io/o/app:1.0",
                "ghcr.io/o/data:3",
                "ghcr.io/o/init:1",
                "ghcr.io/o/side:2"
            ])
        );
    }

    #[test]
    fn reads_workload_templates_and_cronjob_job_templates() {
        for kind in [
            "Deployment",
            "StatefulSet",
            "DaemonSet",
            "ReplicaSet",
            "Job",
        ] {
            let obj = json!({"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": "w"},
                "spec": {"template": {"spec": {"containers": [{"image": "nginx:1.27"}]}}}});
            assert_eq!(object_images(&obj), set(&["nginx:1.27"]), "{kind}");
        }
        let cron = json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"},
            "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"image": "ghcr.io/o/job:9"}]}}}}}});
        assert_eq!(object_images(&cron), set(&["ghcr.io/o/job:9"]));
        // A custom resource with a pod template (an Argo Rollout) is read the same way.
        let rollout = json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
            "spec": {"template": {"spec": {"containers": [{"image": "ghcr.io/o/r:1"}]}}}});
        assert_eq!(object_images(&rollout), set(&["ghcr.io/o/r:1"]));
    }

    #[test]
    fn reads_known_custom_resources_only_in_their_fields() {
        let cnpg = json!({"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster",
            "spec": {"imageName": "ghcr.io/cloudnative-pg/postgresql:16.4", "image": "not-this"}});
        assert_eq!(
            object_images(&cnpg),
            set(&["ghcr.io/cloudnative-pg/postgresql:16.4"])
        );
        let ceph = json!({"apiVersion": "ceph.rook.io/v1", "kind": "CephCluster",
            "spec": {"cephVersion": {"image": "quay.io/ceph/ceph:v18.2.4"}}});
        assert_eq!(object_images(&ceph), set(&["quay.io/ceph/ceph:v18.2.4"]));
        // A ConfigMap that happens to say `image:` runs nothing; neither does a pod spec without
        // an image, or a non-string image.
        let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "data": {"image": "x:1"}});
        assert!(object_images(&cm).is_empty());
        let odd = json!({"kind": "Pod", "spec": {"containers": [{"name": "a"}, {"image": {"repository": "x"}}]}});
        assert!(object_images(&odd).is_empty());
    }

    #[test]
    fn index_names_owner_and_object_and_introduced_is_head_minus_base() {
        let owner = OwnerId::new(OwnerKind::HelmRelease, "apps", "web");
        let deploy = |image: &str| {
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "apps"},
                "spec": {"template": {"spec": {"containers": [{"image": image}, {"image": "ghcr.io/o/shared:1"}]}}}})
        };
        let base_objects = [deploy("ghcr.io/o/web:1")];
        let head_objects = [deploy("ghcr.io/o/web:2")];
        let base = index([(&owner, &base_objects[..])]);
        let head = index([(&owner, &head_objects[..])]);
        let users = &head["ghcr.io/o/web:2"];
        assert_eq!(users.len(), 1);
        let user = users.iter().next().unwrap();
        assert_eq!(user.owner, owner);
        assert_eq!(user.object.label(), "Deployment.apps/apps/web");
        assert_eq!(introduced(&base, &head, false), ["ghcr.io/o/web:2"]);
        assert_eq!(
            introduced(&base, &head, true),
            ["ghcr.io/o/web:1", "ghcr.io/o/web:2"]
        );
        assert!(introduced(&head, &head, true).is_empty());
    }
}
