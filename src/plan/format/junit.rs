//! The validation report as JUnit XML (quick-junit): one testcase per owner; failed owners get
//! `<failure>`, skipped ones `<skipped>` with why, blocked ones `<skipped>` naming the failed owner
//! they wait for (the failure is reported there); warnings go to `<system-out>`.

use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite};

use super::super::report::{Report, ReportEntry, Status};

pub fn report_junit(report: &Report) -> String {
    let mut junit = quick_junit::Report::new("fluxsim");
    junit.add_test_suite(suite("fluxsim validate".to_string(), report));
    serialize(&junit)
}

/// Several clusters' reports as one document: a suite per cluster, named after it.
pub fn report_junit_clusters(reports: &[(String, &Report)]) -> String {
    let mut junit = quick_junit::Report::new("fluxsim");
    for (cluster, report) in reports {
        junit.add_test_suite(suite(format!("fluxsim validate: {cluster}"), report));
    }
    serialize(&junit)
}

fn suite(name: String, report: &Report) -> TestSuite {
    let mut suite = TestSuite::new(name);
    suite.add_test_cases(report.entries.iter().map(test_case));
    suite
}

fn serialize(junit: &quick_junit::Report) -> String {
    // Serializing strings into a String cannot fail; keep the output well-formed regardless.
    junit
        .to_string()
        .unwrap_or_else(|e| format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- {e} -->\n"))
}

fn test_case(e: &ReportEntry) -> TestCase {
    let status = match e.status {
        Status::Passed => TestCaseStatus::success(),
        Status::Failed => {
            let first = e.causes.first().map(String::as_str).unwrap_or("failed");
            let kind = first.split_once(':').map_or("failed", |(k, _)| k);
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_type(kind)
                .set_message(first)
                .set_description(e.causes.join("\n"));
            s
        }
        Status::Blocked => {
            let by: Vec<String> = e.blocked_by.iter().map(|id| id.short()).collect();
            let mut s = TestCaseStatus::skipped();
            s.set_message(format!("blocked by {}", by.join(", ")));
            s
        }
        Status::Skipped => {
            let mut s = TestCaseStatus::skipped();
            s.set_message(e.skipped.clone().unwrap_or_else(|| "not checked".into()));
            s
        }
    };
    let mut case = TestCase::new(format!("{}/{}", e.owner.namespace, e.owner.name), status);
    case.set_classname(format!("{}.{}", e.owner.kind, e.owner.namespace));
    if let Some(file) = &e.file {
        case.extra.insert("file".into(), file.clone().into());
    }
    if !e.warnings.is_empty() {
        case.set_system_out(e.warnings.join("\n"));
    }
    case
}
