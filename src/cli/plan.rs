//! `plan` and `validate`: the bootstrap plan and the checks over a rendered cluster.

use super::args::{CheckArgs, PlanArgs, PlanFormat, ValidateArgs, ValidateFormat};
use super::output::{print, stdout_color};
use super::{EXIT_FAILURES, EXIT_OK};
use fluxsim::flux::NamespacedName;
use fluxsim::pipeline::Run;
use fluxsim::plan::{self, ClusterInput, Finding, OwnerId, OwnerKind, Plan, Severity};
use fluxsim::planning;

/// The planner's input, the plan, and the checks' findings.
fn analyze(run: &Run, checks: &CheckArgs) -> (ClusterInput, Plan, Vec<Finding>) {
    let input = planning::cluster_input(run, &checks.assume_crds);
    let p = plan::plan(&input);
    let findings = plan::check(&input, &p);
    (input, p, findings)
}

/// Changed-only mode reports on the owners it rendered.
fn shown(run: &Run, owner: &OwnerId) -> bool {
    let id = NamespacedName::new(&owner.namespace, &owner.name);
    match owner.kind {
        OwnerKind::Kustomization => run.render.kustomizations.contains_key(&id),
        OwnerKind::HelmRelease => run.releases.contains_key(&id),
    }
}

/// A finding about a rendered owner, or about the repository and naming a changed file.
fn concerns_shown(run: &Run, f: &Finding) -> bool {
    match &f.owner {
        Some(owner) => shown(run, owner),
        None => run.changed_only.as_ref().is_some_and(|c| {
            f.files
                .iter()
                .any(|file| c.changed.contains(std::path::Path::new(file)))
        }),
    }
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
    let (input, p, mut findings) = analyze(run, &args.checks);
    if run.changed_only.is_some() {
        findings.retain(|f| concerns_shown(run, f));
    }
    let mut report = plan::validate_report(&input, &p, &findings);
    if run.changed_only.is_some() {
        report.entries.retain(|e| shown(run, &e.owner));
        report.summary = plan::Summary::default();
        for e in &report.entries {
            match e.status {
                plan::Status::Passed => report.summary.passed += 1,
                plan::Status::Failed => report.summary.failed += 1,
                plan::Status::Blocked => report.summary.blocked += 1,
            }
        }
    }
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
