//! The validation report, test-runner style: ✓ passed, ✗ failed with causes, ⊘ blocked folded under the
//! failed owner that blocks it, then a summary line.

use std::fmt::Write;

use super::super::report::{Report, ReportEntry, Status};
use super::common::{Style, paint};

fn blocked_line(out: &mut String, e: &ReportEntry, root_index: usize, color: bool) {
    let mark = paint("⊘", Style::Yellow, color);
    let others: Vec<String> = e
        .blocked_by
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != root_index)
        .map(|(_, id)| id.short())
        .collect();
    let also = if others.is_empty() {
        String::new()
    } else {
        format!(" (also blocked by {})", others.join(", "))
    };
    let _ = writeln!(out, "    {mark} {} blocked{also}", e.owner.short());
}

/// `    ! code: message` for each warning.
fn warning_lines(out: &mut String, warnings: &[String], color: bool) {
    for w in warnings {
        let _ = writeln!(out, "    {} {w}", paint("!", Style::Yellow, color));
    }
}

pub fn report_text(report: &Report, color: bool) -> String {
    let mut out = String::new();
    for e in &report.entries {
        match e.status {
            Status::Passed => {
                let warn = match e.warnings.len() {
                    0 => String::new(),
                    n => format!(" ({})", crate::text::count(n, "warning")),
                };
                let _ = writeln!(
                    out,
                    "{} {}{warn}",
                    paint("✓", Style::Green, color),
                    e.owner.short()
                );
                warning_lines(&mut out, &e.warnings, color);
            }
            Status::Skipped => {
                let why = e.skipped.as_deref().unwrap_or("not checked");
                let mark = paint("⊝", Style::Yellow, color);
                let _ = writeln!(out, "{mark} {} skipped: {why}", e.owner.short());
                warning_lines(&mut out, &e.warnings, color);
            }
            Status::Failed => {
                let _ = writeln!(out, "{} {}", paint("✗", Style::Red, color), e.owner.short());
                for c in &e.causes {
                    // A cause's detail lines (kustomize's positions) stay under it.
                    let _ = writeln!(out, "    {}", c.replace('\n', "\n      "));
                }
                warning_lines(&mut out, &e.warnings, color);
                // Each blocked owner is shown under its first root cause only.
                for b in report
                    .entries
                    .iter()
                    .filter(|b| b.status == Status::Blocked)
                {
                    if b.blocked_by.first() == Some(&e.owner) {
                        blocked_line(&mut out, b, 0, color);
                    }
                }
            }
            Status::Blocked => {}
        }
    }
    if !report.repository_warnings.is_empty() {
        let _ = writeln!(out, "{} repository", paint("!", Style::Yellow, color));
        warning_lines(&mut out, &report.repository_warnings, color);
    }
    let s = report.summary;
    let warnings = match report.warning_count() {
        0 => String::new(),
        n => format!(", {}", crate::text::count(n, "warning")),
    };
    let unchecked = match s.schema_skipped {
        0 => String::new(),
        n => format!(
            "; {} without a known schema (not schema-checked)",
            crate::text::count(n, "object")
        ),
    };
    let _ = writeln!(
        out,
        "\n{} passed, {} failed, {} skipped{warnings}{unchecked}",
        s.passed, s.failed, s.skipped
    );
    out
}
