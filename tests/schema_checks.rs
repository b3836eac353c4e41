//! Rendered objects against their schemas (testdata/repos/schema-checks): built-in kinds against
//! the shipped Kubernetes OpenAPI, custom resources against their CRD from a Kustomization or
//! from a chart's `crds/` folder; findings in every validate format and in plan; severity from
//! `--schema`; objects with no known schema counted, never passed silently.

mod common;

use common::{fixture, fluxsim, run};
use serde_json::Value;

fn validate(cache: &std::path::Path, extra: &[&str]) -> common::Output {
    let mut cmd = fluxsim(cache);
    cmd.arg("validate")
        .args(extra)
        .arg("--path")
        .arg(fixture("schema-checks").join("cluster"));
    run(&mut cmd)
}

fn entry<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["entries"]
        .as_array()
        .and_then(|e| e.iter().find(|e| e["owner"]["name"] == name))
        .unwrap_or_else(|| panic!("no entry {name} in {report}"))
}

#[test]
fn every_kind_of_finding_fails_its_owner() {
    let cache = tempfile::tempdir().unwrap();
    let out = validate(cache.path(), &["-o", "json"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let report: Value = serde_json::from_str(&out.stdout).unwrap();
    let causes = |name: &str| entry(&report, name)["causes"].to_string();
    let builtin = causes("builtin");
    for expected in [
        "schema-invalid: Deployment/default/unknown-field: /spec/replicaz: field not declared in the schema",
        "schema-invalid: ConfigMap/default/wrong-type: /data/replicas: expected string, got integer",
        "schema-invalid: Service/default/missing-required: /spec/ports/0/port: required field is missing",
    ] {
        assert!(builtin.contains(expected), "{expected} not in {builtin}");
    }
    assert!(!builtin.contains("ConfigMap/default/valid"), "{builtin}");
    // A CRD from the same render.
    let widgets = causes("widgets");
    assert!(
        widgets.contains(r#"/spec/colour: \"green\" is not one of"#),
        "{widgets}"
    );
    assert!(!widgets.contains("Widget/default/good"), "{widgets}");
    // A CRD from a chart's crds/ folder.
    let gadgets = causes("gadgets-bad");
    for expected in [
        "/spec/size: expected integer, got string",
        r#"/spec/mode: \"Sometimes\" is not one of"#,
        "/spec/colour: field not declared in the schema",
    ] {
        assert!(gadgets.contains(expected), "{expected} not in {gadgets}");
    }
    assert_eq!(entry(&report, "gadgets-ok")["status"], "passed");
    // Objects with no known schema are counted (Kustomizations, HelmReleases, Unknown).
    assert!(report["summary"]["schema_skipped"].as_u64().unwrap() >= 1);
}

#[test]
fn text_and_junit_show_findings_and_the_unchecked_count() {
    let cache = tempfile::tempdir().unwrap();
    let text = validate(cache.path(), &[]);
    assert_eq!(text.code, 1);
    assert!(
        text.stdout
            .contains("schema-invalid: Widget/default/bad-enum"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout
            .contains("without a known schema (not schema-checked)"),
        "{}",
        text.stdout
    );
    let junit = validate(cache.path(), &["-o", "junit"]);
    assert!(junit.stdout.contains("<failure"), "{}", junit.stdout);
    assert!(
        junit
            .stdout
            .contains("schema-invalid: Deployment/default/unknown-field"),
        "{}",
        junit.stdout
    );
}

#[test]
fn severity_is_configurable() {
    let cache = tempfile::tempdir().unwrap();
    let warn = validate(cache.path(), &["--schema", "warning", "-o", "json"]);
    let report: Value = serde_json::from_str(&warn.stdout).unwrap();
    assert_eq!(entry(&report, "builtin")["status"], "passed", "{report}");
    assert!(
        entry(&report, "builtin")["warnings"]
            .to_string()
            .contains("schema-invalid")
    );
    // The only failure left is none: crd-not-rendered is a warning.
    assert_eq!(warn.code, 0, "{}", warn.stdout);
    let off = validate(cache.path(), &["--schema", "off"]);
    assert!(!off.stdout.contains("schema-"), "{}", off.stdout);
    assert_eq!(off.code, 0);
    let mut plan = fluxsim(cache.path());
    plan.arg("plan")
        .arg("--path")
        .arg(fixture("schema-checks").join("cluster"));
    let plan = run(&mut plan);
    assert!(plan.stdout.contains("schema-invalid"), "{}", plan.stdout);
}
