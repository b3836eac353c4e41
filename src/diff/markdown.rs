//! The `markdown` format: a PR comment within a byte budget.
//!
//! Layout: a hidden `<!-- fluxsim-diff -->` first line (CI finds and updates one sticky comment by
//! it), a title and one-line summary, a table with one row per changed owner, then one collapsible
//! `<details>` section per owner holding its patches in a ```` ```diff ```` block (or, for a
//! one-sided failure, the full error message).
//!
//! Budget: the whole output, marker included, is at most `limit_bytes`. When it would be larger,
//! whole sections are left out, **largest first** (ties: the later one first), which keeps as
//! many owners readable as possible; the big ones are best read locally anyway. Sections that
//! stay keep their order; every table row stays; a closing note names the owners left out. Only
//! if the table alone does not fit are rows dropped (a final row counts them), and only for a
//! budget too small for even the title is the text cut mid-way.

use super::model::{ClusterDiff, DiffOptions, OwnerChange, OwnerDiff};

pub const MARKER: &str = "<!-- fluxsim-diff -->";

/// Names listed in the closing note before "and N more".
const NOTE_MAX_NAMES: usize = 50;
/// Notes longer than this are shortened in table cells (the section has the full text).
const CELL_MAX_CHARS: usize = 200;

/// The PR comment. Without changes it still has the marker and says "No changes", so a sticky
/// comment is updated rather than left stale.
pub fn markdown(diff: &ClusterDiff, opts: &DiffOptions) -> String {
    let limit = opts.limit_bytes;
    let owners: Vec<&OwnerDiff> = diff.shown().collect();
    let mut out = heading(diff, &owners, opts.cluster.as_deref());
    if owners.is_empty() {
        return fit_hard(out, limit);
    }
    let mut table = String::from(
        "| Owner | Change | Added | Changed | Removed | Notes |\n\
         | --- | --- | ---: | ---: | ---: | --- |\n",
    );
    let rows: Vec<String> = owners.iter().map(|o| table_row(o)).collect();
    let sections: Vec<(String, String)> = owners
        .iter()
        .filter_map(|o| section(o).map(|s| (o.owner.to_string(), s)))
        .collect();
    let table_len = table.len() + rows.iter().map(String::len).sum::<usize>() + 1;
    let all_cut_note = if sections.is_empty() {
        String::new()
    } else {
        short_note(sections.len(), limit)
    };

    if out.len() + table_len + all_cut_note.len() > limit {
        // The table alone is too big: keep the rows that fit, drop every section.
        out.push_str(&table);
        out.push_str(&rows_within(
            &rows,
            limit.saturating_sub(out.len()),
            all_cut_note.len(),
        ));
        out.push('\n');
        out.push_str(&all_cut_note);
        return fit_hard(out, limit);
    }

    for row in &rows {
        table.push_str(row);
    }
    table.push('\n');
    out.push_str(&table);
    let fixed = out.len();
    let note_for = |cut: &[usize], kept_len: usize| -> String {
        if cut.is_empty() {
            return String::new();
        }
        let full = full_note(cut, &sections, limit);
        if fixed + kept_len + full.len() <= limit {
            full
        } else {
            short_note(cut.len(), limit)
        }
    };
    // Largest first; among equals the later one first.
    let mut by_size: Vec<usize> = (0..sections.len()).collect();
    by_size.sort_by(|&a, &b| (sections[b].1.len(), b).cmp(&(sections[a].1.len(), a)));
    let mut kept = vec![true; sections.len()];
    let mut kept_len: usize = sections.iter().map(|(_, s)| s.len()).sum();
    let mut cut: Vec<usize> = Vec::new();
    let mut next = by_size.into_iter();
    // Ends: the table plus the short note fit (checked above), so cutting everything fits.
    while fixed + kept_len + note_for(&cut, kept_len).len() > limit {
        let Some(i) = next.next() else { break };
        kept[i] = false;
        kept_len -= sections[i].1.len();
        cut.push(i);
    }
    for (i, (_, text)) in sections.iter().enumerate() {
        if kept[i] {
            out.push_str(text);
        }
    }
    out.push_str(&note_for(&cut, kept_len));
    fit_hard(out, limit)
}

/// The leading rows that fit in `budget` bytes with `reserve` bytes (and a newline) after them,
/// plus a row counting the rest.
fn rows_within(rows: &[String], budget: usize, reserve: usize) -> String {
    let mut out = String::new();
    for (kept, row) in rows.iter().enumerate() {
        let remaining = rows.len() - kept - 1;
        let more = if remaining > 0 {
            more_rows_line(remaining).len()
        } else {
            0
        };
        if out.len() + row.len() + more + 1 + reserve > budget {
            out.push_str(&more_rows_line(rows.len() - kept));
            return out;
        }
        out.push_str(row);
    }
    out
}

