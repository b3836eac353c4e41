//! flux-local and flate command lines: every command of README's migration table runs on the
//! example repository with `fluxsim` in place of the old program and means the same as its
//! fluxsim form. Then what those lines need: selection and output filters, `-o name|wide`,
//! images, `--fail-on warning`, environment variables.

mod common;

use common::{copy_dir, fixture, fluxsim, git, manifest_dir, run};
use serde_json::Value;
use std::path::{Path, PathBuf};

const HR: &str = "kubernetes/apps/apps/echo/app/helmrelease.yaml";
const ENTRY: &str = "kubernetes/flux/cluster";

/// The commands of README's migration table, row by row: (old form, fluxsim form).
fn migration_rows() -> Vec<(String, String)> {
    let readme = std::fs::read_to_string(manifest_dir().join("README.md")).unwrap();
    let start = readme
        .find("<!-- migration-table")
        .expect("README has the migration table");
    let code = regex::Regex::new(r"`([^`]+)`").unwrap();
    readme[start..]
        .lines()
        .skip(1)
        .take_while(|l| l.starts_with('|'))
        .skip(2) // header and separator
        .map(|row| {
            let spans: Vec<String> = code.captures_iter(row).map(|c| c[1].to_string()).collect();
            assert_eq!(spans.len(), 2, "one command per column: {row}");
            (spans[0].clone(), spans[1].clone())
        })
        .collect()
}

/// Two checkouts side by side (`pull/` with a change, `default/` without), the repository itself
/// as a git repository on `main` with the same change uncommitted, and `other-repo/` for
/// `--sources NAME=DIR`.
struct Layout {
    top: tempfile::TempDir,
}

impl Layout {
    fn new() -> Layout {
        let top = tempfile::tempdir().unwrap();
        let example = manifest_dir().join("testdata/example");
        for dir in ["repo", "pull", "default"] {
            copy_dir(&example, &top.path().join(dir));
        }
        std::fs::create_dir(top.path().join("other-repo")).unwrap();
        let repo = top.path().join("repo");
        git(&repo, &["init", "-q", "-b", "main"]);
        git(&repo, &["add", "-A"]);
        git(&repo, &["commit", "-qm", "base"]);
        for dir in ["repo", "pull"] {
            common::edit(
                &top.path().join(dir),
                HR,
                "tag: \"1.4.2\"",
                "tag: \"1.5.0\"",
            );
        }
        Layout { top }
    }

    fn repo(&self) -> PathBuf {
        self.top.path().join("repo")
    }
}

/// Runs one command line of the table, in the folder it is written for.
fn run_line(layout: &Layout, cache: &Path, line: &str) -> common::Output {
    let words = shlex::split(line).expect("a shell command line");
    assert!(
        ["flux-local", "flate", "fluxsim"].contains(&words[0].as_str()),
        "{line}"
    );
    let dir = if line.contains("pull/") {
        layout.top.path().to_path_buf()
    } else {
        layout.repo()
    };
    run(fluxsim(cache)
        .current_dir(dir)
        .env(
            "SOPS_AGE_KEY_FILE",
            manifest_dir().join("testdata/sops/keys/main.agekey"),
        )
        .args(&words[1..]))
}

/// What a command printed: stdout, or the file it was told to write.
fn printed(layout: &Layout, line: &str, out: &common::Output) -> String {
    if !line.contains("--output-file") {
        return out.stdout.clone();
    }
    std::fs::read_to_string(layout.top.path().join("diff.patch")).unwrap_or_default()
}

#[test]
fn every_migration_table_line_runs_and_means_its_fluxsim_form() {
    let layout = Layout::new();
    let cache = tempfile::tempdir().unwrap();
    let rows = migration_rows();
    assert!(rows.len() >= 25, "{} rows", rows.len());
    for (old, new) in &rows {
        let a = run_line(&layout, cache.path(), old);
        let old_out = printed(&layout, old, &a);
        let b = run_line(&layout, cache.path(), new);
        let new_out = printed(&layout, new, &b);
        // The example renders cleanly: every line succeeds (never a usage error, exit 2).
        assert_eq!(a.code, 0, "{old}\n{}", a.stderr);
        assert_eq!(b.code, 0, "{new}\n{}", b.stderr);
        assert_eq!(old_out, new_out, "{old}\n  vs\n{new}");
    }
}

#[test]
fn the_ci_workflow_diff_writes_the_change_to_its_output_file() {
    let layout = Layout::new();
    let cache = tempfile::tempdir().unwrap();
    let (old, _) = migration_rows()
        .into_iter()
        .find(|(old, _)| old.starts_with("flux-local diff helmrelease"))
        .unwrap();
    let out = run_line(&layout, cache.path(), &old);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "", "the diff goes to the file");
    let patch = std::fs::read_to_string(layout.top.path().join("diff.patch")).unwrap();
    assert!(patch.starts_with("# HelmRelease apps/echo\n"), "{patch}");
    assert!(
        patch.contains("+        image: ghcr.io/example/webapp:1.5.0"),
        "{patch}"
    );
}

