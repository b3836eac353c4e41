//! Small pieces shared by the formatters: settings as text, severity counts, optional ANSI colour.

use super::super::checks::{Finding, Severity};
use super::super::model::{Dependency, PlannedOwner};
use super::super::timing::TimeSetting;
use crate::graph::EdgeReason;

/// ANSI styles used when colour is on.
#[derive(Clone, Copy)]
pub enum Style {
    Bold,
    Red,
    Yellow,
    Green,
    Dim,
}

/// Wraps `s` in an ANSI style when `color` is true.
pub fn paint(s: &str, style: Style, color: bool) -> String {
    if !color {
        return s.to_string();
    }
    let code = match style {
        Style::Bold => "1",
        Style::Red => "31",
        Style::Yellow => "33",
        Style::Green => "32",
        Style::Dim => "2",
    };
    format!("\x1b[{code}m{s}\x1b[0m")
}

pub fn severity_style(s: Severity) -> Style {
    match s {
        Severity::Error => Style::Red,
        Severity::Warning => Style::Yellow,
        Severity::Info => Style::Dim,
    }
}

/// `5m`, or `5m (default: helm-controller default)` / `30s (10s clamped to 30s)`.
pub fn setting(s: &TimeSetting) -> String {
    match (&s.rule, s.defaulted) {
        (Some(rule), true) => format!("{} (default: {rule})", s.value),
        (Some(rule), false) => format!("{} ({rule})", s.value),
        (None, _) => s.value.to_string(),
    }
}

pub fn optional_setting(s: Option<&TimeSetting>) -> String {
    s.map_or_else(|| "missing".to_string(), setting)
}

/// `helm wait`, `wait for all objects`, `health checks (2)`, `applied only (wait unset)`.
pub fn readiness(o: &PlannedOwner) -> String {
    let t = &o.timing;
    let base = t.readiness.describe();
    match t.readiness {
        super::super::timing::Readiness::HealthChecks => {
            format!(
                "{base} ({}): {}",
                t.health_checks.len(),
                t.health_checks.join(", ")
            )
        }
        super::super::timing::Readiness::AppliedOnly if t.wait_defaulted => {
            format!("{base} (wait unset)")
        }
        _ => base.to_string(),
    }
}

/// `ks/flux-system/infra (parent, dependsOn)`.
pub fn dependency(d: &Dependency) -> String {
    let reasons: Vec<String> = d.reasons.iter().map(EdgeReason::to_string).collect();
    format!("{} ({})", d.owner.short(), reasons.join("; "))
}

/// `2 errors, 1 warning, 0 info`.
pub fn severity_counts(findings: &[Finding]) -> String {
    let count = |s| findings.iter().filter(|f| f.severity == s).count();
    let (e, w, i) = (
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Info),
    );
    format!(
        "{e} error{}, {w} warning{}, {i} info",
        if e == 1 { "" } else { "s" },
        if w == 1 { "" } else { "s" }
    )
}

/// `error[crd-not-ordered] ks/flux-system/apps: message`.
pub fn finding_line(f: &Finding, color: bool) -> String {
    let head = paint(
        &format!("{}[{}]", f.severity, f.code),
        severity_style(f.severity),
        color,
    );
    match &f.owner {
        Some(o) => format!("{head} {}: {}", o.short(), f.message),
        None => format!("{head} {}", f.message),
    }
}
