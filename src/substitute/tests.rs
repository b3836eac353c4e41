//! Tests of per-object substitution (flux-semantics.md §2.1, §2.3, §2.4).

use super::*;
use serde_json::{Value, json};

fn vars(pairs: &[(&str, &str)]) -> Variables {
    pairs
        .iter()
        .map(|(k, v)| {
            let var = Var {
                value: v.to_string(),
                from_secret: false,
            };
            (k.to_string(), var)
        })
        .collect()
}

fn sub(obj: Value, pairs: &[(&str, &str)]) -> Value {
    substitute_object(&obj, &vars(pairs), false).unwrap_or_else(|e| panic!("{e}"))
}

fn cm(data: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": data})
}

#[test]
fn worked_example_2_4() {
    let obj = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "app-${env}", "labels": {"tier": "${tier:=web}"}},
        "spec": {"replicas": "${replicas}", "template": {"spec": {"containers": [
            {"image": "app:${tag:=latest}", "command": ["sh", "-c", "echo $HOME $${X}"]}
        ]}}}
    });
    let want = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"labels": {"tier": "web"}, "name": "app-prod"},
        "spec": {"replicas": 3, "template": {"spec": {"containers": [
            {"command": ["sh", "-c", "echo $HOME ${X}"], "image": "app:latest"}
        ]}}}
    });
    let v = vars(&[("env", "prod"), ("replicas", "3")]);
    for strict in [false, true] {
        assert_eq!(substitute_object(&obj, &v, strict).unwrap(), want);
    }
    // A bare `${tag}` fails in strict mode only.
    let bare = json!({"kind": "Deployment", "apiVersion": "apps/v1", "metadata": {"name": "app"}, "image": "${tag}"});
    // `image: ` is an empty plain scalar: null, as in Flux.
    assert_eq!(
        substitute_object(&bare, &v, false).unwrap()["image"],
        Value::Null
    );
    let err = substitute_object(&bare, &v, true).unwrap_err();
    assert_eq!(
        err.to_string(),
        "post build failed for 'Deployment.v1.apps/app': envsubst error: variable substitution failed: variable not set (strict mode): \"tag\""
    );
}

#[test]
fn type_coercion_follows_go_yaml_v2() {
    let obj = cm(
        json!({"a": "${n}", "b": "${f}", "c": "${yes}", "d": "${oct}", "e": "${q}${n}${q}", "f": "x${n}", "g": "${empty}", "h": "${on}"}),
    );
    let v = sub(
        obj,
        &[
            ("n", "3"),
            ("f", "1.0"),
            ("yes", "yes"),
            ("oct", "0755"),
            ("q", "\""),
            ("empty", ""),
            ("on", "on"),
        ],
    );
    let d = &v["data"];
    assert_eq!(d["a"], json!(3));
    assert_eq!(d["b"].as_f64(), Some(1.0));
    assert_eq!(d["c"], json!(true));
    assert_eq!(d["d"], json!(493));
    assert_eq!(d["e"], json!("3")); // the documented ${quote} workaround
    assert_eq!(d["f"], json!("x3"));
    assert_eq!(d["g"], Value::Null);
    assert_eq!(d["h"], json!(true));
}

#[test]
fn values_with_yaml_syntax_change_structure_or_fail() {
    let obj = cm(json!({"a": "${v}"}));
    assert_eq!(
        sub(obj.clone(), &[("v", "{x: 1}")])["data"]["a"],
        json!({"x": 1})
    );
    assert_eq!(
        sub(obj.clone(), &[("v", "[1, two]")])["data"]["a"],
        json!([1, "two"])
    );
    assert_eq!(
        sub(obj.clone(), &[("v", "x #comment")])["data"]["a"],
        json!("x")
    );
    let err = substitute_object(&obj, &vars(&[("v", "a: b")]), false).unwrap_err();
    assert!(matches!(err, SubstituteError::Yaml { .. }), "{err}");
    assert!(err.to_string().starts_with(
        "post build failed for 'ConfigMap.v1.[noGrp]/c': envsubst error: YAMLToJSON: yaml: line"
    ));
    let err = substitute_object(&obj, &vars(&[("v", "*x")]), false).unwrap_err();
    assert!(matches!(err, SubstituteError::Yaml { .. }), "{err}");
    // Inside quotes a value can still break out: a `'` in a single-quoted scalar.
    let quoted = cm(json!({"a": "${v}: x"}));
    assert_eq!(
        sub(quoted.clone(), &[("v", "ok")])["data"]["a"],
        json!("ok: x")
    );
    assert!(substitute_object(&quoted, &vars(&[("v", "it's")]), false).is_err());
}

