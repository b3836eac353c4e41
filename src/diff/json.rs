//! The `json` format: the diff for machines. Field order is declaration order and owners and
//! objects are sorted, so equal diffs give byte-identical output.

use super::model::{ClusterDiff, DiffOptions, OwnerDiff, has_changes};
use serde::Serialize;

/// Bumped when a field changes meaning or disappears (adding fields does not bump it).
const FORMAT_VERSION: u32 = 1;

#[derive(Serialize)]
struct Report<'a> {
    version: u32,
    summary: Summary,
    /// Owners with something to report (unchanged owners are only counted).
    owners: Vec<&'a OwnerDiff>,
}

#[derive(Serialize)]
struct Summary {
    has_changes: bool,
    owners_shown: usize,
    owners_unchanged: usize,
    objects_added: usize,
    objects_changed: usize,
    objects_removed: usize,
    insertions: usize,
    deletions: usize,
}

/// Pretty-printed JSON ending with a newline. Patches inside are always uncoloured.
pub fn json(diff: &ClusterDiff, _opts: &DiffOptions) -> String {
    let owners: Vec<&OwnerDiff> = diff.shown().collect();
    let t = diff.totals();
    let report = Report {
        version: FORMAT_VERSION,
        summary: Summary {
            has_changes: has_changes(diff),
            owners_shown: owners.len(),
            owners_unchanged: diff.owners.len() - owners.len(),
            objects_added: t.added,
            objects_changed: t.changed,
            objects_removed: t.removed,
            insertions: t.insertions,
            deletions: t.deletions,
        },
        owners,
    };
    // Plain structs of strings and numbers always serialize; keep a valid JSON fallback anyway.
    let mut out = serde_json::to_string_pretty(&report)
        .unwrap_or_else(|e| serde_json::json!({ "error": e.to_string() }).to_string());
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{changed_cluster, failed_head_cluster};
    use super::*;
    use serde_json::Value;

    #[test]
    fn fields_and_order_are_stable() {
        let text = json(&changed_cluster(1, 1), &DiffOptions::default());
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["version"], 1);
        assert_eq!(v["summary"]["objects_changed"], 1);
        let owner = &v["owners"][0];
        assert_eq!(owner["owner"]["kind"], "HelmRelease");
        assert_eq!(owner["change"], "changed");
        assert_eq!(owner["base"]["state"], "rendered");
        assert_eq!(owner["objects"][0]["change"], "changed");
        assert!(
            owner["objects"][0]["patch"]
                .as_str()
                .unwrap()
                .contains("@@")
        );
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["version", "summary", "owners"]);
    }

    #[test]
    fn status_notes_are_included() {
        let v: Value =
            serde_json::from_str(&json(&failed_head_cluster(), &DiffOptions::default())).unwrap();
        let owner = &v["owners"][0];
        assert_eq!(owner["change"], "not_compared");
        assert_eq!(owner["head"]["state"], "failed");
        assert_eq!(owner["head"]["message"], "boom");
        assert!(
            owner["note"]
                .as_str()
                .unwrap()
                .starts_with("failed on head")
        );
        assert_eq!(v["summary"]["has_changes"], true);
    }
}
