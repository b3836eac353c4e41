//! The `stat` format, like `git diff --stat`: one line per changed object (or per owner whose
//! objects were not compared) with its +/- line counts and a bar, then a total line.

use super::model::{ClusterDiff, DiffOptions, OwnerChange, OwnerDiff, SideState};
use super::unified::{GREEN, RED, paint};

/// Widest bar, as git's default on an 80-column terminal.
const BAR_WIDTH: usize = 40;
/// Longer names are shortened from the left (`.../name`), as git does.
const NAME_WIDTH: usize = 100;

/// Empty when nothing changed.
pub fn stat(diff: &ClusterDiff, opts: &DiffOptions) -> String {
    let mut lines: Vec<(String, Column)> = Vec::new();
    let mut not_compared = 0;
    for owner in diff.shown() {
        if owner.objects.is_empty() {
            if owner.change == OwnerChange::NotCompared {
                not_compared += 1;
            }
            lines.push((owner.owner.path_label(), Column::Status(status(owner))));
        }
        for obj in &owner.objects {
            let name = format!("{}/{}", owner.owner.path_label(), obj.key.label());
            lines.push((name, Column::Counts(obj.insertions, obj.deletions)));
        }
    }
    if lines.is_empty() {
        return String::new();
    }
    let names: Vec<String> = lines.iter().map(|(n, _)| shorten(n)).collect();
    let name_width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
    let max_change = lines
        .iter()
        .map(|(_, c)| match c {
            Column::Counts(a, d) => a + d,
            Column::Status(_) => 0,
        })
        .max()
        .unwrap_or(0);
    let num_width = max_change.to_string().len();
    let mut out = String::new();
    for (name, (_, column)) in names.iter().zip(&lines) {
        let pad = name_width - name.chars().count();
        out.push_str(&format!(" {name}{} | ", " ".repeat(pad)));
        match column {
            Column::Counts(add, del) => {
                let (add_w, del_w) = bar(*add, *del, max_change);
                out.push_str(&format!("{:>num_width$} ", add + del));
                out.push_str(&paint(&"+".repeat(add_w), GREEN, opts.color && add_w > 0));
                out.push_str(&paint(&"-".repeat(del_w), RED, opts.color && del_w > 0));
            }
            Column::Status(text) => out.push_str(text),
        }
        // No trailing spaces when a bar is empty.
        let trimmed = out.trim_end_matches(' ').len();
        out.truncate(trimmed);
        out.push('\n');
    }
    let t = diff.totals();
    let objects = t.added + t.changed + t.removed;
    out.push_str(&format!(
        " {objects} object{} changed ({} added, {} changed, {} removed), {} insertion{}(+), {} deletion{}(-)",
        plural(objects),
        t.added,
        t.changed,
        t.removed,
        t.insertions,
        plural(t.insertions),
        t.deletions,
        plural(t.deletions),
    ));
    if not_compared > 0 {
        out.push_str(&format!(
            "; {not_compared} owner{} not compared",
            plural(not_compared)
        ));
    }
    out.push('\n');
    out
}

enum Column {
    Counts(usize, usize),
    Status(String),
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// `failed on head, not compared`, `removed, unavailable on base`, …
fn status(o: &OwnerDiff) -> String {
    let mut parts: Vec<String> = Vec::new();
    if o.change == OwnerChange::Removed {
        parts.push("removed".into());
    }
    for (state, side) in [(&o.base, "base"), (&o.head, "head")] {
        match state {
            SideState::Failed(_) => parts.push(format!("failed on {side}")),
            SideState::Unavailable(_) => parts.push(format!("unavailable on {side}")),
            _ => {}
        }
    }
    if o.change == OwnerChange::NotCompared {
        parts.push("not compared".into());
    }
    parts.join(", ")
}

/// Bar lengths, scaled as git does when the largest change is wider than the bar.
fn bar(add: usize, del: usize, max_change: usize) -> (usize, usize) {
    if max_change <= BAR_WIDTH {
        return (add, del);
    }
    let scale = |n: usize| {
        if n == 0 {
            0
        } else {
            1 + n * (BAR_WIDTH - 1) / max_change
        }
    };
    (scale(add), scale(del))
}

fn shorten(name: &str) -> String {
    let count = name.chars().count();
    if count <= NAME_WIDTH {
        return name.to_string();
    }
    let tail: String = name.chars().skip(count - (NAME_WIDTH - 3)).collect();
    format!("...{tail}")
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{changed_cluster, failed_head_cluster};
    use super::*;

    #[test]
    fn one_line_per_object_and_a_total() {
        let text = stat(&changed_cluster(2, 2), &DiffOptions::default());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 5, "{text}");
        assert_eq!(
            lines[0],
            " HelmRelease/apps/app-00/ConfigMap/apps/cm-000 | 2 +-"
        );
        assert_eq!(
            lines[4],
            " 4 objects changed (0 added, 4 changed, 0 removed), 4 insertions(+), 4 deletions(-)"
        );
    }

    #[test]
    fn not_compared_owners_get_a_status_line() {
        let text = stat(&failed_head_cluster(), &DiffOptions::default());
        assert_eq!(
            text,
            " HelmRelease/default/app | failed on head, not compared\n 0 objects changed (0 added, 0 changed, 0 removed), 0 insertions(+), 0 deletions(-); 1 owner not compared\n"
        );
    }

    #[test]
    fn bars_scale_and_names_shorten() {
        assert_eq!(bar(3, 2, 10), (3, 2));
        let (a, d) = bar(400, 400, 800);
        assert!(a + d <= BAR_WIDTH + 1 && a > 0 && d > 0);
        assert_eq!(bar(1, 0, 1000), (1, 0));
        let long = "x".repeat(150);
        assert_eq!(shorten(&long).chars().count(), NAME_WIDTH);
    }

    #[test]
    fn empty_diff_prints_nothing() {
        assert_eq!(stat(&ClusterDiff::default(), &DiffOptions::default()), "");
    }
}
