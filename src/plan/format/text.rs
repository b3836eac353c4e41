//! The plan as a readable tree: waves with their owners (timeout, wait, what each waits for), cycles, the
//! critical path, then findings.

use std::fmt::Write;

use super::super::checks::Finding;
use super::super::model::{Plan, PlannedOwner};
use super::common::{
    Style, dependency, finding_line, optional_setting, paint, readiness, setting, severity_counts,
};

fn owner_lines(out: &mut String, o: &PlannedOwner, last: bool, color: bool) {
    let (branch, cont) = if last {
        ("└─", "   ")
    } else {
        ("├─", "│  ")
    };
    let t = &o.timing;
    let _ = writeln!(
        out,
        "  {branch} {}  timeout {} · {} · interval {} · retry {}",
        paint(&o.id.short(), Style::Bold, color),
        setting(&t.timeout),
        readiness(o),
        optional_setting(t.interval.as_ref()),
        optional_setting(t.retry_interval.as_ref()),
    );
    if let Some(e) = &o.render_error {
        let _ = writeln!(
            out,
            "  {cont}   {}",
            paint(&format!("render failed: {e}"), Style::Red, color)
        );
    }
    for d in &o.after {
        let _ = writeln!(out, "  {cont}   after {}", dependency(d));
    }
}

/// Renders the plan and findings as text. `color` adds ANSI styles.
pub fn plan_text(plan: &Plan, findings: &[Finding], color: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Bootstrap plan: {} in {}, critical path {}",
        crate::text::count(plan.owners.len(), "owner"),
        crate::text::count(plan.waves.len(), "wave"),
        plan.critical_path.total
    );
    for wave in &plan.waves {
        let _ = writeln!(out);
        let header = format!(
            "Wave {} ({}, worst case {})",
            wave.index,
            crate::text::count(wave.owners.len(), "owner"),
            wave.worst_case
        );
        let _ = writeln!(out, "{}", paint(&header, Style::Bold, color));
        if !wave.waits_for.is_empty() {
            let names: Vec<String> = wave.waits_for.iter().map(|id| id.short()).collect();
            let _ = writeln!(out, "  waits for: {}", names.join(", "));
        }
        for (i, id) in wave.owners.iter().enumerate() {
            if let Some(o) = plan.owner(id) {
                owner_lines(&mut out, o, i + 1 == wave.owners.len(), color);
            }
        }
    }
    if !plan.cycles.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{}",
            paint("Cycles (excluded from waves)", Style::Red, color)
        );
        for c in &plan.cycles {
            let _ = writeln!(out, "  {}", c.display());
        }
    }
    if !plan.unscheduled.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(out, "Unscheduled (wait on a cycle)");
        for u in &plan.unscheduled {
            let _ = writeln!(out, "  {}", u.owner.short());
        }
    }
    if !plan.critical_path.steps.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{}",
            paint(
                &format!(
                    "Critical path: {} (sum of timeouts)",
                    plan.critical_path.total
                ),
                Style::Bold,
                color
            )
        );
        for (i, s) in plan.critical_path.steps.iter().enumerate() {
            let arrow = if i == 0 { " " } else { "→" };
            let _ = writeln!(
                out,
                "  {arrow} {}  +{} = {}",
                s.owner.short(),
                s.timeout,
                s.cumulative
            );
        }
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "Findings: {}", severity_counts(findings));
    for f in findings {
        let _ = writeln!(out, "  {}", finding_line(f, color));
        if !f.files.is_empty() {
            let _ = writeln!(out, "      files: {}", f.files.join(", "));
        }
    }
    out
}
