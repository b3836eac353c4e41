//! Changed-only mode as the scheduler sees it: which builds may be skipped, and when skipped
//! ones must be brought back because something selected may need what they make.
//!
//! Outside changed-only mode the engine has no [`ChangedOnly`] and builds everything.

use super::vars::{VarKey, VarsIndex, key};
use super::{Pending, Queue};
use crate::build::Skipped;
use crate::model::{Outcome, OwnerId, OwnerKind, OwnerRecord};
use crate::select::{self, Role, Selection};
use crate::sources::Sources;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

/// Changed-only mode's state for one run: each Kustomization's role and what the unbuilt ones
/// read, plus the bookkeeping that brings unbuilt ones back.
pub struct ChangedOnly {
    pub selection: Arc<Selection>,
    roles: BTreeMap<OwnerId, Role>,
    unbuilt: BTreeMap<OwnerId, Skipped>,
    /// Probes found unchanged while some of what they read was unknown: built after all when a
    /// selected build turns out to make it (see [`ChangedOnly::recall`]).
    let_go: HashMap<OwnerId, Vec<VarKey>>,
    /// The build-everything last resort has been used.
    revived_all: bool,
}

impl ChangedOnly {
    pub fn new(selection: Arc<Selection>) -> ChangedOnly {
        ChangedOnly {
            selection,
            roles: BTreeMap::new(),
            unbuilt: BTreeMap::new(),
            let_go: HashMap::new(),
            revived_all: false,
        }
    }

    /// The role changed-only mode gave a Kustomization (Selected when it was never decided).
    pub fn role(&self, id: &OwnerId) -> Role {
        self.roles.get(id).copied().unwrap_or_default()
    }

    pub(super) fn set_role(&mut self, id: &OwnerId, role: Role) {
        self.roles.insert(id.clone(), role);
    }

    /// Records an unbuilt build; `probe_refs`: what it awaited when it was only probed.
    pub(super) fn record_unbuilt(&mut self, p: &Pending, skipped: Skipped) {
        let id = p.record.id.clone();
        if p.flags.probe {
            let ks = p.ks();
            let keys = p.refs.iter().map(|r| key(ks, r)).collect();
            self.let_go.insert(id.clone(), keys);
        }
        self.unbuilt.insert(id.clone(), skipped);
        self.set_role(&id, Role::Unchanged);
    }

    /// A selected build made new objects: let-go probes that read one of them come back.
    pub(super) fn recall(&mut self, queue: &mut Queue, vars: &VarsIndex) {
        if self.let_go.is_empty() {
            return;
        }
        let ids: HashSet<OwnerId> = self
            .let_go
            .iter()
            .filter(|(_, keys)| keys.iter().any(|k| vars.made_by_selected(k)))
            .map(|(id, _)| id.clone())
            .collect();
        self.let_go.retain(|id, _| !ids.contains(id));
        self.revive(queue, |id, _| ids.contains(id));
    }

    /// Nothing runs and nothing waits: unbuilt leaves that name an input of what is selected
    /// are built after all. Returns whether it queued anything.
    pub(super) fn when_done(&mut self, queue: &mut Queue, sources: &Sources) -> bool {
        let outputs = queue.done.values().map(|r| (self.role(&r.id), r));
        let needles = select::input_needles(&self.selection, outputs, |(k, ns, n)| {
            sources.is_local(k, ns, n)
        });
        if self.revive(queue, |_, s| s.wanted_by(&needles)) {
            return true;
        }
        // An input no file names (a prefix, a variable) may still be made by one.
        !needles.missing.is_empty() && self.revive_all_once(queue)
    }

