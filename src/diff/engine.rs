//! The diff engine: pairs owners and their objects across the two sides and computes per-object
//! unified patches. Pure: no I/O, deterministic output order.

use super::model::{
    ClusterDiff, Counts, DiffOptions, ObjectChange, ObjectDiff, ObjectRef, OwnerChange, OwnerDiff,
    OwnerId, Side, SideOwner, SideState,
};
use super::normalize::{object_key, object_text};
use serde_json::Value;
use similar::{ChangeTag, TextDiff};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// Past this, similar approximates instead of finding the minimal diff: a huge generated object
/// must not stall a CI job.
const DIFF_TIMEOUT: Duration = Duration::from_secs(2);

/// Compares `base` (e.g. the target branch) with `head` (the PR). Owners outside `opts.scope` are
/// ignored. Objects pair by owner plus (group, kind, namespace, name).
pub fn diff(base: &Side, head: &Side, opts: &DiffOptions) -> ClusterDiff {
    let refs: BTreeSet<&OwnerId> = base
        .owners
        .keys()
        .chain(head.owners.keys())
        .filter(|r| opts.scope.includes(r.kind))
        .collect();
    let owners = refs
        .into_iter()
        .map(|r| {
            let mut d = diff_owner(r, base.owners.get(r), head.owners.get(r), opts);
            if matches!(d.change, OwnerChange::Added | OwnerChange::Removed)
                && let Some(note) = unknown_ancestor(r, base, head)
            {
                // Gone on a side where what applies it failed: its objects are unknown there.
                d.change = OwnerChange::NotCompared;
                d.note = Some(note);
                d.counts = Counts::default();
                d.objects.clear();
            }
            d
        })
        .collect();
    ClusterDiff { owners }
}

/// For an owner present on one side only: an ancestor on the other side whose render failed
/// or is unknown (then the owner's absence there says nothing), as a note.
fn unknown_ancestor(owner: &OwnerId, base: &Side, head: &Side) -> Option<String> {
    let (present, absent, absent_name) = if base.owners.contains_key(owner) {
        (base, head, "head")
    } else {
        (head, base, "base")
    };
    let mut at = present.parents.get(owner);
    let mut seen = 0;
    while let Some(parent) = at {
        let state = SideState::from_status(absent.owners.get(parent));
        if state.is_unknown() {
            let what = match state {
                SideState::Failed(_) => "failed",
                _ => "is unavailable",
            };
            return Some(format!(
                "not compared: {parent} {what} on {absent_name}, so what it applies is unknown there"
            ));
        }
        seen += 1;
        if seen > 64 {
            break; // a parent loop in malformed input
        }
        at = present.parents.get(parent);
    }
    None
}

fn diff_owner(
    owner: &OwnerId,
    base: Option<&SideOwner>,
    head: Option<&SideOwner>,
    opts: &DiffOptions,
) -> OwnerDiff {
    let base_state = SideState::from_status(base);
    let head_state = SideState::from_status(head);
    let mut out = OwnerDiff {
        owner: owner.clone(),
        change: OwnerChange::Unchanged,
        base: base_state.clone(),
        head: head_state.clone(),
        note: status_note(&base_state, &head_state),
        counts: Counts::default(),
        objects: Vec::new(),
    };
    use SideState::{Absent, Rendered};
    out.change = match (&base_state, &head_state) {
        (b, h) if b.is_unknown() && h.is_unknown() => OwnerChange::FailedOnBoth,
        // Gone on head: a real removal even if the base render failed (its objects are unknown).
        (b, Absent) if b.is_unknown() => OwnerChange::Removed,
        (b, h) if b.is_unknown() || h.is_unknown() => OwnerChange::NotCompared,
        (Absent, Absent) => OwnerChange::Unchanged,
        (Absent, Rendered) | (Rendered, Absent) | (Rendered, Rendered) => {
            let objects = diff_objects(
                owner,
                base.map(|o| o.objects.as_slice()).unwrap_or_default(),
                head.map(|o| o.objects.as_slice()).unwrap_or_default(),
                opts,
            );
            for o in &objects {
                match o.change {
                    ObjectChange::Added => out.counts.added += 1,
                    ObjectChange::Removed => out.counts.removed += 1,
                    ObjectChange::Changed => out.counts.changed += 1,
                }
                out.counts.insertions += o.insertions;
                out.counts.deletions += o.deletions;
            }
            out.objects = objects;
            match (&base_state, &head_state) {
                (Absent, _) => OwnerChange::Added,
                (_, Absent) => OwnerChange::Removed,
                _ if out.objects.is_empty() => OwnerChange::Unchanged,
                _ => OwnerChange::Changed,
            }
        }
        // Every unknown combination is matched above.
        _ => OwnerChange::NotCompared,
    };
    out
}

