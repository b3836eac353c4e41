//! Bad input: every failure is reported with its Kustomization and file, the rest still renders,
//! and the exit status is 1. Never a panic.

mod common;

use common::{fixture, fluxsim, run, stable_summary};

#[test]
fn broken_repo_reports_each_failure_and_renders_the_rest() {
    let cache = tempfile::tempdir().unwrap();
    let out = run(fluxsim(cache.path())
        .args(["get", "ks", "-o", "json", "--path"])
        .arg(fixture("broken").join("cluster")));
    assert_eq!(out.code, 1, "stderr:\n{}", out.stderr);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    let rows: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let status = |name: &str| -> (String, String) {
        let row = rows
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .unwrap_or_else(|| panic!("no row {name}"));
        (
            row["status"].as_str().unwrap().to_string(),
            row["message"].as_str().unwrap().to_string(),
        )
    };
    let expect = |name: &str, state: &str, needle: &str| {
        let (s, m) = status(name);
        assert_eq!(s, state, "{name}: {m}");
        assert!(m.contains(needle), "{name}: expected {needle:?} in {m:?}");
    };
    expect("healthy-one", "rendered", "");
    expect("healthy-two", "rendered", "");
    expect("missing-path", "failed", "kustomization path not found");
    expect("yaml-error", "failed", "configmap.yaml");
    expect(
        "after-yaml-error",
        "blocked",
        "dependency 'flux-system/yaml-error' is not ready",
    );
    expect("kustomize-error", "failed", "does-not-exist.yaml");
    expect("unknown-var", "failed", "UNDEFINED_VAR");
    expect(
        "missing-dep",
        "failed",
        "dependency 'flux-system/does-not-exist' not found",
    );
    expect(
        "cycle-a",
        "failed",
        "dependency cycle: flux-system/cycle-a -> flux-system/cycle-b -> flux-system/cycle-a",
    );
    expect("cycle-b", "failed", "dependency cycle");
    // Flux applies an object two Kustomizations render (the last apply wins, ownership labels
    // flip): a warning for validate and plan, not a failure.
    expect("duplicate-a", "rendered", "");
    expect("duplicate-b", "rendered", "");
    expect("remote-source", "unavailable", "not available offline");
    insta::assert_snapshot!("broken-summary", stable_summary(&out.stderr));
}

#[test]
fn unknown_variable_passes_without_strict_mode() {
    let cache = tempfile::tempdir().unwrap();
    let out = run(fluxsim(cache.path())
        .args([
            "build",
            "ks",
            "unknown-var",
            "--quiet",
            "--strict-substitution=false",
            "--path",
        ])
        .arg(fixture("broken").join("cluster")));
    assert!(!out.stderr.contains("panicked"));
    assert!(out.stdout.contains("kind: ConfigMap"), "{}", out.stdout);
}

#[test]
fn missing_path_is_a_setup_error() {
    let cache = tempfile::tempdir().unwrap();
    let out = run(fluxsim(cache.path()).args(["get", "ks", "--path", "/no/such/dir"]));
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("/no/such/dir"), "{}", out.stderr);
}

#[test]
fn unmapped_source_can_be_mapped() {
    let cache = tempfile::tempdir().unwrap();
    let other = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(other.path().join("deploy")).unwrap();
    std::fs::write(
        other.path().join("deploy/cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-other\n  namespace: default\n",
    )
    .unwrap();
    let out = run(fluxsim(cache.path())
        .args(["build", "ks", "remote-source", "--quiet", "--source"])
        .arg(format!("flux-system/other-repo={}", other.path().display()))
        .arg("--path")
        .arg(fixture("broken").join("cluster")));
    assert!(
        out.stdout.contains("from-other"),
        "{}\n{}",
        out.stdout,
        out.stderr
    );
}
