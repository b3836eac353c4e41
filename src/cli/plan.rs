//! `plan` and `validate`: the bootstrap plan and the checks over a rendered cluster.

use super::args::{CheckArgs, PlanArgs, PlanFormat, ValidateArgs, ValidateFormat};
use super::output::{print, stdout_color};
use super::{EXIT_FAILURES, EXIT_OK};
use fluxsim::pipeline::Run;
use fluxsim::plan::{self, ClusterInput, Finding, Plan, Severity};
use fluxsim::planning;

/// The planner's input, the plan, and the checks' findings.
fn analyze(run: &Run, checks: &CheckArgs) -> (ClusterInput, Plan, Vec<Finding>) {
    let input = planning::cluster_input(run, &checks.assume_crds);
    let p = plan::plan(&input);
    let findings = plan::check(&input, &p);
    (input, p, findings)
}

pub fn plan(run: &Run, args: &PlanArgs) -> u8 {
    let (_, p, findings) = analyze(run, &args.checks);
    let text = match args.output {
        PlanFormat::Text => plan::plan_text(&p, &findings, stdout_color()),
        PlanFormat::Markdown => plan::plan_markdown(&p, &findings),
        PlanFormat::Json => plan::plan_json(&p, &findings),
        PlanFormat::Mermaid => plan::plan_mermaid(&p),
        PlanFormat::Dot => plan::plan_dot(&p),
    };
    let code = print(&text);
    if code != EXIT_OK {
        return code;
    }
    if findings.iter().any(|f| f.severity == Severity::Error) {
        EXIT_FAILURES
    } else {
        EXIT_OK
    }
}

pub fn validate(run: &Run, args: &ValidateArgs) -> u8 {
    let (input, p, findings) = analyze(run, &args.checks);
    let report = plan::validate_report(&input, &p, &findings);
    let text = match args.output {
        ValidateFormat::Text => plan::report_text(&report, stdout_color()),
        ValidateFormat::Json => plan::report_json(&report),
        ValidateFormat::Junit => plan::report_junit(&report),
    };
    let code = print(&text);
    if code != EXIT_OK {
        return code;
    }
    if report.exit_code() != 0 {
        EXIT_FAILURES
    } else {
        EXIT_OK
    }
}
