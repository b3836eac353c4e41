//! Tests of the template functions.
use super::*;
use serde_json::json;

fn call(name: &str, args: Vec<Value>) -> Result<Value> {
    Funcs {
        inputs: Value::Null,
    }
    .call(name, args)
}

#[test]
fn string_functions() {
    assert_eq!(
        call("quote", vec![json!("a\"b"), json!(2)]).unwrap(),
        json!("\"a\\\"b\" \"2\"")
    );
    assert_eq!(call("upper", vec![json!("ab")]).unwrap(), json!("AB"));
    assert!(
        call("upper", vec![json!(2)])
            .unwrap_err()
            .contains("expected string; got int64")
    );
    assert_eq!(
        call("replace", vec![json!("-"), json!("_"), json!("a-b-c")]).unwrap(),
        json!("a_b_c")
    );
    assert_eq!(
        call("trimSuffix", vec![json!(".x"), json!("a.x")]).unwrap(),
        json!("a")
    );
    assert_eq!(
        call("nindent", vec![json!(2), json!("a: 1\nb: 2")]).unwrap(),
        json!("\n  a: 1\n  b: 2")
    );
    assert_eq!(call("b64enc", vec![json!("hi")]).unwrap(), json!("aGk="));
    assert_eq!(call("b64dec", vec![json!("aGk=")]).unwrap(), json!("hi"));
    assert_eq!(
        call("trunc", vec![json!(3), json!("abcdef")]).unwrap(),
        json!("abc")
    );
    assert_eq!(
        call("kebabcase", vec![json!("myApp Name")]).unwrap(),
        json!("my-app-name")
    );
    assert_eq!(
        call("adler32sum", vec![json!("Wikipedia")]).unwrap(),
        json!("300286872")
    );
}

#[test]
fn defaults_numbers_and_collections() {
    assert_eq!(
        call("default", vec![json!("d"), json!("")]).unwrap(),
        json!("d")
    );
    assert_eq!(
        call("default", vec![json!("d"), json!("v")]).unwrap(),
        json!("v")
    );
    assert_eq!(call("int", vec![json!("3")]).unwrap(), json!(3));
    assert_eq!(call("int", vec![json!("x")]).unwrap(), json!(0));
    assert_eq!(call("add", vec![json!(1), json!("2")]).unwrap(), json!(3));
    assert_eq!(
        call("list", vec![json!(1), json!("a")]).unwrap(),
        json!([1, "a"])
    );
    assert_eq!(
        call("dict", vec![json!("a"), json!(1)]).unwrap(),
        json!({"a": 1})
    );
    assert_eq!(
        call("get", vec![json!({"a": 1}), json!("b")]).unwrap(),
        json!("")
    );
    assert_eq!(
        call("join", vec![json!(","), json!(["a", 1])]).unwrap(),
        json!("a,1")
    );
    assert_eq!(
        call("has", vec![json!("a"), json!(["a"])]).unwrap(),
        json!(true)
    );
    assert_eq!(
        call("keys", vec![json!({"b": 1, "a": 2})]).unwrap(),
        json!(["a", "b"])
    );
}

#[test]
fn builtins() {
    assert_eq!(
        call("eq", vec![json!("a"), json!("b"), json!("a")]).unwrap(),
        json!(true)
    );
    assert!(call("eq", vec![json!(1), json!(1.5)]).is_err());
    assert_eq!(call("lt", vec![json!(1), json!(2)]).unwrap(), json!(true));
    assert_eq!(call("and", vec![json!(1), json!("")]).unwrap(), json!(""));
    assert_eq!(call("or", vec![json!(""), json!("x")]).unwrap(), json!("x"));
    assert_eq!(call("len", vec![json!([1, 2])]).unwrap(), json!(2));
    assert_eq!(
        call("index", vec![json!({"a": [5, 6]}), json!("a"), json!(1)]).unwrap(),
        json!(6)
    );
    assert_eq!(
        call("index", vec![json!({"a": 1}), json!("z")]).unwrap(),
        Value::Null
    );
    assert_eq!(
        call("printf", vec![json!("%s-%d"), json!("a"), json!(3)]).unwrap(),
        json!("a-3")
    );
    assert_eq!(
        call("print", vec![json!(1), json!(2)]).unwrap(),
        json!("1 2")
    );
}

#[test]
fn slugify_follows_gosimple_slug() {
    assert_eq!(slugify(">=1.0.0-rc.0"), "1-0-0-rc-0");
    assert_eq!(slugify("Hello World!"), "hello-world");
    assert_eq!(slugify("feat/UI_color"), "feat-ui_color");
    let long = "word-".repeat(20);
    assert!(slugify(&long).len() <= 63 && !slugify(&long).ends_with('-'));
}