#[test]
fn limit_bytes_cuts_each_unified_patch() {
    let layout = Layout::new();
    let cache = tempfile::tempdir().unwrap();
    let line = "fluxsim diff hr --path pull/kubernetes/flux/cluster --path-orig default/kubernetes/flux/cluster";
    let full = run_line(&layout, cache.path(), line);
    let cut = run_line(&layout, cache.path(), &format!("{line} --limit-bytes 200"));
    assert_eq!((full.code, cut.code), (0, 0), "{}", cut.stderr);
    assert!(!full.stdout.contains("--limit-bytes"), "{}", full.stdout);
    assert!(
        cut.stdout
            .contains("more bytes of this patch left out (--limit-bytes)"),
        "{}",
        cut.stdout
    );
    assert!(cut.stdout.len() < full.stdout.len());
}

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
    let all = example(cache.path(), &["build"]);
    assert_eq!(all.code, 0, "{}", all.stderr);
    let everything = kinds(&all.stdout);
    for kind in ["CustomResourceDefinition", "Secret", "ConfigMap"] {
        assert!(everything.contains(&kind.to_string()), "{everything:?}");
    }
    // Today's default prints everything, and the explicit false says the same.
    let explicit = example(
        cache.path(),
        &["build", "--skip-crds=false", "--no-skip-secrets"],
    );
    assert_eq!(explicit.stdout, all.stdout);
    let skipped = example(
        cache.path(),
        &[
            "build",
            "--skip-crds",
            "--skip-secrets",
            "--skip-kinds",
            "ConfigMap,Ingress.networking.k8s.io",
        ],
    );
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

#[test]
fn diff_images_lists_what_the_change_introduces() {
    let layout = Layout::new();
    let cache = tempfile::tempdir().unwrap();
    let base = "fluxsim diff images --path kubernetes/flux/cluster --base main -q";
    let json = run_line(&layout, cache.path(), &format!("{base} -o json"));
    assert_eq!(json.code, 0, "{}", json.stderr);
    let v: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v, serde_json::json!(["ghcr.io/example/webapp:1.5.0"]));
    let both = run_line(&layout, cache.path(), &format!("{base} --include-removed"));
    assert_eq!(
        both.stdout,
        "ghcr.io/example/webapp:1.4.2\nghcr.io/example/webapp:1.5.0\n"
    );
    let yaml = run_line(&layout, cache.path(), &format!("{base} -o yaml"));
    assert_eq!(yaml.stdout, "- ghcr.io/example/webapp:1.5.0\n");
    let changed = run_line(&layout, cache.path(), &format!("{base} --exit-code"));
    assert_eq!(changed.code, 1);
    let wrong = run_line(&layout, cache.path(), &format!("{base} -o markdown"));
    assert_eq!(wrong.code, 2, "{}", wrong.stderr);
    // Nothing new when the tag goes back: the working tree equals main again.
    common::edit(&layout.repo(), HR, "tag: \"1.5.0\"", "tag: \"1.4.2\"");
    let none = run_line(
        &layout,
        cache.path(),
        &format!("{base} -o json --exit-code"),
    );
    assert_eq!(
        (none.code, none.stdout.as_str()),
        (0, "[]\n"),
        "{}",
        none.stderr
    );
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
            .ends_with("5 passed, 0 failed, 0 blocked, 2 warnings\n"),
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
            "✓ ks/flux-system/cluster-apps\n\n1 passed, 0 failed, 0 blocked\n"
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

#[test]
fn help_teaches_with_examples_grouped_flags_and_exit_codes() {
    // A fixed width: help wraps to the terminal (COLUMNS when there is none).
    for (name, args) in [
        ("help", &["--help"][..]),
        ("diff-help", &["diff", "--help"][..]),
    ] {
        let cache = tempfile::tempdir().unwrap();
        let out = run(fluxsim(cache.path()).env("COLUMNS", "100").args(args));
        assert_eq!(out.code, 0, "{}", out.stderr);
        insta::assert_snapshot!(name, out.stdout);
    }
    // Every command and subcommand ends with examples and its exit statuses.
    for args in [
        &["get"][..],
        &["get", "ks"],
        &["get", "hr"],
        &["get", "images"],
        &["build"],
        &["build", "all"],
        &["build", "ks"],
        &["build", "hr"],
        &["diff"],
        &["plan"],
        &["validate"],
        &["test"],
        &["cache"],
        &["cache", "gc"],
        &["cache", "clear"],
        &["cache", "usage"],
    ] {
        let cache = tempfile::tempdir().unwrap();
        let out = run(fluxsim(cache.path()).args(args).arg("-h"));
        assert!(
            out.stdout.contains("Examples:\n"),
            "{args:?}: {}",
            out.stdout
        );
        assert!(
            out.stdout.contains("Exit status: 0 "),
            "{args:?}: {}",
            out.stdout
        );
        assert!(
            out.stdout.contains("Global options:"),
            "{args:?}: {}",
            out.stdout
        );
    }
}
