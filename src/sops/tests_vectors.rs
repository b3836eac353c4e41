//! Tests against sops output made by others: the Flux kustomize-controller test vectors and the
//! getsops/sops age test key (copied into testdata/sops/vectors/).

use serde_json::{Value, json};

use super::*;

fn flux(path: &str) -> Vec<u8> {
    let p = testdata_dir()
        .join("vectors/flux-kustomize-controller")
        .join(path);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn ring(name: &str) -> Keyring {
    let text = String::from_utf8(flux(&format!("keys/{name}"))).unwrap();
    Keyring::parse(&text, name).unwrap()
}

/// A YAML vector as the JSON a Kubernetes resource would be after `kustomize build`.
fn resource(path: &str) -> Value {
    let docs = yaml_store::parse(std::str::from_utf8(&flux(path)).unwrap()).unwrap();
    docs[0].to_json()
}

fn verified_file(path: &str, format: FileFormat, keys: &Keyring) -> String {
    let d =
        decrypt_file(&flux(path), format, format, keys).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert!(d.mac_verified, "{path}: {:?}", d.warnings);
    assert!(d.warnings.is_empty());
    String::from_utf8(d.bytes).unwrap()
}

#[test]
fn flux_secrets_decrypt_as_whole_documents_with_verified_mac() {
    let keys = ring("age.txt");
    for (path, field, value) in [
        ("algorithms/age.yaml", "key", "value"),
        ("patches/merge1.yaml", "key", "merge1"),
        ("patches/merge2.yaml", "merge2", "merge2"),
    ] {
        let doc = resource(path);
        assert!(is_encrypted(&doc));
        let d = decrypt_document_strict(&doc, &keys).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert!(d.mac_verified, "{path}");
        assert_eq!(d.value["stringData"][field], value, "{path}");
        assert!(d.value.get("sops").is_none());
        assert_eq!(d.value["kind"], "Secret");
    }
    let d =
        decrypt_document_strict(&resource("global/secret.yaml"), &ring("age-global.txt")).unwrap();
    assert_eq!(d.value["stringData"]["key"], "global-value");
    assert_eq!(d.value["metadata"]["namespace"], "default");
}

#[test]
fn flux_files_decrypt_in_their_own_format() {
    let keys = ring("age.txt");
    let yaml = verified_file("algorithms/age.yaml", FileFormat::Yaml, &keys);
    assert_eq!(
        yaml,
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: age\nstringData:\n  key: value\n"
    );
    for env in ["envs/env.env", "component/env.env", "remote/env.env"] {
        assert_eq!(verified_file(env, FileFormat::Dotenv, &keys), "key=value\n");
    }
    assert_eq!(
        verified_file("files/file.txt", FileFormat::Binary, &keys),
        "value"
    );
}

#[test]
fn flux_nested_secret_data_pass() {
    let keys = ring("age.txt");
    let secret = resource("inside/secret.yaml");
    assert!(!is_encrypted(&secret));
    let out = decrypt_secret_data(&secret, &keys).unwrap().unwrap();
    // `key` has no extension, so the binary output format: the raw value.
    assert_eq!(out["data"]["key"], "dmFsdWU="); // base64("value")
    assert_eq!(out["metadata"], json!({"name": "secret"}));
}

#[test]
fn wrong_key_names_the_recipient() {
    let err =
        decrypt_document(&resource("algorithms/age.yaml"), &ring("age-global.txt")).unwrap_err();
    assert!(matches!(err, SopsError::NoMatchingKey { .. }));
    assert_eq!(
        err.to_string(),
        "not decrypted: no key for age1l44xcng8dqj32nlv6d930qvvrny05hglzcv9qpc7kxjc6902ma4qufys29"
    );
    let err = decrypt_document(&resource("algorithms/age.yaml"), &Keyring::empty()).unwrap_err();
    assert!(matches!(err, SopsError::NoMatchingKey { .. }), "{err}");
}

#[test]
fn post_quantum_recipient_is_an_unsupported_key_type() {
    // The PQ identity is skipped (remembered as unsupported) rather than rejected.
    let keys = ring("age-pq.txt");
    assert!(keys.is_empty());
    assert_eq!(keys.unsupported().len(), 1);
    let mut all = ring("age.txt");
    all.extend(keys);
    let doc = resource("algorithms/age-pq.yaml");
    assert!(is_encrypted(&doc));
    let err = decrypt_document(&doc, &all).unwrap_err();
    assert!(matches!(err, SopsError::UnsupportedKeyType { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("unsupported key type") && msg.contains("post-quantum age age1pq1"),
        "{msg}"
    );
    let yaml = decrypt_file(
        &flux("algorithms/age-pq.yaml"),
        FileFormat::Yaml,
        FileFormat::Yaml,
        &all,
    );
    assert!(matches!(yaml, Err(SopsError::UnsupportedKeyType { .. })));
}

#[test]
fn pgp_only_file_is_an_unsupported_key_type() {
    let err = decrypt_document(&resource("algorithms/pgp.yaml"), &ring("age.txt")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "not decrypted: unsupported key type (only age X25519 keys are supported): pgp 35C1A64CD7FC0AB6EB66756B2445463C3234ECE1"
    );
    let (placeholder, recipients) = placeholder_document(&resource("algorithms/pgp.yaml"));
    assert_eq!(placeholder["stringData"]["key"], PLACEHOLDER);
    assert_eq!(
        recipients,
        vec!["pgp 35C1A64CD7FC0AB6EB66756B2445463C3234ECE1".to_string()]
    );
}

#[test]
fn pgp_only_sops_examples_are_unsupported() {
    let dir = testdata_dir().join("vectors/getsops-sops");
    let keys = ring("age.txt");
    for (file, format) in [
        ("example.yaml", FileFormat::Yaml),
        ("example.json", FileFormat::Json),
        ("functional-tests/res/comments.enc.yaml", FileFormat::Yaml),
        ("functional-tests/res/format.enc.yaml", FileFormat::Yaml),
    ] {
        let bytes = std::fs::read(dir.join(file)).unwrap();
        let err = decrypt_file(&bytes, format, format, &keys).unwrap_err();
        assert!(
            matches!(err, SopsError::UnsupportedKeyType { .. }),
            "{file}: {err}"
        );
    }
}