#[test]
fn multi_line_strings_and_literal_blocks() {
    let obj = cm(
        json!({"script": "#!/bin/sh\necho ${greeting:=hi} $${USER}\nexit ${code}\n", "x": "a\tb ${v}"}),
    );
    let v = sub(obj.clone(), &[("code", "0"), ("v", "c")]);
    assert_eq!(
        v["data"]["script"],
        json!("#!/bin/sh\necho hi ${USER}\nexit 0\n")
    );
    assert_eq!(v["data"]["x"], json!("a\tb c"));
    // The tab forces a double-quoted scalar, so `\` in a value is read as an escape
    // and `"` ends the scalar, exactly as in Flux.
    assert_eq!(
        sub(obj.clone(), &[("code", "0"), ("v", "\\u0041")])["data"]["x"],
        json!("a\tb A")
    );
    for bad in ["\"", "\\d"] {
        assert!(
            substitute_object(&obj, &vars(&[("code", "0"), ("v", bad)]), false).is_err(),
            "{bad}"
        );
    }
    // Multi-line values are impossible (newlines are stripped at load time), but `\r` is kept
    // and YAML reads it as a line break: here `y` lands at column 0 and breaks the document.
    let lit = cm(json!({"s": "a\n${v}\n"}));
    assert_eq!(
        sub(lit.clone(), &[("v", "x y")])["data"]["s"],
        json!("a\nx y\n")
    );
    let err = substitute_object(&lit, &vars(&[("v", "x\ry")]), false).unwrap_err();
    assert!(matches!(err, SubstituteError::Yaml { .. }), "{err}");
}

