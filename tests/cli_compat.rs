//! flux-local and flate command lines: every command of README's migration table runs on the
//! example repository with `fluxsim` in place of the old program and means the same as its
//! fluxsim form; `--limit-bytes`, `diff images`, and a `--help` that teaches. The features the
//! lines need are tested in `cli_views.rs`.

mod common;

use common::{copy_dir, fluxsim, git, manifest_dir, run};
use serde_json::Value;
use std::path::{Path, PathBuf};

const HR: &str = "kubernetes/apps/apps/echo/app/helmrelease.yaml";

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
    run(common::with_default_filters(&mut fluxsim(cache))
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

#[test]
fn help_teaches_with_examples_grouped_flags_and_exit_codes() {
    // A fixed width: help wraps to the terminal (COLUMNS when there is none).
    for (name, args) in [
        ("help", &["--help"][..]),
        ("diff-help", &["diff", "--help"][..]),
    ] {
        let cache = tempfile::tempdir().unwrap();
        let out = run(common::with_default_filters(&mut fluxsim(cache.path()))
            .env("COLUMNS", "100")
            .args(args));
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
