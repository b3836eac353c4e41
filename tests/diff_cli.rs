//! `fluxsim diff` on git repositories made in temporary folders: a base commit and a change.

mod common;

use common::{edit, example_repo, fluxsim, git, manifest_dir, run};
use std::path::{Path, PathBuf};

fn diff(repo: &Path, cache: &Path, extra: &[&str]) -> common::Output {
    let entry: PathBuf = repo.join("kubernetes/flux/cluster");
    run(fluxsim(cache)
        .args(["diff", "--base", "main", "-q"])
        .args(extra)
        .arg("--path")
        .arg(entry)
        .arg("--age-key-file")
        .arg(manifest_dir().join("testdata/sops/keys/main.agekey")))
}

const HR: &str = "kubernetes/apps/apps/echo/app/helmrelease.yaml";
const WIDGET: &str = "kubernetes/apps/platform/widgets/app/widget.yaml";

#[test]
fn identical_trees_give_no_output_and_exit_zero() {
    let repo = example_repo();
    let cache = tempfile::tempdir().unwrap();
    for format in ["unified", "stat"] {
        let out = diff(repo.path(), cache.path(), &["--exit-code", "-o", format]);
        assert_eq!(out.code, 0, "{format}: {}", out.stderr);
        assert_eq!(out.stdout, "", "{format}");
    }
}

#[test]
fn a_change_shows_in_every_format() {
    let repo = example_repo();
    let cache = tempfile::tempdir().unwrap();
    edit(repo.path(), HR, "logLevel: debug", "logLevel: warn");
    edit(repo.path(), WIDGET, "size: 3", "size: 5");
    for format in ["unified", "markdown", "json", "stat"] {
        let out = diff(repo.path(), cache.path(), &["-o", format]);
        assert_eq!(out.code, 0, "{format}: {}", out.stderr);
        // Changed values re-render the chart, and its random session key changes with it (as it
        // would on a helm upgrade): mask the tokens of that one value.
        let filters = vec![(
            r"SESSION_KEY: <secret:[0-9a-f]+>",
            "SESSION_KEY: <secret:random>",
        )];
        insta::with_settings!({filters => filters}, {
            insta::assert_snapshot!(format!("diff-{format}"), out.stdout);
        });
    }
    let out = diff(repo.path(), cache.path(), &["--exit-code"]);
    assert_eq!(out.code, 1);
}

#[test]
fn a_changed_secret_shows_a_changed_token_never_its_value() {
    let repo = example_repo();
    let cache = tempfile::tempdir().unwrap();
    // A new plain Secret value (cluster-secrets itself is encrypted; a plain one is simplest).
    std::fs::write(
        repo.path().join("kubernetes/flux/settings/extra-secret.yaml"),
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: extra\n  namespace: flux-system\nstringData:\n  password: first-password\n",
    )
    .unwrap();
    edit(
        repo.path(),
        "kubernetes/flux/settings/kustomization.yaml",
        "  - ./cluster-secrets.sops.yaml",
        "  - ./cluster-secrets.sops.yaml\n  - ./extra-secret.yaml",
    );
    git(repo.path(), &["add", "-A"]);
    git(repo.path(), &["commit", "-qm", "add a secret"]);
    edit(
        repo.path(),
        "kubernetes/flux/settings/extra-secret.yaml",
        "first-password",
        "second-password",
    );
    let out = diff(repo.path(), cache.path(), &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("-  password: <secret:"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("+  password: <secret:"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("first-password") && !out.stdout.contains("second-password"));
}

#[test]
fn a_render_failure_on_one_side_is_not_shown_as_removals() {
    let repo = example_repo();
    let cache = tempfile::tempdir().unwrap();
    edit(repo.path(), WIDGET, "size: 3", "size: [3");
    let out = diff(repo.path(), cache.path(), &[]);
    assert_eq!(out.code, 1, "head fails to render: {}", out.stderr);
    assert!(out.stdout.contains("failed on head"), "{}", out.stdout);
    assert!(!out.stdout.contains("-kind: Widget"), "{}", out.stdout);
}

#[test]
fn markdown_stays_within_its_budget() {
    let repo = example_repo();
    let cache = tempfile::tempdir().unwrap();
    // 300 changed objects: a ConfigMap list in the widgets app.
    let mut cms = String::new();
    for i in 0..300 {
        cms.push_str(&format!(
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i}\ndata:\n  value: \"{i}\"\n"
        ));
    }
    std::fs::write(
        repo.path()
            .join("kubernetes/apps/platform/widgets/app/many.yaml"),
        &cms,
    )
    .unwrap();
    edit(
        repo.path(),
        "kubernetes/apps/platform/widgets/app/kustomization.yaml",
        "  - ./widget.yaml",
        "  - ./widget.yaml\n  - ./many.yaml",
    );
    git(repo.path(), &["add", "-A"]);
    git(repo.path(), &["commit", "-qm", "many"]);
    std::fs::write(
        repo.path()
            .join("kubernetes/apps/platform/widgets/app/many.yaml"),
        cms.replace("value: \"", "value: \"changed-"),
    )
    .unwrap();
    edit(repo.path(), HR, "logLevel: debug", "logLevel: warn");
    let out = diff(
        repo.path(),
        cache.path(),
        &["-o", "markdown", "--limit-bytes", "6000"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.len() <= 6000, "{} bytes", out.stdout.len());
    assert!(out.stdout.starts_with("<!-- fluxsim-diff -->"));
    assert!(
        out.stdout.contains("flux-system/widgets"),
        "the cut owner stays in the table and the note"
    );
}
