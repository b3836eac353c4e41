//! What the flux-local and flate command lines need, on fixtures: selection and output filters,
//! `get -o name|wide`, `get images`, validate's warnings and `--fail-on warning`, and the
//! messages (one hint for many uncached charts, a missing helm, counts in the right number).

mod common;

use common::{fixture, fluxsim, manifest_dir, run};
use serde_json::Value;
use std::path::Path;

const ENTRY: &str = "kubernetes/flux/cluster";

fn example(cache: &Path, args: &[&str]) -> common::Output {
    run(fluxsim(cache)
        .arg("--path")
        .arg(manifest_dir().join("testdata/example").join(ENTRY))
        .arg("--age-key-file")
        .arg(manifest_dir().join("testdata/sops/keys/main.agekey"))
        .arg("-q")
        .args(args))
}

fn kinds(yaml: &str) -> Vec<String> {
    let mut kinds: Vec<String> = yaml
        .lines()
        .filter_map(|l| l.strip_prefix("kind: "))
        .map(str::to_string)
        .collect();
    kinds.sort();
    kinds.dedup();
    kinds
}

#[test]
fn output_filters_leave_objects_out_of_build_only() {
    let cache = tempfile::tempdir().unwrap();
    let defaults = |args: &[&str]| {
        run(common::with_default_filters(&mut fluxsim(cache.path()))
            .arg("--path")
            .arg(manifest_dir().join("testdata/example").join(ENTRY))
            .arg("--age-key-file")
            .arg(manifest_dir().join("testdata/sops/keys/main.agekey"))
            .arg("-q")
            .args(args))
    };
    let all = defaults(&["build", "--no-skip-crds", "--skip-secrets=false"]);
    assert_eq!(all.code, 0, "{}", all.stderr);
    let everything = kinds(&all.stdout);
    for kind in ["CustomResourceDefinition", "Secret", "ConfigMap"] {
        assert!(everything.contains(&kind.to_string()), "{everything:?}");
    }
    // flate's defaults: CRDs and Secrets left out; the explicit flags say the same.
    let default = defaults(&["build"]);
    let default_kinds = kinds(&default.stdout);
    for kind in ["CustomResourceDefinition", "Secret"] {
        assert!(
            !default_kinds.contains(&kind.to_string()),
            "{default_kinds:?}"
        );
    }
    assert!(default_kinds.contains(&"ConfigMap".to_string()));
    let explicit = defaults(&["build", "--skip-crds", "--skip-secrets"]);
    assert_eq!(explicit.stdout, default.stdout);
    let skipped = defaults(&[
        "build",
        "--skip-kinds",
        "ConfigMap,Ingress.networking.k8s.io",
    ]);
    assert_eq!(skipped.code, 0, "{}", skipped.stderr);
    let left = kinds(&skipped.stdout);
    for kind in ["CustomResourceDefinition", "Secret", "ConfigMap", "Ingress"] {
        assert!(!left.contains(&kind.to_string()), "{kind}: {left:?}");
    }
    assert!(left.contains(&"Deployment".to_string()), "{left:?}");
    // The same from the environment; a value that is not a boolean is an error.
    let from_env = run(fluxsim(cache.path())
        .env("FLUXSIM_SKIP_SECRETS", "true")
        .arg("--path")
        .arg(manifest_dir().join("testdata/example").join(ENTRY))
        .args(["--age-key-file"])
        .arg(manifest_dir().join("testdata/sops/keys/main.agekey"))
        .args(["build", "-q"]));
    assert!(!kinds(&from_env.stdout).contains(&"Secret".to_string()));
    let bad = run(fluxsim(cache.path())
        .env("FLUXSIM_SKIP_SECRETS", "maybe")
        .args(["build", "-q"]));
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    // The snapshot keeps everything whatever the filters say.
    let dir = tempfile::tempdir().unwrap();
    let snap = example(
        cache.path(),
        &[
            "build",
            "--skip-secrets",
            "--output-dir",
            dir.path().to_str().unwrap(),
        ],
    );
    assert_eq!(snap.code, 0, "{}", snap.stderr);
    let index = std::fs::read_to_string(dir.path().join("index.yaml")).unwrap();
    assert!(index.contains("kind: Secret"), "{index}");
}

