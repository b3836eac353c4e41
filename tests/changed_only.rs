//! Changed-only mode gives the same answer as a full render, restricted to what it renders.
//!
//! Each case changes the example repository in one way (a file an app reads, a substitution
//! producer, a shared component, a chart, a new app, a deletion, a file nobody reads) and checks:
//! - `diff` (changed-only) reports exactly the changes `diff --full` reports;
//! - `build --base main` renders every owner exactly as the full `build` does.

mod common;

use common::{edit, example_repo, fluxsim, git, manifest_dir, run};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

const HR: &str = "kubernetes/apps/apps/echo/app/helmrelease.yaml";
const WIDGET: &str = "kubernetes/apps/platform/widgets/app/widget.yaml";

fn cmd(repo: &Path, cache: &Path, args: &[&str]) -> common::Output {
    run(fluxsim(cache)
        .args(args)
        .arg("-q")
        .arg("--path")
        .arg(repo.join("kubernetes/flux/cluster"))
        .arg("--age-key-file")
        .arg(manifest_dir().join("testdata/sops/keys/main.agekey")))
}

/// The owners a diff reports as changed, with their object patches.
fn changes(json: &str) -> Vec<Value> {
    let v: Value = serde_json::from_str(json).expect("diff -o json is JSON");
    v["owners"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["change"] != "unchanged")
        .cloned()
        .collect()
}

/// Owner (kind/namespace/name) → its objects, from `build -o json`.
fn owners(json: &str) -> BTreeMap<String, Value> {
    let v: Value = serde_json::from_str(json).expect("build -o json is JSON");
    v.as_array()
        .unwrap()
        .iter()
        .map(|o| {
            let id = format!("{}/{}/{}", o["kind"], o["namespace"], o["name"]);
            (id, o["objects"].clone())
        })
        .collect()
}

/// The `changed-only: …` summary line of a diff of `r` against main.
fn changed_only_summary(r: &Path) -> String {
    let cache = tempfile::tempdir().unwrap();
    let out = run(fluxsim(cache.path())
        .args(["diff", "--base", "main", "--path"])
        .arg(r.join("kubernetes/flux/cluster"))
        .arg("--age-key-file")
        .arg(manifest_dir().join("testdata/sops/keys/main.agekey")));
    let line = out.stderr.lines().find(|l| l.starts_with("changed-only:"));
    line.unwrap_or_else(|| panic!("no changed-only summary: {}", out.stderr))
        .to_string()
}

/// Checks one change; returns how many owners changed-only rendered and the full run rendered.
fn check(name: &str, change: impl Fn(&Path)) -> (usize, usize) {
    let repo = example_repo();
    change(repo.path());
    check_repo(name, repo.path())
}

fn check_repo(name: &str, r: &Path) -> (usize, usize) {
    let cache = tempfile::tempdir().unwrap();
    let c = cache.path();

    let full = cmd(r, c, &["diff", "--base", "main", "--full", "-o", "json"]);
    let only = cmd(r, c, &["diff", "--base", "main", "-o", "json"]);
    assert_eq!(
        full.code, only.code,
        "{name}: {}{}",
        full.stderr, only.stderr
    );
    assert_eq!(
        changes(&only.stdout),
        changes(&full.stdout),
        "{name}: changed-only diff differs from the full diff"
    );

    let full = cmd(r, c, &["build", "-o", "json"]);
    let only = cmd(r, c, &["build", "--base", "main", "-o", "json"]);
    assert_eq!(
        full.code, only.code,
        "{name}: {}{}",
        full.stderr, only.stderr
    );
    let (full, only) = (owners(&full.stdout), owners(&only.stdout));
    for (id, objects) in &only {
        assert_eq!(Some(objects), full.get(id), "{name}: {id} differs");
    }
    (only.len(), full.len())
}

#[test]
fn an_app_file_renders_its_app_and_ancestors_only() {
    let (only, full) = check("widget", |r| edit(r, WIDGET, "size: 3", "size: 5"));
    assert!(only < full, "{only} of {full}");
}

#[test]
fn helmrelease_values() {
    let (only, full) = check("values", |r| {
        edit(r, HR, "logLevel: debug", "logLevel: warn")
    });
    assert!(only < full, "{only} of {full}");
}

