//! The example repository (testdata/example): Kustomizations, SOPS, a HelmRelease from a chart in
//! the repository, plan and validate in every format.

mod common;

use common::{fluxsim, manifest_dir, run, stable_summary};

fn base(cmd: &mut assert_cmd::Command) -> &mut assert_cmd::Command {
    cmd.arg("--path")
        .arg(manifest_dir().join("testdata/example/kubernetes/flux/cluster"))
        .arg("--age-key-file")
        .arg(manifest_dir().join("testdata/sops/keys/main.agekey"))
}

#[test]
fn builds_everything_including_the_helm_release() {
    let cache = tempfile::tempdir().unwrap();
    let out = run(base(fluxsim(cache.path()).arg("build")));
    assert_eq!(out.code, 0, "{}", out.stderr);
    // The chart makes a random session key on every fresh render (no shared render cache here).
    insta::with_settings!({filters => vec![(r"SESSION_KEY: <secret:[0-9a-f]+>", "SESSION_KEY: <secret:random>")]}, {
        insta::assert_snapshot!("example-objects", out.stdout);
    });
    insta::assert_snapshot!("example-summary", stable_summary(&out.stderr));
}

#[test]
fn get_hr_shows_the_chart() {
    let cache = tempfile::tempdir().unwrap();
    let out = run(base(fluxsim(cache.path()).args(["get", "hr", "-q"])));
    assert_eq!(out.code, 0, "{}", out.stderr);
    insta::assert_snapshot!("example-get-hr", out.stdout);
}

#[test]
fn build_hr_prints_one_release() {
    let cache = tempfile::tempdir().unwrap();
    let out = run(base(
        fluxsim(cache.path()).args(["build", "hr", "echo", "-q"]),
    ));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("helm.toolkit.fluxcd.io/name: echo"),
        "{}",
        out.stdout
    );
    assert!(
        !out.stdout.contains("kind: Kustomization"),
        "{}",
        out.stdout
    );
    // The chart's CRD belongs to widgets-crds (install.crds: Skip).
    assert!(
        !out.stdout.contains("CustomResourceDefinition"),
        "{}",
        out.stdout
    );
}

#[test]
fn plan_in_every_format() {
    let cache = tempfile::tempdir().unwrap();
    for format in ["text", "markdown", "json", "mermaid", "dot"] {
        let out = run(base(
            fluxsim(cache.path()).args(["plan", "-q", "-o", format]),
        ));
        assert_eq!(out.code, 0, "{format}: {}", out.stderr);
        insta::assert_snapshot!(format!("example-plan-{format}"), out.stdout);
    }
}

#[test]
fn validate_in_every_format() {
    let cache = tempfile::tempdir().unwrap();
    for format in ["text", "json", "junit"] {
        let out = run(base(
            fluxsim(cache.path()).args(["validate", "-q", "-o", format]),
        ));
        assert_eq!(out.code, 0, "{format}: {}", out.stderr);
        insta::assert_snapshot!(format!("example-validate-{format}"), out.stdout);
    }
}

#[test]
fn a_second_run_is_served_from_the_cache() {
    let cache = tempfile::tempdir().unwrap();
    let stats = cache.path().join("stats.json");
    for _ in 0..2 {
        let out = run(base(
            fluxsim(cache.path())
                .args(["get", "ks", "-q", "--stats-file"])
                .arg(&stats),
        ));
        assert_eq!(out.code, 0, "{}", out.stderr);
    }
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&stats).unwrap()).unwrap();
    // cluster-settings decrypts nothing before kustomize, so every build is cacheable.
    assert_eq!(
        s["kustomizationsFromCache"],
        s["kustomizations"].as_u64().unwrap() + 1,
        "{s}"
    );
    assert_eq!(s["kustomizeSeconds"], 0.0);
}

/// From the top of the repository (fluxsim's default `--path .`), the root `ks.yaml` folder is
/// found and the same cluster renders: no invented root over the whole tree.
#[test]
fn the_repository_root_finds_the_root_ks_yaml() {
    let repo = common::example_repo();
    let cache = tempfile::tempdir().unwrap();
    let mut cmd = fluxsim(cache.path());
    cmd.current_dir(repo.path())
        .arg("--age-key-file")
        .arg(manifest_dir().join("testdata/sops/keys/main.agekey"))
        .args(["validate", "-o", "json"]);
    let out = run(&mut cmd);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let entries = report["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 7, "{report}");
    assert!(entries.iter().all(|e| e["status"] == "passed"), "{report}");
    let mut clusters = fluxsim(cache.path());
    clusters.current_dir(repo.path()).args(["get", "clusters"]);
    let out = run(&mut clusters);
    assert!(
        out.stdout
            .contains("root Kustomizations (kubernetes/flux/cluster/ks.yaml)"),
        "{}",
        out.stdout
    );
}