#[test]
fn get_selects_by_name_namespace_and_label_and_prints_names_and_wide_tables() {
    let cache = tempfile::tempdir().unwrap();
    let names = example(cache.path(), &["get", "ks", "-o", "name"]);
    assert_eq!(names.code, 0, "{}", names.stderr);
    assert_eq!(
        names.stdout,
        "kustomization/flux-system/cluster-settings\nkustomization/flux-system/cluster-apps\n\
         kustomization/flux-system/widgets-crds\nkustomization/flux-system/widgets\n\
         kustomization/flux-system/echo\n"
    );
    let one = example(
        cache.path(),
        &["get", "hr", "echo", "-n", "apps", "-o", "name"],
    );
    assert_eq!(one.stdout, "helmrelease/apps/echo\n");
    let none = example(
        cache.path(),
        &["get", "hr", "-n", "flux-system", "-o", "name"],
    );
    assert_eq!((none.code, none.stdout.as_str()), (0, ""));
    let labelled = example(
        cache.path(),
        &[
            "get",
            "hr",
            "-l",
            "kustomize.toolkit.fluxcd.io/name=echo",
            "-o",
            "name",
        ],
    );
    assert_eq!(labelled.stdout, "helmrelease/apps/echo\n");
    let unlabelled = example(
        cache.path(),
        &["get", "hr", "-l", "app=nothing", "-o", "name"],
    );
    assert_eq!(unlabelled.stdout, "");
    let missing = example(cache.path(), &["get", "ks", "no-such-ks"]);
    assert_eq!(missing.code, 2, "{}", missing.stderr);

    let wide = example(cache.path(), &["get", "ks", "-o", "wide"]);
    let header: Vec<&str> = wide
        .stdout
        .lines()
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(
        header,
        [
            "NAMESPACE",
            "NAME",
            "PATH",
            "SOURCE",
            "PARENT",
            "FILE",
            "DEPENDS-ON",
            "OBJECTS",
            "STATUS",
            "MESSAGE"
        ]
    );
    let echo = wide.stdout.lines().find(|l| l.contains(" echo ")).unwrap();
    assert!(
        echo.contains("GitRepository/flux-system/flux-system"),
        "{echo}"
    );
    assert!(echo.contains("flux-system/cluster-apps"), "{echo}");
    assert!(echo.contains("kubernetes/apps/apps/echo/ks.yaml"), "{echo}");
    assert!(echo.contains("flux-system/widgets"), "{echo}");
    let wide = example(cache.path(), &["get", "hr", "-o", "wide"]);
    let header: Vec<&str> = wide
        .stdout
        .lines()
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(
        header,
        [
            "NAMESPACE",
            "NAME",
            "CHART",
            "VERSION",
            "KUSTOMIZATION",
            "FILE",
            "OBJECTS",
            "STATUS",
            "MESSAGE"
        ]
    );
    assert!(wide.stdout.contains("1.2.3"), "{}", wide.stdout);
}

#[test]
fn get_images_names_each_image_with_its_owner_and_object() {
    let cache = tempfile::tempdir().unwrap();
    let table = example(cache.path(), &["get", "images"]);
    assert_eq!(table.code, 0, "{}", table.stderr);
    insta::assert_snapshot!("example-get-images", table.stdout);
    let names = example(cache.path(), &["get", "images", "-o", "name"]);
    assert_eq!(names.stdout, "ghcr.io/example/webapp:1.4.2\n");
    let json = example(cache.path(), &["get", "images", "-o", "json"]);
    let v: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v[0]["image"], "ghcr.io/example/webapp:1.4.2");
    let users = v[0]["users"].as_array().unwrap();
    assert_eq!(users[0]["owner"]["kind"], "HelmRelease");
    assert_eq!(users[0]["object"]["kind"], "Deployment");
    assert_eq!(users[1]["object"]["kind"], "Job");
    // Filters apply: without the Jobs, one user is left; other namespaces have no images.
    let no_jobs = example(
        cache.path(),
        &["get", "images", "-o", "json", "--skip-kinds", "Job"],
    );
    let v: Value = serde_json::from_str(&no_jobs.stdout).unwrap();
    assert_eq!(v[0]["users"].as_array().unwrap().len(), 1);
    let elsewhere = example(
        cache.path(),
        &["get", "images", "-o", "name", "-n", "flux-system"],
    );
    assert_eq!(elsewhere.stdout, "");
}

