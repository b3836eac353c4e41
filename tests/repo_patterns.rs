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
