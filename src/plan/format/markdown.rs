//! The plan as GitHub-flavoured markdown: a summary, one table of owners by wave, cycles, the critical path
//! and a findings table.

use std::fmt::Write;

use super::super::checks::Finding;
use super::super::model::Plan;
use super::common::{dependency, optional_setting, readiness, setting, severity_counts};

/// Escapes text for a table cell: pipes, newlines and backticks would break the table.
fn cell(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

fn code(s: &str) -> String {
    format!("`{}`", s.replace('`', "'"))
}

pub fn plan_markdown(plan: &Plan, findings: &[Finding]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "## Bootstrap plan\n");
    let _ = writeln!(
        out,
        "**{}** owners in **{}** waves · critical path **{}** (sum of timeouts) · findings: {}\n",
        plan.owners.len(),
        plan.waves.len(),
        plan.critical_path.total,
        severity_counts(findings)
    );
    if !plan.waves.is_empty() {
        let _ = writeln!(
            out,
            "| Wave | Owner | Timeout | Ready means | Interval | Retry | After |"
        );
        let _ = writeln!(out, "|---:|---|---|---|---|---|---|");
        for wave in &plan.waves {
            for id in &wave.owners {
                let Some(o) = plan.owner(id) else { continue };
                let after: Vec<String> = o.after.iter().map(dependency).collect();
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} | {} | {} |",
                    wave.index,
                    code(&o.id.short()),
                    cell(&setting(&o.timing.timeout)),
                    cell(&readiness(o)),
                    cell(&optional_setting(o.timing.interval.as_ref())),
                    cell(&optional_setting(o.timing.retry_interval.as_ref())),
                    cell(&after.join("<br>")),
                );
            }
        }
        let _ = writeln!(out);
    }
    if !plan.cycles.is_empty() {
        let _ = writeln!(out, "### Cycles (excluded from waves)\n");
        for c in &plan.cycles {
            let _ = writeln!(out, "- {}", code(&c.display()));
        }
        for u in &plan.unscheduled {
            let _ = writeln!(out, "- {} waits on a cycle", code(&u.owner.short()));
        }
        let _ = writeln!(out);
    }
    if !plan.critical_path.steps.is_empty() {
        let _ = writeln!(out, "### Critical path: {}\n", plan.critical_path.total);
        for (i, s) in plan.critical_path.steps.iter().enumerate() {
            let _ = writeln!(
                out,
                "{}. {} +{} = {}",
                i + 1,
                code(&s.owner.short()),
                s.timeout,
                s.cumulative
            );
        }
        let _ = writeln!(out);
    }
    if !findings.is_empty() {
        let _ = writeln!(out, "### Findings\n");
        let _ = writeln!(out, "| Severity | Code | Owner | Message |");
        let _ = writeln!(out, "|---|---|---|---|");
        for f in findings {
            let owner = f
                .owner
                .as_ref()
                .map(|o| code(&o.short()))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                f.severity,
                code(f.code.as_str()),
                owner,
                cell(&f.message)
            );
        }
    }
    out
}