/// `failed on head: <msg>; its objects are not compared`, and the like.
fn status_note(base: &SideState, head: &SideState) -> Option<String> {
    fn what(s: &SideState) -> Option<(&'static str, &str)> {
        match s {
            SideState::Failed(m) => Some(("failed", m)),
            SideState::Unavailable(m) => Some(("unavailable", m)),
            _ => None,
        }
    }
    match (what(base), what(head)) {
        (Some((bw, bm)), Some((hw, hm))) if bw == hw && bm == hm => {
            Some(format!("{bw} on both sides: {}", one_line(bm)))
        }
        (Some((bw, bm)), Some((hw, hm))) => Some(format!(
            "{bw} on base: {}; {hw} on head: {}",
            one_line(bm),
            one_line(hm)
        )),
        (Some((bw, bm)), None) if *head == SideState::Absent => Some(format!(
            "removed on head; was {bw} on base: {}",
            one_line(bm)
        )),
        (Some((bw, bm)), None) => Some(format!(
            "{bw} on base: {}; its objects are not compared",
            one_line(bm)
        )),
        (None, Some((hw, hm))) if *base == SideState::Absent => Some(format!(
            "new on head but {hw}: {}; its objects are not compared",
            one_line(hm)
        )),
        (None, Some((hw, hm))) => Some(format!(
            "{hw} on head: {}; its objects are not compared",
            one_line(hm)
        )),
        (None, None) => None,
    }
}