fn heading(diff: &ClusterDiff, owners: &[&OwnerDiff], cluster: Option<&str>) -> String {
    let mut out = match cluster {
        Some(name) => format!("<!-- fluxsim-diff cluster={name} -->\n## fluxsim diff: {name}\n\n"),
        None => format!("{MARKER}\n## fluxsim diff\n\n"),
    };
    if owners.is_empty() {
        out.push_str("No changes.\n");
        return out;
    }
    let t = diff.totals();
    let not_compared = owners
        .iter()
        .filter(|o| o.change == OwnerChange::NotCompared)
        .count();
    out.push_str(&format!(
        "{} owner{} with changes: {} object{} added, {} changed, {} removed (+{} −{} lines)",
        owners.len(),
        plural(owners.len()),
        t.added,
        plural(t.added),
        t.changed,
        t.removed,
        t.insertions,
        t.deletions
    ));
    if not_compared > 0 {
        out.push_str(&format!(
            "; {not_compared} not compared (render failed on one side)"
        ));
    }
    out.push_str(".\n\n");
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn table_row(o: &OwnerDiff) -> String {
    let note = o.note.as_deref().map(short_cell).unwrap_or_default();
    format!(
        "| {} | {} | {} | {} | {} | {} |\n",
        cell(&o.owner.to_string()),
        change_word(o.change),
        o.counts.added,
        o.counts.changed,
        o.counts.removed,
        note
    )
}

pub(super) fn change_word(change: OwnerChange) -> &'static str {
    match change {
        OwnerChange::Added => "added",
        OwnerChange::Removed => "removed",
        OwnerChange::Changed => "changed",
        OwnerChange::Unchanged => "unchanged",
        OwnerChange::NotCompared => "not compared",
        OwnerChange::FailedOnBoth => "failed on both sides",
    }
}

/// One collapsible section: patches, or the full error of a one-sided failure. None when there
/// is nothing more to show than the table row.
fn section(o: &OwnerDiff) -> Option<String> {
    let (summary, lang, body) = if !o.objects.is_empty() {
        let body: String = o.objects.iter().map(|x| x.patch.as_str()).collect();
        let summary = format!(
            "{}: +{} ~{} −{} objects",
            o.owner, o.counts.added, o.counts.changed, o.counts.removed
        );
        (summary, "diff", body)
    } else if o.change == OwnerChange::NotCompared || o.note.is_some() {
        let message = [&o.base, &o.head]
            .iter()
            .zip(["base", "head"])
            .filter_map(|(s, side)| match s {
                super::model::SideState::Failed(m) => Some(format!("{side}: failed:\n{m}\n")),
                super::model::SideState::Unavailable(m) => {
                    Some(format!("{side}: unavailable:\n{m}\n"))
                }
                _ => None,
            })
            .collect::<String>();
        if message.is_empty() || o.change == OwnerChange::FailedOnBoth {
            return None;
        }
        let summary = format!("{}: {}", o.owner, change_word(o.change));
        (summary, "text", message)
    } else {
        return None;
    };
    let fence = fence_for(&body);
    let mut body = body;
    if !body.ends_with('\n') {
        body.push('\n');
    }
    Some(format!(
        "<details><summary>{}</summary>\n\n{fence}{lang}\n{body}{fence}\n\n</details>\n\n",
        html_escape(&summary)
    ))
}

/// A backtick fence longer than any backtick run in `body`, so the body cannot close it.
fn fence_for(body: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in body.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    "`".repeat((longest + 1).max(3))
}

fn full_note(cut: &[usize], sections: &[(String, String)], limit: usize) -> String {
    let mut names: Vec<&str> = cut
        .iter()
        .filter_map(|&i| sections.get(i).map(|(t, _)| t.as_str()))
        .collect();
    names.sort_unstable();
    let shown = names.len().min(NOTE_MAX_NAMES);
    let mut list = names[..shown]
        .iter()
        .map(|n| format!("`{}`", n.replace('`', "")))
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > shown {
        list.push_str(&format!(" and {} more", names.len() - shown));
    }
    format!(
        "**Left out to fit the {limit}-byte limit** (run `fluxsim diff` locally to see them): {list}.\n"
    )
}

fn short_note(count: usize, limit: usize) -> String {
    format!(
        "**{count} diff section{} left out to fit the {limit}-byte limit**; run `fluxsim diff` locally to see them.\n",
        plural(count)
    )
}

fn more_rows_line(n: usize) -> String {
    format!("| … {n} more owner{} not listed | | | | | |\n", plural(n))
}

