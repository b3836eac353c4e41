//! A command that renders several clusters prints one machine-readable document, not one per
//! cluster glued together (which no JSON or JUnit reader accepts).

mod common;

use common::{fixture, fluxsim, run};
use serde_json::Value;

fn two_clusters(args: &[&str]) -> common::Output {
    let cache = tempfile::tempdir().unwrap();
    run(fluxsim(cache.path())
        .arg("--path")
        .arg(fixture("two-clusters"))
        .args(args))
}

#[test]
fn json_views_are_one_document_with_a_section_per_cluster() {
    for args in [
        &["validate", "-o", "json"][..],
        &["get", "ks", "-o", "json"][..],
        &["build", "-o", "json"][..],
    ] {
        let out = two_clusters(args);
        let doc: Value = serde_json::from_str(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: {e}\n{}", out.stdout));
        let names: Vec<&str> = doc["clusters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["production", "staging"], "{args:?}");
        assert_eq!(doc["clusters"][1]["path"], "clusters/staging", "{args:?}");
    }
    let out = two_clusters(&["validate", "-o", "json"]);
    let doc: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(doc["clusters"][0]["output"]["summary"]["passed"], 2);
}

#[test]
fn junit_is_one_report_with_a_suite_per_cluster() {
    let out = two_clusters(&["validate", "-o", "junit"]);
    assert_eq!(out.stdout.matches("<?xml").count(), 1, "{}", out.stdout);
    assert_eq!(out.stdout.matches("<testsuites").count(), 1);
    assert!(
        out.stdout
            .contains(r#"<testsuites name="fluxsim" tests="4""#)
    );
    assert!(
        out.stdout
            .contains(r#"<testsuite name="fluxsim validate: production" tests="2""#)
    );
    assert!(
        out.stdout
            .contains(r#"<testsuite name="fluxsim validate: staging" tests="2""#)
    );
}

#[test]
fn one_chosen_cluster_keeps_the_single_cluster_shape() {
    let out = two_clusters(&["--cluster", "staging", "validate", "-o", "json"]);
    let doc: Value = serde_json::from_str(&out.stdout).unwrap();
    assert!(doc.get("clusters").is_none());
    assert_eq!(doc["summary"]["passed"], 2);
}