#[test]
fn a_substitution_producer_reaches_its_consumers() {
    check("settings", |r| {
        edit(
            r,
            "kubernetes/flux/settings/cluster-settings.yaml",
            "TIMEZONE: Europe/Paris",
            "TIMEZONE: Europe/Berlin",
        )
    });
}

#[test]
fn a_shared_component() {
    check("component", |r| {
        edit(
            r,
            "kubernetes/components/common/kustomization.yaml",
            "home-ops/cluster: home",
            "home-ops/cluster: lab",
        )
    });
}

#[test]
fn a_chart_template() {
    check("chart", |r| {
        let f = "charts/webapp/templates/configmap.yaml";
        let text = std::fs::read_to_string(r.join(f)).unwrap();
        std::fs::write(r.join(f), text + "# changed\n").unwrap();
    });
}

#[test]
fn a_flux_kustomization_object() {
    let (only, full) = check("ks", |r| {
        edit(
            r,
            "kubernetes/apps/apps/echo/ks.yaml",
            "APP: *app",
            "APP: *app\n      EXTRA: one",
        )
    });
    // Only echo's file changed: its siblings under the same parent are not selected.
    assert!(only < full, "{only} of {full}");
}

#[test]
fn a_new_app_and_a_deleted_file() {
    check("new app", |r| {
        let app = r.join("kubernetes/apps/apps/extra");
        std::fs::create_dir_all(app.join("app")).unwrap();
        std::fs::write(
            app.join("ks.yaml"),
            "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: extra\n  namespace: flux-system\nspec:\n  interval: 1h\n  path: ./kubernetes/apps/apps/extra/app\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n  targetNamespace: apps\n",
        )
        .unwrap();
        std::fs::write(
            app.join("app/cm.yaml"),
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\ndata:\n  a: b\n",
        )
        .unwrap();
        edit(
            r,
            "kubernetes/apps/apps/kustomization.yaml",
            "resources:",
            "resources:\n  - ./extra/ks.yaml",
        );
        std::fs::remove_file(r.join(WIDGET)).unwrap();
        edit(
            r,
            "kubernetes/apps/platform/widgets/app/kustomization.yaml",
            "resources:\n  - ./widget.yaml",
            "resources: []",
        );
    });
}

#[test]
fn a_file_nobody_reads_renders_nothing_below_the_root() {
    let (only, _) = check("readme", |r| {
        std::fs::write(r.join("README.md"), "changed\n").unwrap();
    });
    assert!(only <= 1, "{only}");
}

#[test]
fn committed_changes_count_as_well_as_the_working_tree() {
    check("committed", |r| {
        edit(r, WIDGET, "size: 3", "size: 4");
        git(r, &["commit", "-qam", "size 4"]);
        edit(r, HR, "logLevel: debug", "logLevel: info");
    });
}

