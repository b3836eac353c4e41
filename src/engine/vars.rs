//! The substituteFrom objects builds have made, and what one build reads of them.

use super::Pending;
use crate::build::BuildOutput;
use crate::flux::Kustomization;
use crate::object::ObjectKey;
use crate::postbuild::VarLookup;
use crate::substitute::RefKind;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

/// A substituteFrom object: (kind, namespace, name).
pub(super) type VarKey = (String, String, String);

/// substituteFrom objects, and whether a selected build made them.
pub(super) type VarsIndex = HashMap<VarKey, (Value, bool)>;

pub(super) fn kind_name(kind: &RefKind) -> &'static str {
    match kind {
        RefKind::ConfigMap => "ConfigMap",
        RefKind::Secret => "Secret",
    }
}

pub(super) fn key(ks: &Kustomization, r: &(RefKind, String)) -> VarKey {
    (
        kind_name(&r.0).to_string(),
        ks.id.namespace.clone(),
        r.1.clone(),
    )
}

pub(super) fn index_vars(out: &BuildOutput, selected: bool, index: &mut VarsIndex) {
    for obj in &out.objects {
        let k = ObjectKey::of(obj);
        if k.group.is_empty()
            && (k.kind == "ConfigMap" || k.kind == "Secret")
            && !k.namespace.is_empty()
        {
            index
                .entry((k.kind, k.namespace, k.name))
                .or_insert_with(|| (obj.clone(), selected));
        }
    }
}

/// Whether a substituteFrom object of `p` was made by a selected build.
pub(super) fn reads_selected_vars(p: &Pending, index: &VarsIndex) -> bool {
    p.refs
        .iter()
        .any(|r| index.get(&key(&p.node.ks, r)).is_some_and(|(_, s)| *s))
}

/// A lookup over the substituteFrom objects this build reads, frozen when it starts.
pub(super) fn lookup_for(p: &Pending, index: &VarsIndex) -> VarLookup {
    let found: HashMap<(String, String), Value> = p
        .refs
        .iter()
        .filter_map(|r| {
            let k = key(&p.node.ks, r);
            index.get(&k).map(|(v, _)| ((k.0, k.2), v.clone()))
        })
        .collect();
    Arc::new(move |kind: &RefKind, name: &str| {
        found
            .get(&(kind_name(kind).to_string(), name.to_string()))
            .cloned()
    })
}
