//! SOPS decryption in a Flux repository, and the guarantee that decrypted values never reach an
//! output unless `--show-secrets` is given.

mod common;

use common::{fixture, fluxsim, manifest_dir, read_tree, run};

const PLAINTEXTS: &[&str] = &[
    "example.com",
    "admin@example.com",
    "10.42.0.0/16",
    "super-secret-token",
    "p@ss=word",
    "tok-123",
    "hunter2",
];

fn key(name: &str) -> std::path::PathBuf {
    manifest_dir().join("testdata/sops/keys").join(name)
}

fn entry() -> std::path::PathBuf {
    fixture("sops-cluster").join("cluster")
}

#[test]
fn decrypts_and_substitutes_with_the_key() {
    let cache = tempfile::tempdir().unwrap();
    let out = run(fluxsim(cache.path())
        .args(["get", "ks", "-o", "json", "--age-key-file"])
        .arg(key("main.agekey"))
        .arg("--path")
        .arg(entry()));
    let rows: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let status = |n: &str| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == n)
            .unwrap()["status"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(status("cluster-secrets"), "rendered", "{}", out.stderr);
    assert_eq!(status("apps"), "rendered", "{}", out.stderr);
    // Flux refuses an encrypted Secret in a Kustomization without decryption.
    assert_eq!(status("forgot-decryption"), "failed");
    assert!(
        out.stderr.contains("configuring decryption is required"),
        "{}",
        out.stderr
    );
    assert_eq!(out.code, 1);
}

#[test]
fn show_secrets_prints_the_real_values() {
    let cache = tempfile::tempdir().unwrap();
    let out = run(fluxsim(cache.path())
        .args(["build", "ks", "apps", "--show-secrets", "--age-key-file"])
        .arg(key("main.agekey"))
        .arg("--path")
        .arg(entry()));
    assert!(
        out.stdout.contains("url: https://demo.example.com/login"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("email: admin@example.com"),
        "{}",
        out.stdout
    );
    assert!(out.stderr.contains("--show-secrets"), "{}", out.stderr);
}

#[test]
fn no_output_format_leaks_a_secret_value() {
    let cache = tempfile::tempdir().unwrap();
    let snap = tempfile::tempdir().unwrap();
    let mut outputs = Vec::new();
    for args in [
        vec!["build"],
        vec!["build", "-o", "json"],
        vec!["build", "ks", "apps"],
        vec!["get", "ks", "-o", "json"],
        vec!["get", "ks", "-o", "yaml"],
        vec!["get", "ks", "-v"],
    ] {
        let out = run(fluxsim(cache.path())
            .args(&args)
            .arg("--age-key-file")
            .arg(key("main.agekey"))
            .arg("--path")
            .arg(entry()));
        outputs.push(out.stdout);
        outputs.push(out.stderr);
    }
    let out = run(fluxsim(cache.path())
        .args(["build", "--output-dir"])
        .arg(snap.path().join("s"))
        .arg("--age-key-file")
        .arg(key("main.agekey"))
        .arg("--path")
        .arg(entry()));
    outputs.push(out.stderr);
    for (_, bytes) in read_tree(&snap.path().join("s")) {
        outputs.push(String::from_utf8_lossy(&bytes).to_string());
    }
    let all = outputs.join("\n");
    assert!(all.contains("<secret:"), "redaction tokens expected");
    assert!(
        all.contains("https://demo.<secret:"),
        "a substituted secret is redacted in place"
    );
    for p in PLAINTEXTS {
        assert!(!all.contains(p), "plaintext {p:?} leaked");
    }
}

#[test]
fn without_a_key_objects_render_with_placeholders() {
    let cache = tempfile::tempdir().unwrap();
    for keyfile in [None, Some(key("group2.agekey"))] {
        let mut cmd = fluxsim(cache.path());
        cmd.args(["build", "ks", "cluster-secrets", "--path"])
            .arg(entry());
        if let Some(k) = &keyfile {
            cmd.arg("--age-key-file").arg(k);
        }
        let out = run(&mut cmd);
        assert!(
            out.stderr.contains("not decrypted: no key for age1t0u0ljuhj9r9wgzvsup4zcx30qsrwke586fel5phafxyw2dnz48shkjl7c"),
            "{}",
            out.stderr
        );
        assert!(out.stdout.contains("kind: Secret"), "{}", out.stdout);
        assert!(!out.stdout.contains("ENC[AES256_GCM"), "{}", out.stdout);
    }
}