#[test]
fn validate_reports_on_what_the_change_reaches() {
    let repo = example_repo();
    let cache = tempfile::tempdir().unwrap();
    let (r, c) = (repo.path(), cache.path());
    edit(r, WIDGET, "size: 3", "size: [3");
    let out = cmd(r, c, &["validate", "--base", "main", "-o", "json"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    let failed: Vec<String> = v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["status"] == "failed")
        .map(|e| e["owner"]["name"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(failed, ["widgets"], "{}", out.stdout);
    // Dependencies on owners it did not render are not reported missing.
    assert!(!out.stdout.contains("missing-dependency"), "{}", out.stdout);
}

#[test]
fn path_orig_compares_two_folders() {
    let (base, head) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    common::copy_dir(&manifest_dir().join("testdata/example"), base.path());
    common::copy_dir(&manifest_dir().join("testdata/example"), head.path());
    edit(head.path(), WIDGET, "size: 3", "size: 5");
    let cache = tempfile::tempdir().unwrap();
    let orig = base.path().join("kubernetes/flux/cluster");
    let orig = orig.to_str().unwrap();
    let (h, c) = (head.path(), cache.path());
    let full = cmd(h, c, &["diff", "--path-orig", orig, "--full", "-o", "json"]);
    let only = cmd(h, c, &["diff", "--path-orig", orig, "-o", "json"]);
    assert_eq!(only.code, 0, "{}", only.stderr);
    let changed = changes(&only.stdout);
    assert_eq!(changed, changes(&full.stdout));
    assert_eq!(changed.len(), 1, "{}", only.stdout);
    let built = cmd(h, c, &["build", "--path-orig", orig, "-o", "json"]);
    assert!(
        owners(&built.stdout).len() < owners(&cmd(h, c, &["build", "-o", "json"]).stdout).len()
    );
}

/// A Flux Kustomization `name` in flux-system that builds `./kubernetes/{name}`; `spec` is added
/// to its spec (indented lines).
fn flux_ks(name: &str, spec: &str) -> String {
    format!(
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: {name}\n  namespace: flux-system\nspec:\n  interval: 1h\n  path: ./kubernetes/{name}\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n{spec}"
    )
}

/// `postBuild.substituteFrom` of one optional object, as [`flux_ks`] spec lines.
fn substitute_from(kind: &str, name: &str) -> String {
    format!(
        "  postBuild:\n    substituteFrom:\n      - kind: {kind}\n        name: {name}\n        optional: true\n"
    )
}

/// Writes each (path under `r`, text), making folders.
fn write_files(r: &Path, files: &[(&str, &str)]) {
    for (f, text) in files {
        std::fs::create_dir_all(r.join(f).parent().unwrap()).unwrap();
        std::fs::write(r.join(f), text).unwrap();
    }
}

/// Adds the app `tunnel`, which substitutes from the Secret `tunnel-id`. Its Flux
/// Kustomization sits beside the cluster's, where no patch replaces its `substituteFrom`.
fn add_tunnel_app(r: &Path) {
    let spec = format!(
        "  targetNamespace: apps\n{}",
        substitute_from("Secret", "tunnel-id")
    );
    write_files(
        r,
        &[
            (
                "kubernetes/flux/cluster/tunnel.yaml",
                &flux_ks("tunnel", &spec),
            ),
            (
                "kubernetes/tunnel/cm.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: tunnel\ndata:\n  id: ${TUNNEL_ID:=none}\n",
            ),
        ],
    );
}

#[test]
fn a_variable_nobody_makes_leaves_unchanged_apps_unbuilt() {
    let repo = example_repo();
    let r = repo.path();
    // In the base: an app waiting for a Secret made outside Flux (at bootstrap), as onedr0p's
    // cloudflare-tunnel does. Waiting must not make changed-only mode build every app.
    add_tunnel_app(r);
    git(r, &["add", "-A"]);
    git(r, &["commit", "-qm", "tunnel"]);
    edit(r, HR, "logLevel: debug", "logLevel: warn");
    check_repo("unmade variable", r);

    // Only the settings, which echo reads, are built of what is not shown.
    let summary = changed_only_summary(r);
    assert!(summary.contains("(1 of them built"), "{summary}");
}

#[test]
fn a_variable_whose_name_no_file_spells_out_is_still_found() {
    check("prefixed producer", |r| {
        add_tunnel_app(r);
        // The Secret `tunnel-id` is made by its own Kustomization as `id` with a name prefix.
        write_files(
            r,
            &[
                (
                    "kubernetes/flux/cluster/tunnel-id.yaml",
                    &flux_ks("tunnel-id", ""),
                ),
                (
                    "kubernetes/tunnel-id/kustomization.yaml",
                    "namePrefix: tunnel-\nresources:\n  - secret.yaml\n",
                ),
                (
                    "kubernetes/tunnel-id/secret.yaml",
                    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: id\n  namespace: flux-system\nstringData:\n  TUNNEL_ID: abc\n",
                ),
            ],
        );
        git(r, &["add", "-A"]);
        git(r, &["commit", "-qm", "tunnel"]);
        edit(
            r,
            "kubernetes/tunnel/cm.yaml",
            "name: tunnel",
            "name: tunnel2",
        );
    });
}

#[test]
fn a_values_input_whose_name_no_file_spells_out_is_still_found() {
    check("prefixed values", |r| {
        // echo also reads `echo-tuning`, made by its own Kustomization as `tuning` with a prefix.
        edit(
            r,
            HR,
            "  valuesFrom:\n",
            "  valuesFrom:\n    - kind: ConfigMap\n      name: echo-tuning\n",
        );
        write_files(
            r,
            &[
                (
                    "kubernetes/flux/cluster/tuning.yaml",
                    &flux_ks("tuning", "  targetNamespace: apps\n"),
                ),
                (
                    "kubernetes/tuning/kustomization.yaml",
                    "namePrefix: echo-\nresources:\n  - cm.yaml\n",
                ),
                (
                    "kubernetes/tuning/cm.yaml",
                    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: tuning\ndata:\n  values.yaml: |\n    service:\n      port: 8081\n",
                ),
            ],
        );
        git(r, &["add", "-A"]);
        git(r, &["commit", "-qm", "tuning"]);
        edit(r, HR, "logLevel: debug", "logLevel: warn");
    });
}

#[test]
fn a_changed_producer_that_waits_reaches_its_consumers() {
    check("waiting producer", |r| {
        // `chain` makes the ConfigMap `chain-vars` that `consumer` substitutes from; `chain`
        // itself waits for the Secret `chain-id` from `id`. When the run goes quiet all three
        // are unbuilt and the two wait: `consumer`, unchanged, is let go before `chain` shows it
        // makes a changed variable.
        write_files(
            r,
            &[
                (
                    "kubernetes/flux/cluster/chain.yaml",
                    &flux_ks("chain", &substitute_from("Secret", "chain-id")),
                ),
                (
                    "kubernetes/flux/cluster/consumer.yaml",
                    &flux_ks("consumer", &substitute_from("ConfigMap", "chain-vars")),
                ),
                ("kubernetes/flux/cluster/id.yaml", &flux_ks("id", "")),
                (
                    "kubernetes/id/secret.yaml",
                    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: chain-id\n  namespace: flux-system\nstringData:\n  SHADE: dark\n",
                ),
                (
                    "kubernetes/chain/cm.yaml",
                    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: chain-vars\n  namespace: flux-system\ndata:\n  COLOR: red\n",
                ),
                (
                    "kubernetes/consumer/cm.yaml",
                    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: consumer\n  namespace: flux-system\ndata:\n  color: ${COLOR}\n",
                ),
            ],
        );
        git(r, &["add", "-A"]);
        git(r, &["commit", "-qm", "chain"]);
        edit(r, "kubernetes/chain/cm.yaml", "COLOR: red", "COLOR: blue");
    });
}

/// A Flux Kustomization file straight in `kubernetes/apps`, which has no kustomization.yaml:
/// Flux generates one that lists every file.
fn solo_app(r: &Path) {
    write_files(
        r,
        &[
            (
                "kubernetes/apps/solo.yaml",
                &flux_ks("solo", "  targetNamespace: apps\n"),
            ),
            (
                "kubernetes/solo/cm.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: solo\ndata:\n  a: b\n",
            ),
        ],
    );
}

/// How many Kustomizations a changed-only diff of `r` against main selects.
fn diff_selects(r: &Path) -> usize {
    let summary = changed_only_summary(r);
    let count = summary
        .split("; ")
        .nth(1)
        .and_then(|s| s.split(' ').next()?.parse().ok());
    count.unwrap_or_else(|| panic!("{summary}"))
}

#[test]
fn a_new_app_in_a_generated_kustomization_renders_only_itself() {
    let repo = example_repo();
    solo_app(repo.path());
    check_repo("solo added", repo.path());
    // solo and its parent, not the parent's other children.
    assert_eq!(diff_selects(repo.path()), 2);
}

#[test]
fn a_removed_app_in_a_generated_kustomization_renders_only_itself() {
    let repo = example_repo();
    solo_app(repo.path());
    git(repo.path(), &["add", "-A"]);
    git(repo.path(), &["commit", "-qm", "solo"]);
    std::fs::remove_file(repo.path().join("kubernetes/apps/solo.yaml")).unwrap();
    check_repo("solo removed", repo.path());
    // The parent (solo is only on the base side), not its other children.
    assert_eq!(diff_selects(repo.path()), 1);
}