#[test]
fn keys_and_names_are_substituted_and_sorted() {
    let obj = json!({"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "${n}", "namespace": "${ns}"}, "data": {"${k}": "v", "b": "1"}});
    let v = sub(obj, &[("n", "app"), ("ns", "prod"), ("k", "a")]);
    assert_eq!(
        v,
        json!({"apiVersion": "v1", "data": {"a": "v", "b": "1"}, "kind": "ConfigMap", "metadata": {"name": "app", "namespace": "prod"}})
    );
    let keys: Vec<&String> = v["data"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["a", "b"]);
    // A key that becomes a number is converted back to a string key, as Flux does.
    let v = sub(cm(json!({"${k}": "x"})), &[("k", "8080")]);
    assert_eq!(v["data"], json!({"8080": "x"}));
}

#[test]
fn opt_out_by_label_or_annotation() {
    for field in ["labels", "annotations"] {
        let obj = json!({"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "c", field: {"kustomize.toolkit.fluxcd.io/substitute": "disabled"}}, "data": {"a": "${x}", "b": "$$"}});
        assert_eq!(
            substitute_object(&obj, &vars(&[("x", "1")]), true).unwrap(),
            obj
        );
    }
    let other = json!({"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "c", "labels": {"kustomize.toolkit.fluxcd.io/substitute": "Disabled"}}, "data": {"a": "${x}"}});
    assert_eq!(sub(other, &[("x", "1")])["data"]["a"], json!(1));
}

#[test]
fn fast_path_returns_object_unchanged() {
    let obj = json!({"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "c"}, "data": {"z": "no dollar", "a": "yes"}, "n": 1.5});
    let out = sub(obj.clone(), &[("x", "1")]);
    assert_eq!(out, obj);
    assert_eq!(
        out.as_object().unwrap().keys().next().map(String::as_str),
        Some("kind")
    );
}

#[test]
fn dollar_escapes_and_bare_vars() {
    let obj = cm(json!({"a": "$$", "b": "echo $$ $$$$", "c": "$${A}", "d": "$$${A}", "e": "$A"}));
    let d = sub(obj, &[("A", "hello")])["data"].clone();
    assert_eq!(
        d,
        json!({"a": "$", "b": "echo $ $$", "c": "${A}", "d": "$hello", "e": "$A"})
    );
}

#[test]
fn strict_versus_non_strict() {
    let v = vars(&[("E", "")]);
    let obj = cm(json!({"a": "${B}", "b": "${E}", "c": "${B:=d}"}));
    assert_eq!(
        substitute_object(&obj, &v, false).unwrap()["data"],
        json!({"a": null, "b": null, "c": "d"})
    );
    assert!(matches!(
        substitute_object(&obj, &v, true),
        Err(SubstituteError::Envsubst { error: EnvsubstError::VariableNotSet(ref n), .. }) if n == "B"
    ));
    let ok = cm(json!({"b": "${E}x", "c": "${B:=d}"}));
    assert_eq!(
        substitute_object(&ok, &v, true).unwrap()["data"],
        json!({"b": "x", "c": "d"})
    );
}

#[test]
fn parse_errors_are_wrapped_like_flux() {
    let obj = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"}, "stringData": {"a": "${a.b}"}});
    let err = substitute_object(&obj, &vars(&[("x", "1")]), false).unwrap_err();
    assert_eq!(
        err.to_string(),
        "post build failed for 'Secret.v1.[noGrp]/db': envsubst error: variable substitution failed: missing closing brace"
    );
    let obj = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"}, "data": {"a": "${N:1:-1}"}});
    assert!(substitute_object(&obj, &vars(&[("N", "abcdef")]), false).is_err());
}

#[test]
fn whole_document_replacement_must_stay_an_object() {
    let obj = json!({"${k}": "x"});
    let err = substitute_object(&obj, &vars(&[("k", "- a")]), false).unwrap_err();
    assert!(matches!(err, SubstituteError::NotAnObject { .. }), "{err}");
    assert!(err.to_string().ends_with(
        "UnmarshalJSON: json: cannot unmarshal array into Go value of type map[string]interface {}"
    ));
    let err = substitute_object(&obj, &vars(&[("k", "- a: b")]), false).unwrap_err();
    assert!(matches!(err, SubstituteError::Yaml { .. }), "{err}");
}

#[test]
fn should_substitute_and_always_strategy() {
    let mut pb = PostBuild::default();
    let none = Variables::new();
    assert!(!should_substitute(&pb, &none));
    assert!(should_substitute(&pb, &vars(&[("a", "")])));
    let objs = vec![cm(json!({"a": "$$", "b": "${x:=d}"}))];
    assert_eq!(substitute_all(&objs, &pb, &none, true).unwrap(), objs);
    pb.strategy = Strategy::Always;
    assert!(should_substitute(&pb, &none));
    let out = substitute_all(&objs, &pb, &none, true).unwrap();
    assert_eq!(out[0]["data"], json!({"a": "$", "b": "d"}));
}

#[test]
fn object_ids() {
    assert_eq!(
        object_id(
            &json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "a"}})
        ),
        "Deployment.v1.apps/a"
    );
    assert_eq!(
        object_id(&json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"}})),
        "Secret.v1.[noGrp]/db"
    );
    assert_eq!(object_id(&json!({})), "[noKind].[noVer].[noGrp]/");
}

#[test]
fn never_panics_on_arbitrary_values() {
    let tricky = [
        "${",
        "$${",
        "${a",
        "}",
        "${N:1:-1}",
        "${é:=x}",
        "${v}",
        "${v#*}",
        "${v%%[}",
        "${v//}",
        "\n${v}\n",
        "'${v}'",
        "\"${v}\"",
        "${v}: ${v}",
        "- ${v}",
        "${v:0:1}",
        "${#v}",
        "$$$",
    ];
    let values = [
        "", "é", "a: b", "'", "\"", "\\", "{", "[", "*a", "&a", "!x", "|", "#", "- x", "\r", "😀",
    ];
    for t in tricky {
        for val in values {
            let obj = cm(json!({"a": t, t: "k", "l": [t, {"x": t}]}));
            for strict in [false, true] {
                let _ = substitute_object(&obj, &vars(&[("v", val)]), strict);
            }
        }
    }
}
