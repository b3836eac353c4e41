//! Decrypting 1,000 SOPS-encrypted Secrets (age key unwrap + AES-GCM values + MAC), in process.
//! `cargo bench --bench sops_decrypt`; under `cargo test` it runs a handful as a smoke test.

use fluxsim::sops::{Keyring, decrypt_document};
use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/sops");
    let key = std::fs::read_to_string(root.join("keys/main.agekey")).expect("test key");
    let keys = Keyring::parse(&key, "main.agekey").expect("valid key");
    let text = std::fs::read_to_string(root.join("cluster-secrets.enc.yaml")).expect("fixture");
    let doc = fluxsim::yaml::parse_one(&text).expect("yaml");
    let n = if bench { 1000 } else { 5 };
    // Distinct documents, as a repository has distinct Secrets (same key material here).
    let docs: Vec<_> = (0..n).map(|_| doc.clone()).collect();
    let started = Instant::now();
    for d in &docs {
        let out = decrypt_document(d, &keys).expect("decrypts");
        assert!(out.value.get("sops").is_none());
    }
    let elapsed = started.elapsed();
    println!(
        "sops_decrypt: {n} Secrets in {:.3} s = {:.1} µs per Secret",
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1e6 / n as f64
    );
}