/// Last resort for absurdly small budgets: cut at a character boundary.
fn fit_hard(mut text: String, limit: usize) -> String {
    if text.len() > limit {
        let mut end = limit;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

/// Table cell text: one line, pipes escaped, HTML neutralized, shortened.
fn short_cell(text: &str) -> String {
    let one: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let short = if one.chars().count() > CELL_MAX_CHARS {
        let mut s: String = one.chars().take(CELL_MAX_CHARS).collect();
        s.push('…');
        s
    } else {
        one
    };
    cell(&short)
}

fn cell(text: &str) -> String {
    html_escape(text).replace('|', "\\|")
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{changed_cluster, changed_cluster_sizes, failed_head_cluster};
    use super::*;

    fn opts(limit: usize) -> DiffOptions {
        DiffOptions {
            limit_bytes: limit,
            ..DiffOptions::default()
        }
    }

    #[test]
    fn layout_has_marker_table_and_sections() {
        let md = markdown(&changed_cluster(2, 2), &DiffOptions::default());
        assert!(
            md.starts_with("<!-- fluxsim-diff -->\n## fluxsim diff\n"),
            "{md}"
        );
        assert!(
            md.contains("| HelmRelease apps/app-00 | changed | 0 | 2 | 0 |  |\n"),
            "{md}"
        );
        assert_eq!(md.matches("<details><summary>").count(), 2);
        assert_eq!(md.matches("```diff\n").count(), 2);
        assert!(!md.contains("Left out"));
    }

    #[test]
    fn no_changes_still_has_marker() {
        let md = markdown(&ClusterDiff::default(), &DiffOptions::default());
        assert_eq!(
            md,
            "<!-- fluxsim-diff -->\n## fluxsim diff\n\nNo changes.\n"
        );
    }

    #[test]
    fn budget_cuts_whole_sections_and_lists_them() {
        // 300 changed objects over 30 owners.
        let d = changed_cluster(30, 10);
        let full = markdown(&d, &opts(usize::MAX));
        assert!(full.len() > 20_000, "{}", full.len());
        for limit in [20_000, 8_000, 65_000] {
            let md = markdown(&d, &opts(limit));
            assert!(md.len() <= limit, "{} > {limit}", md.len());
            let sections = md.matches("<details>").count();
            // Every section that is in is complete.
            assert_eq!(sections, md.matches("</details>").count());
            assert_eq!(md.matches("```diff\n").count(), sections);
            // Every table row stays.
            assert_eq!(md.matches("| HelmRelease apps/app-").count(), 30);
            if sections < 30 {
                assert!(md.contains("**Left out to fit the"), "{md}");
                for i in 0..30 {
                    let name = format!("HelmRelease apps/app-{i:02}");
                    let listed = md.contains(&format!("`{name}`"));
                    let shown = md.contains(&format!("<summary>{name}:"));
                    assert!(listed ^ shown, "{name}: listed {listed} shown {shown}");
                }
            }
        }
    }

    #[test]
    fn largest_sections_are_cut_first() {
        let d = changed_cluster_sizes(&[2, 30, 2, 20, 2]);
        let full = markdown(&d, &opts(usize::MAX));
        // Room for everything but about 25 objects' patches: the 30-object section goes.
        let md = markdown(&d, &opts(full.len() - 5_000));
        let shown = |i: usize| md.contains(&format!("<summary>HelmRelease apps/app-{i:02}:"));
        assert!(!shown(1), "{md}");
        assert!(shown(0) && shown(2) && shown(3) && shown(4), "{md}");
        assert!(md.contains("`HelmRelease apps/app-01`."), "{md}");
        // Sections keep their order.
        let pos = |i: usize| md.find(&format!("<summary>HelmRelease apps/app-{i:02}:"));
        assert!(pos(0) < pos(2) && pos(2) < pos(3) && pos(3) < pos(4));
    }

    #[test]
    fn one_huge_owner_is_cut_whole() {
        let d = changed_cluster(1, 300);
        let md = markdown(&d, &opts(10_000));
        assert!(md.len() <= 10_000);
        assert!(!md.contains("<details>"));
        assert!(md.contains("`HelmRelease apps/app-00`"), "{md}");
        assert!(
            md.contains("| HelmRelease apps/app-00 | changed | 0 | 300 | 0 |"),
            "{md}"
        );
    }

    #[test]
    fn tiny_budgets_stay_within_limit() {
        let d = changed_cluster(40, 3);
        for limit in [0, 10, 100, 400, 1_000, 3_000] {
            let md = markdown(&d, &opts(limit));
            assert!(md.len() <= limit, "{} > {limit}", md.len());
        }
        let md = markdown(&d, &opts(1_500));
        assert!(md.contains("more owners not listed"), "{md}");
    }

    #[test]
    fn backticks_in_a_diff_get_a_longer_fence() {
        assert_eq!(fence_for("a\n ```\nb"), "````");
        assert_eq!(fence_for("plain"), "```");
        assert_eq!(fence_for("`````"), "``````");
    }

    #[test]
    fn failure_notes_are_escaped_and_detailed() {
        let md = markdown(&failed_head_cluster(), &DiffOptions::default());
        assert!(md.contains("| HelmRelease default/app | not compared | 0 | 0 | 0 | failed on head: boom; its objects are not compared |"), "{md}");
        assert!(md.contains("```text\nhead: failed:\nboom\n```"), "{md}");
        assert_eq!(cell("a|b <x>"), "a\\|b &lt;x&gt;");
    }
}
