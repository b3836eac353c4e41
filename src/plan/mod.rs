//! Bootstrap plan and validation of a rendered Flux cluster: the owner graph (dependsOn plus implicit
//! edges), waves and critical path, ordering/variable/ownership checks, a per-owner validation report and
//! formatters (text, markdown, JSON, Mermaid, DOT, JUnit).

mod catalog;
mod checks;
mod duration;
#[cfg(test)]
mod fixtures;
mod format;
mod graph;
mod input;
mod model;
mod objects;
mod reach;
mod report;
mod spec;
mod synthetic;
mod timing;
mod waves;

pub use checks::{Code, Finding, Severity, check};
pub use duration::{DurationError, Millis, parse_go_duration};
pub use format::{
    plan_dot, plan_json, plan_markdown, plan_mermaid, plan_text, report_json, report_junit,
    report_text,
};
pub use graph::EdgeReason;
pub use input::{ClusterInput, FluxFile, Owner, OwnerId, OwnerKind, RenderStatus, VarDef};
pub use model::{
    CriticalPath, CriticalStep, Cycle, Dependency, Plan, PlanEdge, PlannedOwner, Unscheduled, Wave,
};
pub use objects::ObjectKey;
pub use report::{Report, ReportEntry, Status, Summary, validate_report};
pub use synthetic::synthetic_input;
pub use timing::{Readiness, TimeSetting, Timing};
pub use waves::plan;