/// Render errors can span many lines (helm, kustomize); notes are one line.
fn one_line(msg: &str) -> String {
    msg.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Objects keyed by identity; the n-th duplicate of one identity gets `duplicate = n`.
fn index(objects: &[Value]) -> BTreeMap<ObjectRef, &Value> {
    let mut out = BTreeMap::new();
    for obj in objects {
        let mut key = object_key(obj);
        while out.contains_key(&key) {
            key.duplicate += 1;
        }
        out.insert(key, obj);
    }
    out
}

fn diff_objects(
    owner: &OwnerId,
    base: &[Value],
    head: &[Value],
    opts: &DiffOptions,
) -> Vec<ObjectDiff> {
    let base = index(base);
    let head = index(head);
    let keys: BTreeSet<&ObjectRef> = base.keys().chain(head.keys()).collect();
    let mut out = Vec::new();
    for key in keys {
        // Most objects are unchanged: skip serializing them (map equality ignores key order).
        if let (Some(a), Some(b)) = (base.get(key), head.get(key))
            && a == b
        {
            continue;
        }
        let old = base.get(key).map(|v| object_text(v, &opts.strip_attrs));
        let new = head.get(key).map(|v| object_text(v, &opts.strip_attrs));
        let change = match (&old, &new) {
            (Some(a), Some(b)) if a == b => continue,
            (Some(_), Some(_)) => ObjectChange::Changed,
            (None, _) => ObjectChange::Added,
            (_, None) => ObjectChange::Removed,
        };
        let name = format!("{}/{}", owner.path_label(), key.label());
        let a = match old {
            Some(_) => format!("a/{name}"),
            None => "/dev/null".to_string(),
        };
        let b = match new {
            Some(_) => format!("b/{name}"),
            None => "/dev/null".to_string(),
        };
        let old = old.unwrap_or_default();
        let new = new.unwrap_or_default();
        let text_diff = TextDiff::configure()
            .timeout(DIFF_TIMEOUT)
            .diff_lines(old.as_str(), new.as_str());
        let (mut insertions, mut deletions) = (0, 0);
        for c in text_diff.iter_all_changes() {
            match c.tag() {
                ChangeTag::Insert => insertions += 1,
                ChangeTag::Delete => deletions += 1,
                ChangeTag::Equal => {}
            }
        }
        let patch = text_diff
            .unified_diff()
            .context_radius(opts.context)
            .header(&a, &b)
            .to_string();
        out.push(ObjectDiff {
            key: key.clone(),
            change,
            insertions,
            deletions,
            patch,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::model::{OwnerKind, has_changes};
    use super::*;
    use crate::model::{FailureReason, Outcome, SkipReason};
    use serde_json::json;

    pub(crate) fn owner(kind: OwnerKind, ns: &str, name: &str) -> OwnerId {
        OwnerId {
            kind,
            namespace: ns.into(),
            name: name.into(),
        }
    }

    fn rendered(objects: Vec<Value>) -> SideOwner {
        SideOwner {
            status: Outcome::Rendered,
            objects,
        }
    }

    fn deploy(name: &str, image: &str) -> Value {
        json!({"apiVersion":"apps/v1","kind":"Deployment",
            "metadata":{"name":name,"namespace":"default"},
            "spec":{"template":{"spec":{"containers":[{"name":"c","image":image}]}}}})
    }

    fn side(entries: Vec<(OwnerId, SideOwner)>) -> Side {
        Side {
            owners: entries.into_iter().collect(),
            parents: Default::default(),
        }
    }

    #[test]
    fn children_of_a_parent_failed_on_one_side_are_not_compared() {
        let parent = owner(OwnerKind::Kustomization, "flux-system", "apps");
        let child = owner(OwnerKind::HelmRelease, "default", "app");
        let mut base = side(vec![
            (parent.clone(), rendered(vec![])),
            (child.clone(), rendered(vec![deploy("web", "a:1")])),
        ]);
        base.parents.insert(child.clone(), parent.clone());
        let failed = SideOwner {
            status: Outcome::failed(FailureReason::Build, "boom"),
            objects: vec![],
        };
        let head = side(vec![(parent.clone(), failed)]);
        let d = diff(&base, &head, &DiffOptions::default());
        let c = d.owners.iter().find(|o| o.owner == child).unwrap();
        assert_eq!(c.change, OwnerChange::NotCompared, "{c:?}");
        assert!(
            c.note.as_deref().unwrap().contains("failed on head"),
            "{c:?}"
        );
        assert!(c.objects.is_empty());
    }

    #[test]
    fn identical_inputs_give_an_empty_diff() {
        let hr = owner(OwnerKind::HelmRelease, "default", "app");
        let s = side(vec![(hr, rendered(vec![deploy("web", "a:1")]))]);
        let d = diff(&s, &s, &DiffOptions::default());
        assert!(!has_changes(&d));
        assert_eq!(d.shown().count(), 0);
        assert_eq!(d.owners[0].change, OwnerChange::Unchanged);
    }

    #[test]
    fn objects_pair_by_identity() {
        let ks = owner(OwnerKind::Kustomization, "flux-system", "apps");
        let cm = |name: &str, v: &str| json!({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":name,"namespace":"default"},"data":{"k":v}});
        let base = side(vec![(
            ks.clone(),
            rendered(vec![cm("keep", "1"), cm("old", "1"), cm("edit", "1")]),
        )]);
        let head = side(vec![(
            ks,
            rendered(vec![cm("edit", "2"), cm("new", "1"), cm("keep", "1")]),
        )]);
        let d = diff(&base, &head, &DiffOptions::default());
        let o = &d.owners[0];
        assert_eq!(o.change, OwnerChange::Changed);
        let got: Vec<(String, ObjectChange)> = o
            .objects
            .iter()
            .map(|x| (x.key.key.name.clone(), x.change))
            .collect();
        assert_eq!(
            got,
            vec![
                ("edit".into(), ObjectChange::Changed),
                ("new".into(), ObjectChange::Added),
                ("old".into(), ObjectChange::Removed)
            ]
        );
        let edit = &o.objects[0];
        assert!(edit.patch.starts_with(
            "--- a/Kustomization/flux-system/apps/ConfigMap/default/edit\n+++ b/Kustomization/flux-system/apps/ConfigMap/default/edit\n"
        ), "{}", edit.patch);
        assert!(
            edit.patch.contains("-  k: '1'") || edit.patch.contains("-  k: \"1\""),
            "{}",
            edit.patch
        );
        assert_eq!((edit.insertions, edit.deletions), (1, 1));
        assert!(o.objects[1].patch.starts_with("--- /dev/null\n"));
        assert_eq!(o.counts.added + o.counts.changed + o.counts.removed, 3);
    }

    #[test]
    fn same_name_deployments_in_two_helmreleases_stay_apart() {
        let a = owner(OwnerKind::HelmRelease, "default", "a");
        let b = owner(OwnerKind::HelmRelease, "default", "b");
        let base = side(vec![
            (a.clone(), rendered(vec![deploy("web", "img:1")])),
            (b.clone(), rendered(vec![deploy("web", "img:9")])),
        ]);
        let head = side(vec![
            (a.clone(), rendered(vec![deploy("web", "img:2")])),
            (b.clone(), rendered(vec![deploy("web", "img:9")])),
        ]);
        let d = diff(&base, &head, &DiffOptions::default());
        assert_eq!(d.owners.len(), 2);
        assert_eq!(d.owners[0].owner, a);
        assert_eq!(d.owners[0].change, OwnerChange::Changed);
        assert_eq!(d.owners[0].objects[0].change, ObjectChange::Changed);
        assert!(
            d.owners[0].objects[0]
                .patch
                .contains("+        image: img:2"),
            "{}",
            d.owners[0].objects[0].patch
        );
        assert_eq!(d.owners[1].change, OwnerChange::Unchanged);
    }

    #[test]
    fn chart_bump_labels_are_not_a_change() {
        let hr = owner(OwnerKind::HelmRelease, "default", "app");
        let mk = |chart: &str, sum: &str| {
            json!({"apiVersion":"apps/v1","kind":"Deployment",
                "metadata":{"name":"web","labels":{"helm.sh/chart":chart,"app":"web","app.kubernetes.io/version":chart}},
                "spec":{"template":{"metadata":{"annotations":{"checksum/config":sum}}}}})
        };
        let base = side(vec![(hr.clone(), rendered(vec![mk("app-1.0", "aaa")]))]);
        let head = side(vec![(hr.clone(), rendered(vec![mk("app-1.1", "bbb")]))]);
        assert!(!has_changes(&diff(&base, &head, &DiffOptions::default())));
        let keep_all = DiffOptions {
            strip_attrs: vec![],
            ..DiffOptions::default()
        };
        assert!(has_changes(&diff(&base, &head, &keep_all)));
    }

    #[test]
    fn key_order_is_not_a_change() {
        let ks = owner(OwnerKind::Kustomization, "flux-system", "apps");
        let a = json!({"kind":"ConfigMap","apiVersion":"v1","metadata":{"namespace":"d","name":"c"},"data":{"b":"2","a":"1"}});
        let b = json!({"apiVersion":"v1","kind":"ConfigMap","data":{"a":"1","b":"2"},"metadata":{"name":"c","namespace":"d"}});
        let d = diff(
            &side(vec![(ks.clone(), rendered(vec![a]))]),
            &side(vec![(ks, rendered(vec![b]))]),
            &DiffOptions::default(),
        );
        assert!(!has_changes(&d));
    }

    #[test]
    fn one_sided_failure_suppresses_object_diffs() {
        let hr = owner(OwnerKind::HelmRelease, "default", "app");
        let base = side(vec![(
            hr.clone(),
            rendered(vec![deploy("web", "a:1"), deploy("db", "b:1")]),
        )]);
        let head = side(vec![(
            hr.clone(),
            SideOwner {
                status: Outcome::failed(FailureReason::Build, "chart\n  not found"),
                objects: vec![],
            },
        )]);
        let d = diff(&base, &head, &DiffOptions::default());
        let o = &d.owners[0];
        assert_eq!(o.change, OwnerChange::NotCompared);
        assert!(o.objects.is_empty());
        assert_eq!(o.counts, Counts::default());
        assert_eq!(
            o.note.as_deref(),
            Some("failed on head: chart not found; its objects are not compared")
        );
        assert!(has_changes(&d));

        // And the other way round, with "unavailable".
        let d = diff(
            &side(vec![(
                hr.clone(),
                SideOwner {
                    status: Outcome::skipped(SkipReason::SourceUnavailable, "source missing"),
                    objects: vec![],
                },
            )]),
            &base,
            &DiffOptions::default(),
        );
        assert_eq!(d.owners[0].change, OwnerChange::NotCompared);
        assert!(d.owners[0].objects.is_empty());
        assert!(
            d.owners[0]
                .note
                .as_deref()
                .unwrap_or_default()
                .starts_with("unavailable on base: source missing")
        );
    }

    #[test]
    fn failure_on_both_sides_is_brief_and_not_a_change() {
        let hr = owner(OwnerKind::HelmRelease, "default", "app");
        let failed = SideOwner {
            status: Outcome::failed(FailureReason::Build, "boom"),
            objects: vec![deploy("web", "a:1")],
        };
        let s = side(vec![(hr, failed)]);
        let d = diff(&s, &s, &DiffOptions::default());
        assert_eq!(d.owners[0].change, OwnerChange::FailedOnBoth);
        assert_eq!(
            d.owners[0].note.as_deref(),
            Some("failed on both sides: boom")
        );
        assert!(d.owners[0].objects.is_empty());
        assert!(!has_changes(&d));
    }

    #[test]
    fn added_and_removed_owners() {
        let hr = owner(OwnerKind::HelmRelease, "default", "app");
        let with = side(vec![(hr, rendered(vec![deploy("web", "a:1")]))]);
        let d = diff(&Side::default(), &with, &DiffOptions::default());
        assert_eq!(d.owners[0].change, OwnerChange::Added);
        assert_eq!(d.owners[0].counts.added, 1);
        let d = diff(&with, &Side::default(), &DiffOptions::default());
        assert_eq!(d.owners[0].change, OwnerChange::Removed);
        assert!(d.owners[0].objects[0].patch.contains("+++ /dev/null"));
    }

    #[test]
    fn scope_filters_owner_kinds() {
        let hr = owner(OwnerKind::HelmRelease, "default", "app");
        let ks = owner(OwnerKind::Kustomization, "flux-system", "apps");
        let head = side(vec![
            (hr, rendered(vec![deploy("web", "a:1")])),
            (ks, rendered(vec![deploy("web", "a:1")])),
        ]);
        let opts = DiffOptions {
            scope: super::super::model::Scope::Ks,
            ..DiffOptions::default()
        };
        let d = diff(&Side::default(), &head, &opts);
        assert_eq!(d.owners.len(), 1);
        assert_eq!(d.owners[0].owner.kind, OwnerKind::Kustomization);
    }

    #[test]
    fn changed_secret_token_shows_tokens_only() {
        let ks = owner(OwnerKind::Kustomization, "flux-system", "apps");
        let sec = |t: &str| json!({"apiVersion":"v1","kind":"Secret","metadata":{"name":"s","namespace":"d"},"data":{"password":t}});
        let d = diff(
            &side(vec![(
                ks.clone(),
                rendered(vec![sec("<secret:ab12cd34ef>")]),
            )]),
            &side(vec![(ks, rendered(vec![sec("<secret:0011223344>")]))]),
            &DiffOptions::default(),
        );
        let patch = &d.owners[0].objects[0].patch;
        assert!(
            patch.contains("-  password: <secret:ab12cd34ef>"),
            "{patch}"
        );
        assert!(
            patch.contains("+  password: <secret:0011223344>"),
            "{patch}"
        );
    }

    #[test]
    fn duplicate_identities_pair_in_order() {
        let ks = owner(OwnerKind::Kustomization, "flux-system", "apps");
        let base = side(vec![(
            ks.clone(),
            rendered(vec![deploy("web", "a:1"), deploy("web", "a:2")]),
        )]);
        let head = side(vec![(
            ks,
            rendered(vec![deploy("web", "a:1"), deploy("web", "a:3")]),
        )]);
        let d = diff(&base, &head, &DiffOptions::default());
        assert_eq!(d.owners[0].objects.len(), 1);
        assert_eq!(d.owners[0].objects[0].key.duplicate, 1);
        assert!(d.owners[0].objects[0].patch.contains("web#2"));
    }

    #[test]
    fn context_radius_is_honoured() {
        let ks = owner(OwnerKind::Kustomization, "flux-system", "apps");
        let cm = |v: &str| {
            let mut data = serde_json::Map::new();
            for i in 0..20 {
                data.insert(format!("k{i:02}"), json!(if i == 10 { v } else { "x" }));
            }
            json!({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":data})
        };
        let mk = |n| DiffOptions {
            context: n,
            ..DiffOptions::default()
        };
        let b = side(vec![(ks.clone(), rendered(vec![cm("1")]))]);
        let h = side(vec![(ks, rendered(vec![cm("2")]))]);
        let lines = |n| {
            diff(&b, &h, &mk(n)).owners[0].objects[0]
                .patch
                .lines()
                .count()
        };
        // 2 headers + 1 hunk header + 2 changed lines + 2n context lines.
        assert_eq!(lines(0), 5);
        assert_eq!(lines(3), 11);
    }
}
