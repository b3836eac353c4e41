//! Tests on this project's fixtures (testdata/sops/, made by the real sops 3.11.0 with
//! make-fixtures.sh): every format, value type and encryption rule, plus negative cases.

use serde_json::{Value, json};

use super::*;

fn read(name: &str) -> Vec<u8> {
    let p = testdata_dir().join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn text(name: &str) -> String {
    String::from_utf8(read(name)).unwrap()
}

fn key(name: &str) -> Keyring {
    Keyring::parse(&text(&format!("keys/{name}.agekey")), name).unwrap()
}

fn keys(names: &[&str]) -> Keyring {
    let mut ring = Keyring::empty();
    for n in names {
        ring.extend(key(n));
    }
    ring
}

/// Decrypts a fixture (same output format), requiring a verified MAC.
fn decrypt(name: &str, format: FileFormat, ring: &Keyring) -> Vec<u8> {
    let d = decrypt_file_with(&read(name), format, format, ring, &DecryptOptions::strict())
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(d.mac_verified && d.warnings.is_empty(), "{name}");
    d.bytes
}

/// The JSON view of YAML text (all documents).
fn yaml_json(text: &str) -> Vec<Value> {
    yaml_store::parse(text)
        .unwrap()
        .iter()
        .map(tree::Node::to_json)
        .collect()
}

/// Decrypted YAML fixture equals its plaintext (read with the same go-yaml rules).
fn assert_yaml_fixture(enc: &str, plain: &str) {
    let out = decrypt(enc, FileFormat::Yaml, &key("main"));
    assert_eq!(
        yaml_json(std::str::from_utf8(&out).unwrap()),
        yaml_json(&text(plain)),
        "{enc}"
    );
}

/// The first document of a YAML fixture as a resource (JSON) after kustomize.
fn resource(name: &str) -> Value {
    yaml_json(&text(name)).remove(0)
}

#[test]
fn every_value_type() {
    let out = decrypt("types.enc.yaml", FileFormat::Yaml, &key("main"));
    let out = String::from_utf8(out).unwrap();
    let expected = json!({
        "string": "hello world", "empty": "", "unicode": "grüße ✓", "multiline": "line one\nline two\n",
        "int": 42, "negative": -7, "octal_plain": 493, "hex": 255,
        "float": 3.25, "float_whole": 3, "float_exp": 1e21,
        "bool_true": true, "bool_false": false, "yes_string": "yes", "on_string": "on", "null_value": null,
        "date": "2024-01-02T00:00:00Z", "timestamp": "2024-05-06T07:08:09.5+02:00", "quoted_number": "123",
        "nested": {"password": "s3cr3t", "port": 5432, "deeper": {"token": "abc"}},
        "list": ["one", 2, true, "three"],
        "list_of_maps": [{"name": "first", "value": "v1"}, {"name": "second", "value": "v2"}],
        "note_unencrypted": "stays plaintext (default suffix)"
    });
    assert_eq!(yaml_json(&out), vec![expected.clone()], "{out}");
    // Decrypted comments come back as comments, at the top, in the nested map and in the list.
    assert!(
        out.starts_with("# top-level comment (encrypted by sops)\n"),
        "{out}"
    );
    assert!(
        out.contains("nested:\n  # nested comment\n  password: s3cr3t\n"),
        "{out}"
    );
    assert!(
        out.contains("- true\n# comment inside a list\n- three\n"),
        "{out}"
    );
    assert!(out.contains("yes_string: \"yes\"\n"), "{out}");

    // The same file through Flux's JSON path: same values, MAC still verified.
    let d = decrypt_document_strict(&resource("types.enc.yaml"), &key("main")).unwrap();
    assert!(d.mac_verified);
    assert_eq!(d.value, expected);
}

#[test]
fn encryption_rules() {
    assert_yaml_fixture("cluster-secrets.enc.yaml", "plain/cluster-secrets.yaml");
    assert_yaml_fixture("mac-only.enc.yaml", "plain/mac-only.yaml");
    assert_yaml_fixture("unencrypted-regex.enc.yaml", "plain/unencrypted-regex.yaml");
    assert_yaml_fixture("encrypted-suffix.enc.yaml", "plain/encrypted-suffix.yaml");
    assert_yaml_fixture(
        "unencrypted-suffix.enc.yaml",
        "plain/unencrypted-suffix.yaml",
    );
    assert_yaml_fixture("comment-regex.enc.yaml", "plain/comment-regex.yaml");
    assert_yaml_fixture("multidoc.enc.yaml", "plain/multidoc.yaml");
    // Only the matching leaves were encrypted by sops.
    let raw = text("unencrypted-regex.enc.yaml");
    assert!(raw.contains("owner: team-a") && !raw.contains("secret: top"));
}

#[test]
fn cluster_secrets_as_flux_resource() {
    let doc = resource("cluster-secrets.enc.yaml");
    assert!(is_encrypted(&doc));
    let d = decrypt_document_strict(&doc, &key("main")).unwrap();
    assert_eq!(d.value, resource("plain/cluster-secrets.yaml"));

    // mac_only_encrypted: edits to plaintext leaves (as kustomize makes) keep the MAC valid.
    let mut doc = resource("mac-only.enc.yaml");
    doc["metadata"]["labels"]["replicas"] = json!("4");
    assert!(
        decrypt_document_strict(&doc, &key("main"))
            .unwrap()
            .mac_verified
    );
}

#[test]
fn multi_document_yaml_keeps_every_document() {
    let out = decrypt("multidoc.enc.yaml", FileFormat::Yaml, &key("main"));
    let docs = yaml_json(std::str::from_utf8(&out).unwrap());
    assert_eq!(docs.len(), 3);
    assert!(docs.iter().all(|d| d.get("sops").is_none()));
    assert_eq!(docs[2]["data"]["token"], "dG9rZW4tdGhyZWU=");
    let err = decrypt_file(
        &read("multidoc.enc.yaml"),
        FileFormat::Yaml,
        FileFormat::Json,
        &key("main"),
    )
    .unwrap_err();
    assert!(err.to_string().contains("3 documents"), "{err}");
}

#[test]
fn shamir_two_of_three_key_groups() {
    let expected = yaml_json(&text("plain/shamir.yaml"));
    for pair in [["main", "group2"], ["main", "group3"], ["group2", "group3"]] {
        let out = decrypt("shamir.enc.yaml", FileFormat::Yaml, &keys(&pair));
        assert_eq!(
            yaml_json(std::str::from_utf8(&out).unwrap()),
            expected,
            "{pair:?}"
        );
    }
    let err = decrypt_file(
        &read("shamir.enc.yaml"),
        FileFormat::Yaml,
        FileFormat::Yaml,
        &key("main"),
    )
    .unwrap_err();
    let SopsError::NoMatchingKey { recipients } = &err else {
        panic!("{err}")
    };
    assert_eq!(
        recipients,
        &key("group2")
            .recipients()
            .into_iter()
            .chain(key("group3").recipients())
            .collect::<Vec<_>>()
    );
}

#[test]
fn second_recipient_without_key() {
    // types.enc.yaml is also encrypted to a recipient whose key we do not have; ours suffices.
    assert!(
        text("types.enc.yaml")
            .contains("age1khhv2jpcteg3uzy3ht77h6jj6tyfeewgupct0pq4uufqu4q6vusqh9pusd")
    );
    let err = decrypt_document(&resource("types.enc.yaml"), &key("group2")).unwrap_err();
    let msg = err.to_string();
    assert!(msg.starts_with("not decrypted: no key for "), "{msg}");
    assert!(
        msg.contains(&key("main").recipients()[0]) && msg.contains("age1khhv2jpc"),
        "{msg}"
    );
}

#[test]
fn dotenv_json_ini_binary() {
    let env = decrypt("app.enc.env", FileFormat::Dotenv, &key("main"));
    assert_eq!(String::from_utf8(env).unwrap(), text("plain/app.env"));

    let json_out = decrypt("config.enc.json", FileFormat::Json, &key("main"));
    let value: Value = serde_json::from_slice(&json_out).unwrap();
    let plain: Value = serde_json::from_slice(&read("plain/config.json")).unwrap();
    assert_eq!(value, plain);
    let d = decrypt_document_strict(
        &serde_json::from_slice(&read("config.enc.json")).unwrap(),
        &key("main"),
    )
    .unwrap();
    assert_eq!(d.value, plain);

    let ini = decrypt("settings.enc.ini", FileFormat::Ini, &key("main"));
    assert_eq!(
        String::from_utf8(ini).unwrap(),
        "; general settings\n[general]\nname = service\ndebug = true\n\n[database]\n; the password\npassword = hunter2\nport = 5432\n\n"
    );

    assert_eq!(
        decrypt("blob.enc.bin", FileFormat::Binary, &key("main")),
        read("plain/blob.bin")
    );
    // Flux's secretGenerator pass picks the format from the key name.
    assert_eq!(format_for_path("blob.bin"), FileFormat::Binary);
    assert_eq!(marker_format(&read("blob.enc.bin")), Some(FileFormat::Json));
    assert_eq!(
        marker_format(&read("app.enc.env")),
        Some(FileFormat::Dotenv)
    );
    assert_eq!(
        marker_format(&read("settings.enc.ini")),
        Some(FileFormat::Ini)
    );
    assert_eq!(
        marker_format(&read("types.enc.yaml")),
        Some(FileFormat::Yaml)
    );
}

#[test]
fn cross_format_output() {
    let k = key("main");
    let yaml = decrypt_file(
        &read("config.enc.json"),
        FileFormat::Json,
        FileFormat::Yaml,
        &k,
    )
    .unwrap();
    let plain: Value = serde_json::from_slice(&read("plain/config.json")).unwrap();
    assert_eq!(
        yaml_json(std::str::from_utf8(&yaml.bytes).unwrap()),
        vec![plain]
    );
    let env = decrypt_file(
        &read("app.enc.env"),
        FileFormat::Dotenv,
        FileFormat::Json,
        &k,
    )
    .unwrap();
    let v: Value = serde_json::from_slice(&env.bytes).unwrap();
    assert_eq!(v["MULTI"], "first\nsecond");
    let err = decrypt_file(
        &read("types.enc.yaml"),
        FileFormat::Yaml,
        FileFormat::Dotenv,
        &k,
    )
    .unwrap_err();
    assert!(err.to_string().contains("complex value"), "{err}");
}

#[test]
fn secret_data_pass() {
    let secret = resource("secret-nested.yaml");
    let out = decrypt_secret_data(&secret, &key("main")).unwrap().unwrap();
    let field = |k: &str| {
        use base64::Engine;
        let b = base64::engine::general_purpose::STANDARD
            .decode(out["data"][k].as_str().unwrap())
            .unwrap();
        String::from_utf8_lossy(&b).into_owned()
    };
    assert_eq!(
        yaml_json(&field("config.yaml")),
        vec![resource("plain/cluster-secrets.yaml")]
    );
    assert_eq!(field("app.env"), text("plain/app.env"));
    assert_eq!(
        field("blob.bin").as_bytes(),
        String::from_utf8_lossy(&read("plain/blob.bin")).as_bytes()
    );
    let json_field: Value = serde_json::from_str(&field("settings.json")).unwrap();
    assert_eq!(json_field["nested"]["password"], "pw");
    assert_eq!(out["data"]["plain.txt"], secret["data"]["plain.txt"]);

    let err = decrypt_secret_data(&secret, &key("group2")).unwrap_err();
    assert!(err.to_string().starts_with("Secret field '"), "{err}");
}

#[test]
fn tampered_ciphertext_fails_authentication() {
    let raw = text("cluster-secrets.enc.yaml");
    let line = raw
        .lines()
        .find(|l| l.contains("SECRET_DOMAIN: ENC["))
        .unwrap();
    let start = line.find("data:").unwrap() + 5;
    let mut tampered_line = line.to_string();
    let c = if &line[start..start + 1] == "A" {
        "B"
    } else {
        "A"
    };
    tampered_line.replace_range(start..start + 1, c);
    let tampered = raw.replace(line, &tampered_line);
    let err = decrypt_file(
        tampered.as_bytes(),
        FileFormat::Yaml,
        FileFormat::Yaml,
        &key("main"),
    )
    .unwrap_err();
    assert!(matches!(err, SopsError::DecryptFailed { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        "cannot decrypt the value at 'stringData.SECRET_DOMAIN': authentication failed (tampered or wrong data key)"
    );
}

#[test]
fn mac_problems_are_warnings_unless_strict() {
    // A changed plaintext leaf (what kustomize does to metadata): MAC mismatch.
    let mut doc = resource("cluster-secrets.enc.yaml");
    doc["metadata"]["namespace"] = json!("apps");
    let d = decrypt_document(&doc, &key("main")).unwrap();
    assert!(!d.mac_verified);
    assert_eq!(d.value["stringData"]["SECRET_DOMAIN"], "example.com");
    assert!(
        d.warnings[0].starts_with("MAC mismatch (Flux ignores it"),
        "{:?}",
        d.warnings
    );
    let err = decrypt_document_strict(&doc, &key("main")).unwrap_err();
    assert!(matches!(err, SopsError::MacMismatch(_)), "{err}");

    // A tampered stored MAC: cannot be decrypted, same policy.
    let mut doc = resource("cluster-secrets.enc.yaml");
    let mac = doc["sops"]["mac"]
        .as_str()
        .unwrap()
        .replacen("data:", "data:AAAA", 1);
    doc["sops"]["mac"] = json!(mac);
    let d = decrypt_document(&doc, &key("main")).unwrap();
    assert!(!d.mac_verified);
    assert!(
        d.warnings[0].starts_with("MAC could not be decrypted"),
        "{:?}",
        d.warnings
    );
    assert!(decrypt_document_strict(&doc, &key("main")).is_err());
}

#[test]
fn missing_or_bad_metadata_is_malformed() {
    let base = resource("cluster-secrets.enc.yaml");
    let k = key("main");
    let check = |doc: Value, needle: &str| {
        let err = decrypt_document(&doc, &k).unwrap_err();
        assert!(matches!(err, SopsError::Malformed(_)), "{err}");
        assert!(err.to_string().contains(needle), "{err}");
    };
    for field in ["mac", "lastmodified"] {
        let mut doc = base.clone();
        doc["sops"].as_object_mut().unwrap().remove(field);
        check(doc, field);
    }
    let mut doc = base.clone();
    doc["sops"]["lastmodified"] = json!("yesterday");
    check(doc, "RFC 3339");
    let mut doc = base.clone();
    doc["sops"].as_object_mut().unwrap().remove("age");
    check(doc, "no keys");
    let mut doc = base.clone();
    doc["stringData"]["SECRET_DOMAIN"] = json!("ENC[AES256_GCM,data:xx]");
    check(doc, "stringData.SECRET_DOMAIN");
    let mut doc = base.clone();
    doc["stringData"]["SECRET_DOMAIN"] = json!(5);
    check(doc, "not a string");
    let mut doc = base;
    doc.as_object_mut().unwrap().remove("sops");
    check(doc, "metadata not found");
    assert!(decrypt_file(b"a: [1", FileFormat::Yaml, FileFormat::Yaml, &k).is_err());
    assert!(decrypt_file(b"A=1\n", FileFormat::Dotenv, FileFormat::Dotenv, &k).is_err());
}

#[test]
fn keyring_loads_fixture_keys() {
    let dir = testdata_dir().join("keys");
    let files = vec![dir.join("main.agekey"), dir.join("group2.agekey")];
    let group3 = text("keys/group3.agekey");
    let env = move |name: &str| (name == "SOPS_AGE_KEY").then(|| group3.clone());
    let ring = Keyring::load(&files, &env).unwrap();
    assert_eq!(ring.len(), 3);
    assert!(ring.describe()[0].ends_with("main.agekey)"));
    let out = decrypt("shamir.enc.yaml", FileFormat::Yaml, &ring);
    assert!(!out.is_empty());
}
