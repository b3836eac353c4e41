//! JSON output via serde, in struct field order (stable).

use serde::Serialize;

use super::super::checks::Finding;
use super::super::model::Plan;
use super::super::report::Report;

#[derive(Serialize)]
struct PlanDocument<'a> {
    plan: &'a Plan,
    findings: &'a [Finding],
}

fn pretty<T: Serialize>(value: &T) -> String {
    // These types only have string map keys, so serialization cannot fail; keep output valid JSON regardless.
    serde_json::to_string_pretty(value)
        .unwrap_or_else(|e| serde_json::json!({ "error": e.to_string() }).to_string())
}

/// `{"plan": …, "findings": […]}`.
pub fn plan_json(plan: &Plan, findings: &[Finding]) -> String {
    pretty(&PlanDocument { plan, findings })
}

pub fn report_json(report: &Report) -> String {
    pretty(report)
}
