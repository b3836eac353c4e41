//! Index of every rendered object: which owner produces which object, which owner renders the CRD of
//! each custom type, and object scopes. Owners are addressed by their node index in `OwnerGraph`.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use super::objects::{Scopes, crd_target, group_of, object_key};
use super::spec::{release_namespace, str_at};
use crate::model::{ObjectKey, OwnerKind, OwnerRecord};

/// Objects per owner and reverse indexes.
#[derive(Debug, Default)]
pub struct Catalog {
    pub scopes: Scopes,
    /// Keys of the objects each owner renders, in render order (node index → keys).
    pub keys: Vec<Vec<ObjectKey>>,
    /// Owners rendering an object (more than one is a conflict).
    pub producers: HashMap<ObjectKey, Vec<usize>>,
    /// Owners that cause an object to exist, including Secrets created at runtime from a rendered
    /// ExternalSecret or SealedSecret: what ordering edges look up.
    pub providers: HashMap<ObjectKey, Vec<usize>>,
    /// (group, kind) → owners rendering its CustomResourceDefinition.
    pub crds: BTreeMap<(String, String), Vec<usize>>,
}

/// Namespace a namespaced object without one lands in: a HelmRelease's release namespace.
/// A Kustomization has no such default (the apply would fail), so none is assumed.
pub fn default_namespace(owner: &OwnerRecord) -> Option<String> {
    match owner.id.kind {
        OwnerKind::HelmRelease => Some(release_namespace(owner)),
        OwnerKind::Kustomization => None,
    }
}

/// A Secret created at runtime by a controller from a rendered object (producer-aware lookups).
fn derived_secret(obj: &Value, key: &ObjectKey) -> Option<ObjectKey> {
    let group = group_of(obj.get("apiVersion")?.as_str()?);
    let name = match (group, key.kind.as_str()) {
        ("external-secrets.io", "ExternalSecret") => {
            str_at(obj, &["spec", "target", "name"]).unwrap_or(&key.name)
        }
        ("bitnami.com", "SealedSecret") => {
            str_at(obj, &["spec", "template", "metadata", "name"]).unwrap_or(&key.name)
        }
        _ => return None,
    };
    Some(ObjectKey::new("", "Secret", &key.namespace, name))
}

impl Catalog {
    /// `owners[i]` is node i.
    pub fn build(owners: &[&OwnerRecord]) -> Catalog {
        let mut cat = Catalog::default();
        // Scopes first: a HelmRelease's cluster-scoped CRs must not get its namespace.
        for obj in owners.iter().flat_map(|o| o.values()) {
            cat.scopes.learn(obj);
        }
        for (node, owner) in owners.iter().enumerate() {
            let default_ns = default_namespace(owner);
            let mut keys = Vec::with_capacity(owner.objects.len());
            for obj in owner.values() {
                let Some(key) = object_key(obj, default_ns.as_deref(), &cat.scopes) else {
                    continue;
                };
                if let Some((group, kind, _)) = crd_target(obj) {
                    push_unique(cat.crds.entry((group, kind)).or_default(), node);
                }
                if let Some(secret) = derived_secret(obj, &key) {
                    push_unique(cat.providers.entry(secret).or_default(), node);
                }
                push_unique(cat.producers.entry(key.clone()).or_default(), node);
                push_unique(cat.providers.entry(key.clone()).or_default(), node);
                keys.push(key);
            }
            cat.keys.push(keys);
        }
        cat
    }

    /// Owners that make `key` exist (rendered or derived), in node order.
    pub fn providers_of(&self, key: &ObjectKey) -> &[usize] {
        self.providers.get(key).map(Vec::as_slice).unwrap_or(&[])
    }
}

fn push_unique(v: &mut Vec<usize>, node: usize) {
    if v.last() != Some(&node) && !v.contains(&node) {
        v.push(node);
    }
}
