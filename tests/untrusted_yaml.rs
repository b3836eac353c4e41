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
