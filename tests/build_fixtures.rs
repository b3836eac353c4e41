//! `fluxsim build` / `get ks` on the fixture repositories in testdata/repos, with the real kustomize.

mod common;

use common::{fixture, fluxsim, read_tree, run, stable_summary};

fn build_stream(name: &str, entry: &str) -> common::Output {
    let cache = tempfile::tempdir().unwrap();
    run(fluxsim(cache.path())
        .arg("build")
        .arg("--path")
        .arg(fixture(name).join(entry)))
}

macro_rules! fixture_snapshot {
    ($test:ident, $name:literal, $entry:literal) => {
        #[test]
        fn $test() {
            let out = build_stream($name, $entry);
            assert_eq!(out.code, 0, "stderr:\n{}", out.stderr);
            insta::assert_snapshot!(concat!($name, "-objects"), out.stdout);
            insta::assert_snapshot!(concat!($name, "-summary"), stable_summary(&out.stderr));
        }
    };
}

fixture_snapshot!(four_roots, "four-roots", "cluster");
fixture_snapshot!(chains, "chains", "clusters/home");
fixture_snapshot!(app_ks, "app-ks", "kubernetes/flux/cluster");
fixture_snapshot!(root_patches, "root-patches", "cluster");
fixture_snapshot!(no_kustomization, "no-kustomization", "cluster");
fixture_snapshot!(substitution, "substitution", "cluster");
fixture_snapshot!(synced_dir, "synced-dir", "apps");

#[test]
fn get_ks_table() {
    let cache = tempfile::tempdir().unwrap();
    let out = run(fluxsim(cache.path())
        .args(["get", "ks", "--quiet", "--path"])
        .arg(fixture("chains").join("clusters/home")));
    assert_eq!(out.code, 0, "{}", out.stderr);
    insta::assert_snapshot!("chains-get-ks", out.stdout);
}

#[test]
fn build_one_kustomization() {
    let cache = tempfile::tempdir().unwrap();
    let out = run(fluxsim(cache.path())
        .args(["build", "ks", "cert-manager-issuers", "--quiet", "--path"])
        .arg(fixture("chains").join("clusters/home")));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("kind: ClusterIssuer"), "{}", out.stdout);
    assert!(!out.stdout.contains("kind: Deployment"), "{}", out.stdout);
}

#[test]
fn snapshot_is_identical_across_runs_and_job_counts() {
    let cache = tempfile::tempdir().unwrap();
    let entry = fixture("app-ks").join("kubernetes/flux/cluster");
    let mut trees = Vec::new();
    for jobs in ["1", "8", "8"] {
        let out_dir = tempfile::tempdir().unwrap();
        let out = run(fluxsim(cache.path())
            .args(["build", "--quiet", "--jobs", jobs, "--output-dir"])
            .arg(out_dir.path().join("snap"))
            .arg("--path")
            .arg(&entry));
        assert_eq!(out.code, 0, "{}", out.stderr);
        trees.push(read_tree(&out_dir.path().join("snap")));
    }
    assert!(trees[0].len() > 5);
    assert_eq!(trees[0], trees[1]);
    assert_eq!(trees[1], trees[2]);
    let index = trees[0].iter().find(|(p, _)| p == "index.yaml").unwrap();
    insta::assert_snapshot!("app-ks-index", String::from_utf8_lossy(&index.1));
}

#[test]
fn output_dir_refuses_to_overwrite_foreign_folders() {
    let cache = tempfile::tempdir().unwrap();
    let out_dir = tempfile::tempdir().unwrap();
    std::fs::write(out_dir.path().join("precious.txt"), "keep").unwrap();
    let out = run(fluxsim(cache.path())
        .args(["build", "--quiet", "--output-dir"])
        .arg(out_dir.path())
        .arg("--path")
        .arg(fixture("chains").join("clusters/home")));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("refusing to overwrite"),
        "{}",
        out.stderr
    );
    assert!(out_dir.path().join("precious.txt").exists());
}

#[test]
fn json_output_is_valid() {
    let cache = tempfile::tempdir().unwrap();
    let out = run(fluxsim(cache.path())
        .args(["get", "ks", "-o", "json", "--quiet", "--path"])
        .arg(fixture("four-roots").join("cluster")));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 4);
}
