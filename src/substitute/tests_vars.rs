//! Tests of `spec.postBuild` parsing and variable loading (flux-semantics.md §2.2).

use super::*;
use base64::Engine as _;
use serde_json::{Value, json};

fn ks(post_build: Value) -> Value {
    json!({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
           "metadata": {"name": "apps", "namespace": "flux-system"},
           "spec": {"path": "./apps", "postBuild": post_build}})
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// A fake namespace with one ConfigMap `vars`, one Secret `creds` and one ConfigMap `bad`.
fn lookup(kind: &RefKind, name: &str) -> Option<Value> {
    match (kind, name) {
        (RefKind::ConfigMap, "vars") => Some(
            json!({"kind": "ConfigMap", "data": {"env": "dev", "replicas": "3", "multi": "a\nb\r\n"}, "binaryData": {"bin": "AAAA"}}),
        ),
        (RefKind::ConfigMap, "more") => {
            Some(json!({"kind": "ConfigMap", "data": {"env": "staging", "region": "eu"}}))
        }
        (RefKind::ConfigMap, "bad") => {
            Some(json!({"kind": "ConfigMap", "data": {"app.domain": "x"}}))
        }
        (RefKind::ConfigMap, "empty") => Some(json!({"kind": "ConfigMap"})),
        (RefKind::Secret, "creds") => Some(json!({"kind": "Secret",
            "data": {"password": b64("s3cret\n"), "user": b64("admin"), "region": b64("us")},
            "stringData": {"user": "root"}})),
        (RefKind::Secret, "broken") => {
            Some(json!({"kind": "Secret", "data": {"x": "not base64!"}}))
        }
        _ => None,
    }
}

fn load(post_build: Value) -> Result<Variables, SubstituteError> {
    let pb = PostBuild::from_kustomization(&ks(post_build))?.expect("postBuild present");
    load_variables(&pb, &lookup)
}

fn values(vars: &Variables) -> Vec<(&str, &str, bool)> {
    vars.iter()
        .map(|(k, v)| (k.as_str(), v.value.as_str(), v.from_secret))
        .collect()
}

#[test]
fn parses_post_build() {
    let pb = PostBuild::from_kustomization(&ks(json!({
        "substitute": {"env": "prod"},
        "substituteFrom": [{"kind": "ConfigMap", "name": "vars"}, {"kind": "Secret", "name": "s", "optional": true}],
        "substituteStrategy": "Always"
    })))
    .unwrap()
    .unwrap();
    assert_eq!(pb.substitute.get("env").map(String::as_str), Some("prod"));
    assert_eq!(
        pb.substitute_from,
        vec![
            VarRef {
                kind: RefKind::ConfigMap,
                name: "vars".into(),
                optional: false
            },
            VarRef {
                kind: RefKind::Secret,
                name: "s".into(),
                optional: true
            },
        ]
    );
    assert_eq!(pb.strategy, Strategy::Always);
    let absent = json!({"kind": "Kustomization", "spec": {"path": "."}});
    assert_eq!(PostBuild::from_kustomization(&absent).unwrap(), None);
    assert_eq!(
        PostBuild::from_kustomization(&ks(Value::Null)).unwrap(),
        None
    );
    assert_eq!(
        PostBuild::from_kustomization(&ks(json!({}))).unwrap(),
        Some(PostBuild::default())
    );
}

#[test]
fn rejects_what_the_api_server_would() {
    for bad in [
        json!({"substitute": {"replicas": 3}}),
        json!({"substitute": ["x"]}),
        json!({"substituteFrom": [{"kind": "Bucket", "name": "x"}]}),
        json!({"substituteFrom": [{"kind": "Secret"}]}),
        json!({"substituteFrom": [{"kind": "Secret", "name": "x", "optional": "yes"}]}),
        json!({"substituteStrategy": "Sometimes"}),
        json!("x"),
    ] {
        let err = PostBuild::from_kustomization(&ks(bad.clone())).unwrap_err();
        assert!(
            matches!(err, SubstituteError::InvalidPostBuild(_)),
            "{bad}: {err}"
        );
    }
}

#[test]
fn precedence_inline_wins_and_later_refs_win() {
    let vars = load(json!({
        "substitute": {"env": "prod"},
        "substituteFrom": [{"kind": "ConfigMap", "name": "vars"}, {"kind": "ConfigMap", "name": "more"}, {"kind": "Secret", "name": "creds"}]
    }))
    .unwrap();
    assert_eq!(vars["env"].value, "prod");
    assert!(!vars["env"].from_secret);
    assert_eq!(vars["replicas"].value, "3");
    assert_eq!(
        vars["region"],
        Var {
            value: "us".into(),
            from_secret: true
        }
    );
    // binaryData is ignored.
    assert!(!vars.contains_key("bin"));
}

#[test]
fn secret_data_is_decoded_and_string_data_overlaid() {
    let vars = load(json!({"substituteFrom": [{"kind": "Secret", "name": "creds"}]})).unwrap();
    assert_eq!(
        values(&vars),
        vec![
            ("password", "s3cret", true),
            ("user", "root", true),
            ("region", "us", true)
        ]
    );
    let err = load(json!({"substituteFrom": [{"kind": "Secret", "name": "broken"}]})).unwrap_err();
    assert!(
        matches!(err, SubstituteError::InvalidRefData { .. }),
        "{err}"
    );
    assert!(
        err.to_string()
            .starts_with("substitute from 'Secret/broken' error: data.x is not valid base64")
    );
}

#[test]
fn newlines_are_stripped_from_every_value() {
    let vars = load(json!({"substitute": {"inline": "x\ny\n"}, "substituteFrom": [{"kind": "ConfigMap", "name": "vars"}]})).unwrap();
    assert_eq!(vars["multi"].value, "ab\r");
    assert_eq!(vars["inline"].value, "xy");
}

#[test]
fn missing_and_optional_references() {
    let err = load(json!({"substituteFrom": [{"kind": "ConfigMap", "name": "nope"}]})).unwrap_err();
    assert_eq!(
        err.to_string(),
        "substitute from 'ConfigMap/nope' error: configmaps \"nope\" not found"
    );
    let err = load(json!({"substituteFrom": [{"kind": "Secret", "name": "nope"}]})).unwrap_err();
    assert_eq!(
        err.to_string(),
        "substitute from 'Secret/nope' error: secrets \"nope\" not found"
    );
    let vars = load(json!({"substituteFrom": [{"kind": "Secret", "name": "nope", "optional": true}, {"kind": "ConfigMap", "name": "empty"}]})).unwrap();
    assert!(vars.is_empty());
    // No variables at all: substitution is skipped entirely (unless Always).
    let pb = PostBuild::from_kustomization(&ks(
        json!({"substituteFrom": [{"kind": "ConfigMap", "name": "empty"}]}),
    ))
    .unwrap()
    .unwrap();
    assert!(!should_substitute(&pb, &vars));
}

#[test]
fn invalid_names_fail_even_when_unused() {
    let err = load(json!({"substituteFrom": [{"kind": "ConfigMap", "name": "bad"}]})).unwrap_err();
    assert_eq!(
        err.to_string(),
        "'app.domain' var name is invalid, must match '^[_[:alpha:]][_[:alpha:][:digit:]]*$' (variable from ConfigMap/bad)"
    );
    for name in ["my-var", "1abc", "", "é", "a b"] {
        let err = load(json!({"substitute": {name: "x"}})).unwrap_err();
        assert!(
            matches!(err, SubstituteError::InvalidVarName { ref key, .. } if key == name),
            "{name}"
        );
    }
    for name in ["_", "a1", "_A_b9", "CLUSTER_NAME"] {
        assert!(load(json!({"substitute": {name: "x"}})).is_ok(), "{name}");
    }
}

#[test]
fn end_to_end_with_loaded_variables() {
    let pb = PostBuild::from_kustomization(&ks(json!({
        "substitute": {"env": "prod"},
        "substituteFrom": [{"kind": "ConfigMap", "name": "vars"}]
    })))
    .unwrap()
    .unwrap();
    let vars = load_variables(&pb, &lookup).unwrap();
    assert!(should_substitute(&pb, &vars));
    let objs = vec![
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "app-${env}"}, "spec": {"replicas": "${replicas}"}}),
    ];
    let out = substitute_all(&objs, &pb, &vars, true).unwrap();
    assert_eq!(out[0]["metadata"]["name"], json!("app-prod"));
    assert_eq!(out[0]["spec"]["replicas"], json!(3));
}
