//! Changed-only mode: bringing back Kustomizations it left unbuilt when something may need them.

use super::vars::{VarKey, VarsIndex, key};
use super::{ClusterRender, Outcome, Pending, enqueue};
use crate::build::Skipped;
use crate::flux::NamespacedName;
use indicatif::ProgressBar;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// Changed-only mode, nothing runs and builds still await substituteFrom objects that may come
/// from Kustomizations left unbuilt. Only a needed build's variables matter, so each waiting
/// build is first probed (decided, not built); then the unbuilt Kustomizations whose files name
/// an awaited object are built. Returns whether it queued anything.
pub(super) fn unblock_for_vars(
    render: &mut ClusterRender,
    pending: &mut BTreeMap<NamespacedName, Pending>,
    vars_index: &VarsIndex,
    progress: &ProgressBar,
) -> bool {
    let mut probing = false;
    for p in pending.values_mut().filter(|p| !p.probed && !p.force) {
        (p.probe, p.probed, p.force) = (true, true, true);
        probing = true;
    }
    if probing {
        return true;
    }
    let awaited: BTreeSet<String> = pending
        .values()
        .flat_map(|p| p.refs.iter().map(move |r| (p, r)))
        .filter(|(p, r)| !vars_index.contains_key(&key(&p.node.ks, r)))
        .map(|(_, r)| r.1.clone())
        .collect();
    let needles: Vec<&str> = awaited.iter().map(String::as_str).collect();
    revive(render, pending, progress, |_, s| s.names(&needles))
}

/// Queues again the let-go probes that read an object a selected build made: their variables
/// may differ from the base, so they are selected after all.
pub(super) fn recall(
    render: &mut ClusterRender,
    pending: &mut BTreeMap<NamespacedName, Pending>,
    let_go: &mut HashMap<NamespacedName, Vec<VarKey>>,
    vars_index: &VarsIndex,
    progress: &ProgressBar,
) {
    let selected = |k: &VarKey| vars_index.get(k).is_some_and(|(_, s)| *s);
    let ids: HashSet<NamespacedName> = let_go
        .iter()
        .filter(|(_, keys)| keys.iter().any(selected))
        .map(|(id, _)| id.clone())
        .collect();
    let_go.retain(|id, _| !ids.contains(id));
    revive(render, pending, progress, |id, _| ids.contains(id));
}

/// The last resort, once per run: every unbuilt Kustomization is built. Returns whether it
/// queued anything.
pub(super) fn revive_all_once(
    done: &mut bool,
    render: &mut ClusterRender,
    pending: &mut BTreeMap<NamespacedName, Pending>,
    progress: &ProgressBar,
) -> bool {
    !std::mem::replace(done, true) && revive(render, pending, progress, |_, _| true)
}

/// Puts unbuilt Kustomizations that `pick` chooses back in the queue, to be built this time.
pub(super) fn revive(
    render: &mut ClusterRender,
    pending: &mut BTreeMap<NamespacedName, Pending>,
    progress: &ProgressBar,
    pick: impl Fn(&NamespacedName, &Skipped) -> bool,
) -> bool {
    let ids: Vec<NamespacedName> = render
        .kustomizations
        .iter()
        .filter(|(id, n)| matches!(&n.outcome, Outcome::Unchanged(s) if pick(id, s)))
        .map(|(id, _)| id.clone())
        .collect();
    for id in &ids {
        if let Some(mut node) = render.kustomizations.remove(id) {
            node.outcome = Outcome::Failed(String::new());
            enqueue(pending, node, false, progress);
            if let Some(p) = pending.get_mut(id) {
                p.no_skip = true;
            }
        }
    }
    !ids.is_empty()
}
