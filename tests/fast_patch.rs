//! The deferred-patch fast path (`kustomize::deferred`) gives byte-identical snapshots to
//! kustomize applying every patch itself (`--no-fast-patch`), cold and from the cache; so do
//! builds ahead (`build::ahead`) against `--no-build-ahead`.

mod common;

use common::{fixture, fluxsim, manifest_dir, read_tree, run};
use std::path::{Path, PathBuf};

/// Every fixture repository and its entry (testdata/README.md), plus the example repository.
fn entries() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = [
        ("four-roots", "cluster"),
        ("chains", "clusters/home"),
        ("app-ks", "kubernetes/flux/cluster"),
        ("root-patches", "cluster"),
        ("no-kustomization", "cluster"),
        ("substitution", "cluster"),
        ("synced-dir", "apps"),
        ("sops-cluster", "cluster"),
        ("broken", "cluster"),
        ("fast-patch", "cluster"),
    ]
    .iter()
    .map(|(name, entry)| fixture(name).join(entry))
    .collect();
    out.push(manifest_dir().join("testdata/example/kubernetes/flux/cluster"));
    out
}

struct Snapshot {
    tree: Vec<(String, Vec<u8>)>,
    stats: serde_json::Value,
}

/// `fluxsim build --output-dir` of `entry` with `cache` (None: `--no-cache`).
fn snapshot(entry: &Path, cache: Option<&Path>, fast: bool) -> Snapshot {
    snapshot_with(entry, cache, fast, &[])
}

fn snapshot_with(entry: &Path, cache: Option<&Path>, fast: bool, extra: &[&str]) -> Snapshot {
    let scratch = tempfile::tempdir().unwrap();
    let out = scratch.path().join("snapshot");
    let stats = scratch.path().join("stats.json");
    let mut cmd = fluxsim(cache.unwrap_or(scratch.path()));
    cmd.arg("build").arg("--path").arg(entry);
    cmd.arg("--output-dir")
        .arg(&out)
        .arg("--stats-file")
        .arg(&stats);
    cmd.env(
        "SOPS_AGE_KEY_FILE",
        manifest_dir().join("testdata/sops/keys/main.agekey"),
    );
    if cache.is_none() {
        cmd.arg("--no-cache");
    }
    if !fast {
        cmd.arg("--no-fast-patch");
    }
    cmd.args(extra);
    let result = run(&mut cmd);
    assert!(out.is_dir(), "{}: {}", entry.display(), result.stderr);
    Snapshot {
        // Rendered HelmReleases are left out: charts may draw random values (randAlphaNum).
        tree: read_tree(&out)
            .into_iter()
            .filter(|(name, _)| !name.starts_with("hr/"))
            .collect(),
        stats: serde_json::from_str(&std::fs::read_to_string(&stats).unwrap()).unwrap(),
    }
}

/// The file name and its first differing lines, for the failure message.
fn first_difference(a: &(String, Vec<u8>), b: &(String, Vec<u8>)) -> String {
    let (ta, tb) = (String::from_utf8_lossy(&a.1), String::from_utf8_lossy(&b.1));
    let line = ta.lines().zip(tb.lines()).find(|(x, y)| x != y);
    format!("{} / {}: {line:?}", a.0, b.0)
}

fn count(s: &Snapshot, field: &str) -> u64 {
    s.stats[field].as_u64().unwrap_or(0)
}

/// The differing files of two snapshots (empty when identical).
fn differences(a: &Snapshot, b: &Snapshot) -> Vec<String> {
    let mut out: Vec<String> = a
        .tree
        .iter()
        .zip(&b.tree)
        .filter(|(x, y)| x != y)
        .map(|(x, y)| first_difference(x, y))
        .collect();
    if a.tree.len() != b.tree.len() {
        out.push(format!("{} files against {}", a.tree.len(), b.tree.len()));
    }
    out
}

#[test]
fn every_fixture_builds_the_same_with_and_without_the_fast_path() {
    for entry in entries() {
        let slow = snapshot(&entry, None, false);
        let fast = snapshot(&entry, None, true);
        assert_eq!(count(&slow, "kustomizationsFastPatch"), 0);
        let differing = differences(&fast, &slow);
        assert!(differing.is_empty(), "{}: {differing:?}", entry.display());
    }
}

#[test]
fn builds_ahead_change_nothing_and_are_used() {
    let jobs = ["--jobs", "4"];
    let mut taken = 0;
    for entry in entries() {
        let ahead = snapshot_with(&entry, None, true, &jobs);
        let without = snapshot_with(
            &entry,
            None,
            true,
            &[&jobs[..], &["--no-build-ahead"]].concat(),
        );
        assert_eq!(count(&without, "kustomizationsBuiltAhead"), 0);
        let differing = differences(&ahead, &without);
        assert!(differing.is_empty(), "{}: {differing:?}", entry.display());
        taken += count(&ahead, "kustomizationsBuiltAhead");
    }
    // The example's root lists its apps: with free slots, some are built ahead and taken.
    assert!(taken > 0, "no fixture took a build ahead");
}

#[test]
fn focused_fixture_defers_exactly_the_provable_cases() {
    // Deferred: assoc-list, directives, json6902, name-target, label-selector, no-target, images.
    // Not deferred: namespace-target, label-transformer, images-written, path-patch.
    // Deferred then rerun by kustomize: known-kind (selects a Deployment); fallback-error fails
    // the same way on both paths and produces no output to count.
    let entry = fixture("fast-patch").join("cluster");
    let fast = snapshot(&entry, None, true);
    assert_eq!(count(&fast, "kustomizationsFastPatch"), 7, "{}", fast.stats);
    assert_eq!(
        count(&fast, "kustomizationsFastPatchFellBack"),
        1,
        "{}",
        fast.stats
    );
}

#[test]
fn cached_reduced_builds_still_get_their_patches() {
    let entry = fixture("fast-patch").join("cluster");
    let slow = snapshot(&entry, None, false);
    let cache = tempfile::tempdir().unwrap();
    let cold = snapshot(&entry, Some(cache.path()), true);
    let warm = snapshot(&entry, Some(cache.path()), true);
    assert!(
        count(&warm, "kustomizationsFromCache") >= 7,
        "{}",
        warm.stats
    );
    // The cache holds the documents with the deferred patches applied: a warm run plans and
    // applies nothing, and still gives kustomize's objects.
    assert_eq!(count(&cold, "kustomizationsFastPatch"), 7, "{}", cold.stats);
    assert_eq!(count(&warm, "kustomizationsFastPatch"), 0, "{}", warm.stats);
    for (name, s) in [("cold", &cold), ("warm", &warm)] {
        let differing: Vec<String> = s
            .tree
            .iter()
            .zip(&slow.tree)
            .filter(|(a, b)| a != b)
            .map(|(a, b)| first_difference(a, b))
            .collect();
        assert!(differing.is_empty(), "{name}: {differing:?}");
    }
}
