//! The substituteFrom objects builds have made, and what one build reads of them.

use crate::flux::Kustomization;
use crate::model::{ObjectKey, RenderedObject};
use crate::postbuild::VarLookup;
use crate::substitute::RefKind;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

/// A substituteFrom object: (kind, namespace, name).
pub(super) type VarKey = (String, String, String);

/// substituteFrom objects, and whether a selected build made them.
#[derive(Default)]
pub(super) struct VarsIndex {
    objects: HashMap<VarKey, (Value, bool)>,
}

pub(super) fn kind_name(kind: &RefKind) -> &'static str {
    match kind {
        RefKind::ConfigMap => "ConfigMap",
        RefKind::Secret => "Secret",
    }
}

/// The key a Kustomization's substituteFrom reference is looked up by (its own namespace).
pub(super) fn key(ks: &Kustomization, r: &(RefKind, String)) -> VarKey {
    (
        kind_name(&r.0).to_string(),
        ks.id.namespace.clone(),
        r.1.clone(),
    )
}

impl VarsIndex {
    /// Records the ConfigMaps and Secrets a build made; the first producer of a key wins.
    pub(super) fn add(&mut self, objects: &[RenderedObject], selected: bool) {
        for o in objects {
            let k = ObjectKey::of(&o.object);
            if k.group.is_empty()
                && (k.kind == "ConfigMap" || k.kind == "Secret")
                && !k.namespace.is_empty()
            {
                self.objects
                    .entry((k.kind, k.namespace, k.name))
                    .or_insert_with(|| (o.object.clone(), selected));
            }
        }
    }

    pub(super) fn contains(&self, key: &VarKey) -> bool {
        self.objects.contains_key(key)
    }

    /// Whether a selected build made `key`.
    pub(super) fn made_by_selected(&self, key: &VarKey) -> bool {
        self.objects.get(key).is_some_and(|(_, s)| *s)
    }

    /// A lookup over the substituteFrom objects of `ks`, frozen when its build starts.
    pub(super) fn lookup_for(&self, ks: &Kustomization, refs: &[(RefKind, String)]) -> VarLookup {
        let found: HashMap<(String, String), Value> = refs
            .iter()
            .filter_map(|r| {
                let k = key(ks, r);
                self.objects.get(&k).map(|(v, _)| ((k.0, k.2), v.clone()))
            })
            .collect();
        Arc::new(move |kind: &RefKind, name: &str| {
            found
                .get(&(kind_name(kind).to_string(), name.to_string()))
                .cloned()
        })
    }
}
