//! Bootstrap plan and validation of a rendered Flux cluster: the owner graph (dependsOn plus implicit
//! edges), waves and critical path, ordering/variable/ownership checks, a per-owner validation report and
//! formatters (text, markdown, JSON, Mermaid, DOT, JUnit).

mod checks;
mod duration;
#[cfg(test)]
mod fixtures;
mod format;
mod input;
mod model;
mod report;
mod synthetic;
mod timing;
mod waves;

pub use crate::graph::{Cycle, EdgeReason};
pub use checks::{Code, Finding, Severity, check};
pub use duration::{DurationError, Millis, parse_go_duration};
pub use format::{
    plan_dot, plan_json, plan_markdown, plan_mermaid, plan_text, report_json, report_junit,
    report_junit_clusters, report_text,
};
pub use input::{ClusterInput, Scenario, SchemaSettings, render_error};
pub use model::{
    CriticalPath, CriticalStep, Dependency, Plan, PlanEdge, PlannedOwner, Unscheduled, Wave,
};
pub use report::{Report, ReportEntry, Status, Summary, validate_report};
pub use synthetic::synthetic_input;
pub use timing::{Readiness, TimeSetting, Timing};
pub use waves::plan;
