//! YAML from a pull request is untrusted: an alias bomb ("billion laughs") in a file the Flux
//! generator reads, in a SOPS file, in a Secret's SOPS data or inserted by postBuild
//! substitution must fail that Kustomization with a message naming where, while the others
//! render and the run ends with exit code 1, not a crash (testdata/repos/untrusted-yaml).

mod common;

use common::{fixture, fluxsim, run};
use serde_json::Value;
use std::time::Instant;

#[test]
fn alias_bombs_fail_their_kustomization_only() {
    let cache = tempfile::tempdir().expect("temp dir");
    let mut cmd = fluxsim(cache.path());
    cmd.args(["get", "ks", "-o", "json", "--path"])
        .arg(fixture("untrusted-yaml").join("cluster"));
    let started = Instant::now();
    let out = run(&mut cmd);
    eprintln!("four alias bombs: {:?}", started.elapsed());
    assert_eq!(out.code, 1, "{}", out.stderr);
    let rows: Value = serde_json::from_str(&out.stdout).expect("JSON rows");
    let row = |name: &str| -> Value {
        rows.as_array()
            .and_then(|r| r.iter().find(|r| r["name"] == name))
            .cloned()
            .unwrap_or_else(|| panic!("no Kustomization {name} in {rows}"))
    };
    assert_eq!(row("fine")["status"], "rendered");
    assert_eq!(row("fine")["objects"], 1);
    for (name, names) in [
        (
            "generator-bomb",
            "from generator-bomb/configmap.yaml: line ",
        ),
        (
            "sops-bomb",
            "sops-bomb/values.sops.yaml: malformed SOPS document",
        ),
        (
            "secret-data-bomb",
            "'Secret.v1.[noGrp]/laughs': Secret field 'values.yaml'",
        ),
        (
            "substitution-bomb",
            "post build failed for 'ConfigMap.v1.[noGrp]/laughs'",
        ),
    ] {
        let ks = row(name);
        let message = ks["message"].as_str().unwrap_or_default();
        assert_eq!(ks["status"], "failed", "{name}: {ks}");
        assert!(message.contains(names), "{name}: {message}");
        assert!(message.contains("excessive aliasing"), "{name}: {message}");
    }
}

/// A custom resource nested `depth` levels deep (with a variable at the bottom).
fn deep_object(depth: usize) -> String {
    let mut text = String::from(
        "apiVersion: example.com/v1\nkind: Deep\nmetadata:\n  name: deep\n  namespace: default\nspec:\n",
    );
    for level in 1..depth - 1 {
        text.push_str(&"  ".repeat(level));
        text.push_str("k:\n");
    }
    text.push_str(&"  ".repeat(depth - 1));
    text.push_str("v: ${LEAF:=bottom}\n");
    text
}

#[test]
fn deeply_nested_valid_objects_render() {
    // Far past serde-saphyr's default of 64 levels, and deep enough that each thread's
    // default stack would overflow; Go's yaml accepts up to 10,000 (which takes kustomize
    // itself a minute: its output grows with the square of the depth).
    let depth = 3000;
    let repo = tempfile::tempdir().expect("temp dir");
    common::copy_dir(
        &fixture("untrusted-yaml").join("fine"),
        &repo.path().join("fine"),
    );
    std::fs::write(repo.path().join("fine/deep.yaml"), deep_object(depth)).expect("write");
    std::fs::create_dir_all(repo.path().join("cluster")).expect("mkdir");
    let ks = std::fs::read_to_string(fixture("untrusted-yaml").join("cluster/ks.yaml"))
        .expect("ks.yaml");
    let fine = ks
        .split("---\n")
        .find(|d| d.contains("name: fine\n"))
        .expect("fine");
    // With postBuild, so that the object also goes through substitution.
    let fine = format!("---\n{fine}  postBuild:\n    substitute:\n      UNUSED: x\n");
    std::fs::write(repo.path().join("cluster/ks.yaml"), fine).expect("write");
    let cache = tempfile::tempdir().expect("temp dir");
    let mut cmd = fluxsim(cache.path());
    cmd.args(["build", "--path"])
        .arg(repo.path().join("cluster"));
    let started = Instant::now();
    let out = run(&mut cmd);
    eprintln!("{depth} levels: {:?}", started.elapsed());
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("v: bottom"), "{}", &out.stderr);
}