    /// Nothing runs but builds still await substituteFrom objects that may come from unbuilt
    /// Kustomizations. Only a needed build's variables matter, so each waiting build is first
    /// probed (decided, not built); then the unbuilt ones whose files name an awaited object are
    /// built; as the last resort, every unbuilt one. Returns whether it queued anything.
    pub(super) fn when_stuck(&mut self, queue: &mut Queue, vars: &VarsIndex) -> bool {
        if !self.revived_all {
            let mut probing = false;
            for p in queue.pending.values_mut() {
                if !p.flags.probed && !p.force {
                    (p.flags.probe, p.flags.probed, p.force) = (true, true, true);
                    probing = true;
                }
            }
            if probing {
                return true;
            }
            let awaited: BTreeSet<String> = queue
                .pending
                .values()
                .flat_map(|p| p.refs.iter().map(move |r| (p, r)))
                .filter(|(p, r)| !vars.contains(&key(p.ks(), r)))
                .map(|(_, r)| r.1.clone())
                .collect();
            let needles: Vec<&str> = awaited.iter().map(String::as_str).collect();
            if self.revive(queue, |_, s| s.names(&needles)) {
                return true;
            }
        }
        // A name no file spells out (a prefix, a variable): build every unbuilt one.
        self.revive_all_once(queue)
    }

    /// The last resort, once per run: every unbuilt Kustomization is built.
    fn revive_all_once(&mut self, queue: &mut Queue) -> bool {
        !std::mem::replace(&mut self.revived_all, true) && self.revive(queue, |_, _| true)
    }

    /// Puts the unbuilt Kustomizations `pick` chooses back in the queue, to be built this time.
    fn revive(&mut self, queue: &mut Queue, pick: impl Fn(&OwnerId, &Skipped) -> bool) -> bool {
        let ids: Vec<OwnerId> = self
            .unbuilt
            .iter()
            .filter(|(id, s)| pick(id, s))
            .map(|(id, _)| id.clone())
            .collect();
        for id in &ids {
            self.unbuilt.remove(id);
            if let Some(mut record) = queue.done.remove(id) {
                record.outcome = Outcome::Pending;
                queue.enqueue(record, false);
                if let Some(p) = queue.pending.get_mut(id) {
                    p.flags.no_skip = true;
                }
            }
        }
        !ids.is_empty()
    }

    /// Whether a Kustomization produced by a build of `parent_role` may differ from the base.
    pub(super) fn child_inherits(
        parent_role: Role,
        reach: &select::ChangeReach,
        file: Option<&str>,
        origins: &[Option<String>],
    ) -> bool {
        parent_role == Role::Selected && reach.covers(file, origins)
    }

    /// Whether any substituteFrom object of `p` was made by a selected build.
    pub(super) fn reads_selected_vars(p: &Pending, vars: &VarsIndex) -> bool {
        p.refs
            .iter()
            .any(|r| vars.made_by_selected(&key(p.ks(), r)))
    }

    /// The Kustomizations that are neither selected nor ancestors of a selected owner (or of a
    /// HelmRelease, whose parents are `release_parents`): changed-only mode does not report them.
    pub fn unaffected(
        &self,
        owners: &BTreeMap<OwnerId, OwnerRecord>,
        release_parents: impl Iterator<Item = OwnerId>,
    ) -> BTreeSet<OwnerId> {
        let selected = self.selected_kustomizations(owners);
        let mut shown = BTreeSet::new();
        let starts: Vec<OwnerId> = selected.into_iter().chain(release_parents).collect();
        for start in starts {
            let mut at = Some(start);
            while let Some(id) = at {
                if !shown.insert(id.clone()) {
                    break;
                }
                at = owners.get(&id).and_then(|r| r.parent.clone());
            }
        }
        owners
            .keys()
            .filter(|id| id.kind == OwnerKind::Kustomization && !shown.contains(*id))
            .cloned()
            .collect()
    }

    /// The Kustomizations this run selected (before ancestors are added).
    pub fn selected_kustomizations(
        &self,
        owners: &BTreeMap<OwnerId, OwnerRecord>,
    ) -> BTreeSet<OwnerId> {
        owners
            .keys()
            .filter(|id| id.kind == OwnerKind::Kustomization && self.role(id) == Role::Selected)
            .cloned()
            .collect()
    }
}
