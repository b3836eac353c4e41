//! The `unified` format: one patch per changed object, grouped under a `# <OwnerKind> ns/name`
//! header per owner, optionally with ANSI colours (as `git diff --color`).

use super::model::{ClusterDiff, DiffOptions, OwnerDiff};

pub(super) const RED: &str = "\x1b[31m";
pub(super) const GREEN: &str = "\x1b[32m";
pub(super) const CYAN: &str = "\x1b[36m";
pub(super) const BOLD: &str = "\x1b[1m";
pub(super) const RESET: &str = "\x1b[0m";

/// Wraps `text` in an ANSI style when colour is on.
pub(super) fn paint(text: &str, style: &str, color: bool) -> String {
    if color {
        format!("{style}{text}{RESET}")
    } else {
        text.to_string()
    }
}

/// Every changed owner with its patches; empty when nothing changed (like `git diff`).
pub fn unified(diff: &ClusterDiff, opts: &DiffOptions) -> String {
    let mut out = String::new();
    for owner in diff.shown() {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&owner_block(owner, opts.color));
    }
    out
}

fn owner_block(owner: &OwnerDiff, color: bool) -> String {
    let mut out = paint(&format!("# {}", owner.owner), BOLD, color);
    out.push('\n');
    if let Some(note) = &owner.note {
        out.push_str(&paint(&format!("! {note}"), BOLD, color));
        out.push('\n');
    }
    for obj in &owner.objects {
        out.push_str(&paint_patch(&obj.patch, color));
    }
    out
}

/// Colours one patch: its first two lines are the `---`/`+++` file headers.
fn paint_patch(patch: &str, color: bool) -> String {
    if !color {
        return patch.to_string();
    }
    let mut out = String::with_capacity(patch.len() + patch.len() / 4);
    for (i, line) in patch.split_inclusive('\n').enumerate() {
        let (body, newline) = match line.strip_suffix('\n') {
            Some(body) => (body, "\n"),
            None => (line, ""),
        };
        let style = if i < 2 && (body.starts_with("--- ") || body.starts_with("+++ ")) {
            Some(BOLD)
        } else if body.starts_with("@@") {
            Some(CYAN)
        } else if body.starts_with('-') {
            Some(RED)
        } else if body.starts_with('+') {
            Some(GREEN)
        } else {
            None
        };
        match style {
            Some(style) => out.push_str(&paint(body, style, true)),
            None => out.push_str(body),
        }
        out.push_str(newline);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{changed_cluster, failed_head_cluster};
    use super::*;

    #[test]
    fn groups_patches_under_owner_headers() {
        let d = changed_cluster(2, 1);
        let text = unified(&d, &DiffOptions::default());
        assert!(
            text.starts_with("# HelmRelease apps/app-00\n--- a/HelmRelease/apps/app-00/"),
            "{text}"
        );
        assert!(text.contains("\n# HelmRelease apps/app-01\n"), "{text}");
        assert!(!text.contains('\x1b'));
    }

    #[test]
    fn color_marks_lines() {
        let d = changed_cluster(1, 1);
        let text = unified(
            &d,
            &DiffOptions {
                color: true,
                ..DiffOptions::default()
            },
        );
        assert!(text.contains(&format!("{RED}-")), "{text:?}");
        assert!(text.contains(&format!("{GREEN}+")), "{text:?}");
        assert!(text.contains(&format!("{CYAN}@@")), "{text:?}");
        assert!(text.contains(&format!("{BOLD}--- a/")), "{text:?}");
    }

    #[test]
    fn one_sided_failure_is_one_note() {
        let text = unified(&failed_head_cluster(), &DiffOptions::default());
        assert_eq!(
            text,
            "# HelmRelease default/app\n! failed on head: boom; its objects are not compared\n"
        );
    }

    #[test]
    fn empty_diff_prints_nothing() {
        assert_eq!(
            unified(&ClusterDiff::default(), &DiffOptions::default()),
            ""
        );
    }
}