fn four_roots(cache: &Path, args: &[&str]) -> common::Output {
    run(fluxsim(cache)
        .args(args)
        .arg("--path")
        .arg(fixture("four-roots").join("cluster")))
}

#[test]
fn validate_prints_every_warning_and_fail_on_warning_fails() {
    let cache = tempfile::tempdir().unwrap();
    let out = four_roots(cache.path(), &["validate", "-q"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains(
            "✓ ks/flux-system/cluster-repositories (1 warning)\n    ! dependency-not-waited: Kustomization flux-system/cluster-repositories is depended on"
        ),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .ends_with("5 passed, 0 failed, 0 skipped, 2 warnings; 7 objects without a known schema (not schema-checked)\n"),
        "{}",
        out.stdout
    );
    let strict = four_roots(cache.path(), &["validate", "-q", "--fail-on", "warning"]);
    assert_eq!(strict.code, 1, "{}", strict.stderr);
    let from_env = run(fluxsim(cache.path())
        .env("FLUXSIM_FAIL_ON", "warning")
        .args(["test", "-q", "--path"])
        .arg(fixture("four-roots").join("cluster")));
    assert_eq!(from_env.code, 1);
    // flate's `test ks NAME` reports one owner, and its warnings decide alone.
    let one = four_roots(
        cache.path(),
        &["test", "ks", "cluster-apps", "-q", "--fail-on", "warning"],
    );
    assert_eq!(
        (one.code, one.stdout.as_str()),
        (
            0,
            "✓ ks/flux-system/cluster-apps\n\n1 passed, 0 failed, 0 skipped\n"
        )
    );
}

#[test]
fn many_uncached_charts_give_one_hint() {
    let cache = tempfile::tempdir().unwrap();
    let out = run(fluxsim(cache.path())
        .args(["get", "hr", "--path"])
        .arg(fixture("uncached-charts").join("cluster")));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let summary = common::stable_summary(&out.stderr);
    insta::assert_snapshot!("uncached-charts-summary", summary);
    assert_eq!(out.stdout.matches("chart not available offline").count(), 4);
}

#[test]
fn a_missing_helm_is_a_setup_error_only_when_there_are_releases() {
    let cache = tempfile::tempdir().unwrap();
    let out = example(cache.path(), &["--helm", "/no/such/helm", "build"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "error: 1 HelmRelease to render and the --helm program '/no/such/helm' was not found"
        ),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("hint: install helm"), "{}", out.stderr);
    // No helm on PATH at all: only kustomize is there.
    let bin = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(
        which::which_in("kustomize", Some(common::tool_path()), ".").unwrap(),
        bin.path().join("kustomize"),
    )
    .unwrap();
    let no_path = run(fluxsim(cache.path())
        .env("PATH", bin.path())
        .arg("--path")
        .arg(manifest_dir().join("testdata/example").join(ENTRY))
        .arg("--age-key-file")
        .arg(manifest_dir().join("testdata/sops/keys/main.agekey"))
        .args(["get", "hr"]));
    assert_eq!(no_path.code, 2, "{}", no_path.stderr);
    assert!(
        no_path.stderr.contains("no helm program found on PATH"),
        "{}",
        no_path.stderr
    );
    // A cluster without HelmReleases needs no helm.
    let none = four_roots(cache.path(), &["--helm", "/no/such/helm", "build", "-q"]);
    assert_eq!(none.code, 0, "{}", none.stderr);
}

#[test]
fn counts_say_one_object() {
    let cache = tempfile::tempdir().unwrap();
    let out = run(fluxsim(cache.path())
        .args(["build", "-v", "--path"])
        .arg(manifest_dir().join("testdata/example").join(ENTRY))
        .arg("--age-key-file")
        .arg(manifest_dir().join("testdata/sops/keys/main.agekey")));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("Kustomization flux-system/widgets-crds: 1 object in"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("1 of 1 HelmRelease rendered (7 objects)"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains(" 1 objects"), "{}", out.stderr);
}
