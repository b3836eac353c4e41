//! Layouts fluxsim has not seen, judged as Flux judges them (issue 14): one focused fixture per
//! pattern under `testdata/repos/`.

mod common;

use common::{copy_dir, fixture, fluxsim, run};

fn validate(path: &std::path::Path, args: &[&str]) -> common::Output {
    let cache = tempfile::tempdir().unwrap();
    run(fluxsim(cache.path())
        .arg("validate")
        .arg("--path")
        .arg(path)
        .args(args))
}

/// A file another cluster of the same repository applies is no orphan, whichever cluster is
/// chosen and wherever `--path` points; a file no cluster applies still is.
#[test]
fn files_of_another_cluster_are_not_orphans() {
    let repo = fixture("two-clusters");
    let staging = repo.join("clusters/staging");
    for (path, args) in [
        (&repo, &[][..]),
        (&repo, &["--cluster", "staging"][..]),
        (&repo, &["--cluster", "production"][..]),
        (&staging, &[][..]),
    ] {
        let out = validate(path, args);
        assert_eq!(out.code, 0, "{args:?}: {}{}", out.stdout, out.stderr);
        assert!(!out.stdout.contains("orphan"), "{args:?}: {}", out.stdout);
    }
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&repo, tmp.path());
    let old = std::fs::read_to_string(repo.join("clusters/staging/apps.yaml"))
        .unwrap()
        .replace("name: apps", "name: old-apps");
    std::fs::write(tmp.path().join("clusters/old-apps.yaml"), old).unwrap();
    let out = validate(tmp.path(), &["--cluster", "staging"]);
    assert!(
        out.stdout.contains(
            "Kustomization flux-system/old-apps in clusters/old-apps.yaml is not applied"
        ),
        "{}",
        out.stdout
    );
    assert_eq!(
        out.stdout.matches("orphan-file").count(),
        1,
        "{}",
        out.stdout
    );
}

/// A cycle reads in dependency order (each waits for the next) wherever it is printed,
/// kustomize's detail lines stay under their error, and a failed root is said to be one.
#[test]
fn messages_keep_order_details_and_say_when_the_root_failed() {
    let out = validate(&fixture("messages").join("cluster"), &[]);
    // x dependsOn z, z dependsOn y, y dependsOn x.
    let order =
        "dependency cycle: flux-system/x -> flux-system/z -> flux-system/y -> flux-system/x";
    assert_eq!(out.stdout.matches(order).count(), 3, "{}", out.stdout);
    assert!(
        out.stdout.contains(
            "yaml: unmarshal errors:\n        line 11: mapping key \"a\" already defined at line 10"
        ),
        "{}",
        out.stdout
    );
    let cache = tempfile::tempdir().unwrap();
    let out = run(fluxsim(cache.path())
        .args(["build", "--path"])
        .arg(fixture("root-fails").join("cluster")));
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains(
            "the root Kustomization flux-system/flux-system failed to build, so nothing below it was rendered"
        ),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("0 of 0"), "{}", out.stderr);
}

/// Warnings of an owner that was skipped (no key) are printed under it, as JSON lists them.
#[test]
fn skipped_owners_show_their_warnings() {
    let out = validate(&fixture("sops-cluster").join("cluster"), &[]);
    assert!(
        out.stdout.contains(
            "skipped: needs key age1t0u0ljuhj9r9wgzvsup4zcx30qsrwke586fel5phafxyw2dnz48shkjl7c"
        ),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("    ! Secret/flux-system/cluster-secrets not decrypted: no key for"),
        "{}",
        out.stdout
    );
}
