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

/// Without the key: Secrets keep valid base64 placeholders, fully encrypted documents are named
/// by their file and do not collide, and a sibling that reads their variables needs the key
/// (skipped, not failed). With the key the sibling's variables are found.
#[test]
fn without_the_key_readers_need_it_and_placeholders_stand() {
    let entry = fixture("no-key").join("cluster");
    let out = validate(&entry, &[]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let key = "needs key age13hkpks32rzdfxht89ujvj2d8u93zpwf94yzlce4g6ppgd7w2y9ssv6ffq2";
    assert!(
        out.stdout
            .contains(&format!("⊝ ks/flux-system/reader skipped: {key}")),
        "{}",
        out.stdout
    );
    for file in ["one", "two"] {
        let name = format!("secrets/{file}.yaml (its kind and name are encrypted) not decrypted");
        assert!(out.stdout.contains(&name), "{}", out.stdout);
    }
    assert!(
        !out.stdout.contains("not rendered by any"),
        "{}",
        out.stdout
    );
    let cache = tempfile::tempdir().unwrap();
    let built = run(fluxsim(cache.path())
        .args(["--show-secrets", "build", "--path"])
        .arg(&entry));
    assert!(
        built
            .stdout
            .contains("  GREETING: ZW5jcnlwdGVkLW5vLWtleQ==\n"),
        "{}",
        built.stdout
    );
    assert!(
        built.stdout.contains("name: secrets-one.yaml"),
        "{}",
        built.stdout
    );
    assert!(
        built.stdout.contains("name: secrets-two.yaml"),
        "{}",
        built.stdout
    );
    let keyfile = common::manifest_dir().join("testdata/sops/keys/group3.agekey");
    let out = validate(&entry, &["--age-key-file", keyfile.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let built = run(fluxsim(cache.path())
        .args(["--show-secrets", "build", "ks", "reader", "--age-key-file"])
        .arg(&keyfile)
        .arg("--path")
        .arg(&entry));
    assert!(built.stdout.contains("  k: hello\n"), "{}", built.stdout);
}

/// One object from two Kustomizations is a warning on both (rendered, nothing blocked); two
/// with one id in one build stay kustomize's error.
#[test]
fn an_object_from_two_kustomizations_is_a_warning() {
    let out = validate(&fixture("duplicates").join("cluster"), &[]);
    let warning = "duplicate-object: ConfigMap default/shared is rendered by Kustomization flux-system/a and Kustomization flux-system/b";
    assert!(
        out.stdout.contains("✓ ks/flux-system/a (1 warning)"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("✓ ks/flux-system/b (1 warning)"),
        "{}",
        out.stdout
    );
    assert_eq!(out.stdout.matches(warning).count(), 2, "{}", out.stdout);
    assert!(
        out.stdout.contains(
            "may not add resource with an already registered id: ConfigMap.v1.[noGrp]/same.default"
        ),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("3 passed, 1 failed, 0 skipped"),
        "{}",
        out.stdout
    );
}

/// Flux's apply fails on a namespaced object without a namespace (built-in kinds, and CRDs
/// from the render); a kind nothing describes is a warning.
#[test]
fn a_namespaced_object_without_namespace_fails_its_kustomization() {
    let out = validate(&fixture("no-namespace").join("cluster"), &[]);
    for (ks, what) in [("app", "ConfigMap/nons"), ("crd", "Widget/w")] {
        let failed =
            format!("✗ ks/flux-system/{ks}\n    render failed: {what} namespace not specified");
        assert!(out.stdout.contains(&failed), "{}", out.stdout);
    }
    assert!(
        out.stdout
            .contains("! Gadget.unknown.example.org/g has no namespace"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("✓ ks/flux-system/ok"), "{}", out.stdout);
}

/// An optional substituteFrom is no edge (no cycle with a dependent that produces it); one
/// only the reader renders is a deadlock; a sibling's object is found.
#[test]
fn substitute_from_edges_deadlocks_and_siblings() {
    let out = validate(&fixture("substitute-from").join("cluster"), &[]);
    assert!(!out.stdout.contains("cycle"), "{}", out.stdout);
    assert!(out.stdout.contains("✓ ks/flux-system/a"), "{}", out.stdout);
    assert!(
        out.stdout.contains("✓ ks/flux-system/reader"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("✗ ks/flux-system/self\n    render failed: substitute from 'ConfigMap/self-vars' error: configmaps \"self-vars\" not found (only this Kustomization renders it, so Flux never builds it: a bootstrap deadlock"),
        "{}",
        out.stdout
    );
    let cache = tempfile::tempdir().unwrap();
    let built = run(fluxsim(cache.path())
        .args(["build", "ks", "reader", "--path"])
        .arg(fixture("substitute-from").join("cluster")));
    assert!(built.stdout.contains("  k: sib\n"), "{}", built.stdout);
}

/// A source that exists nowhere is Flux's "not found" failure; one that exists but is remote
/// is unavailable offline (skipped).
#[test]
fn a_missing_source_fails_and_a_remote_one_is_skipped() {
    let out = validate(&fixture("missing-source").join("cluster"), &[]);
    for line in [
        "✗ ks/apps/tenant\n    render failed: Source 'GitRepository/apps/flux-system' not found",
        "✗ ks/flux-system/nowhere\n    render failed: Source 'OCIRepository/flux-system/ghost' not found",
        "⊝ ks/flux-system/remote skipped: source 'GitRepository/flux-system/remote-repo' not available offline",
    ] {
        assert!(out.stdout.contains(line), "{}", out.stdout);
    }
}
