use super::*;
use serde_json::json;

fn sv(origin: &str, value: &str) -> SecretValue {
    SecretValue::new(origin, value)
}

fn redactor() -> Redactor {
    Redactor::new(b"k".repeat(32))
}

#[test]
fn secrets_become_stable_keyed_tokens() {
    let r = redactor();
    let mut a = json!({"kind":"Secret","metadata":{"name":"s","namespace":"n"},
        "data":{"x":"aHVudGVyMg=="},"stringData":{"x":"hunter2"}});
    r.redact_object(&mut a);
    // The same value at the same key: one token, whether in data or stringData.
    assert_eq!(a["data"]["x"], a["stringData"]["x"]);
    assert!(a["data"]["x"].as_str().unwrap().starts_with("<secret:"));
    let other = Redactor::new(b"z".repeat(32));
    assert_ne!(other.token("o", b"hunter2"), r.token("o", b"hunter2"));
}

#[test]
fn tokens_are_bound_to_where_the_value_was_read() {
    let r = redactor();
    let secret = |name: &str| {
        let mut s = json!({"kind":"Secret","metadata":{"name":name,"namespace":"apps"},
            "stringData":{"password":"correct-horse"}});
        r.redact_object(&mut s);
        s["stringData"]["password"].as_str().unwrap().to_string()
    };
    // A guess planted in another Secret does not get the real Secret's token...
    assert_ne!(secret("db"), secret("guess"));
    // ...and the real one keeps its token.
    assert_eq!(secret("db"), secret("db"));
    assert_eq!(
        secret("db"),
        r.token("Secret/apps/db:password", b"correct-horse")
    );
}

#[test]
fn only_marked_fields_are_scrubbed() {
    let mut r = redactor();
    r.add_values([sv("Secret/a/s:pw", "hunter2"), sv("Secret/a/s:port", "42")]);
    let mut cm = json!({"kind":"ConfigMap","metadata":{"name":"c"},
        "data":{"url":"postgres://u:hunter2@db","port":42,"n":"x42x","other":"hunter2 elsewhere"}});
    crate::taint::mark(
        &mut cm,
        &["/data/url".into(), "/data/port".into(), "/data/n".into()],
    );
    r.redact_object(&mut cm);
    let url = cm["data"]["url"].as_str().unwrap();
    assert!(!url.contains("hunter2"));
    // The token of where the value came from.
    assert!(url.contains(&r.token("Secret/a/s:pw", b"hunter2")), "{url}");
    assert!(cm["data"]["port"].as_str().unwrap().starts_with("<secret:"));
    // A short value inside a marked field hides the whole field.
    assert!(cm["data"]["n"].as_str().unwrap().starts_with("<secret:"));
    // Unmarked fields are left alone, and the marks are gone.
    assert_eq!(cm["data"]["other"], "hunter2 elsewhere");
    assert!(cm["metadata"].get("annotations").is_none());
}

#[test]
fn free_text_is_scrubbed() {
    let mut r = redactor();
    r.add_values([
        sv("Secret/a/s:a", "hunter2"),
        sv("Secret/a/s:b", "correct-horse-battery"),
    ]);
    let t = r.scrub_text("auth failed for hunter2; key correct-horse-battery!; hunter22");
    assert!(
        !t.contains("hunter2;") && !t.contains("correct-horse"),
        "{t}"
    );
    assert!(t.contains(&r.token("Secret/a/s:b", b"correct-horse-battery")));
    // A short value inside a longer word is left alone.
    assert!(t.ends_with("hunter22"), "{t}");
}

#[test]
fn derived_forms_are_scrubbed_in_free_text() {
    let mut r = redactor();
    let value = "Tr0ub4dor \"and\" 3";
    r.add_values([sv("Secret/a/db:pw", value)]);
    let b64 = base64::engine::general_purpose::STANDARD.encode(value);
    let nopad = base64::engine::general_purpose::STANDARD_NO_PAD.encode("Tr0ub4dor");
    r.add_values([sv("Secret/a/db:user", "Tr0ub4dor")]);
    let quoted = serde_json::to_string(value).unwrap();
    let text = format!(
        "a {b64} b {} c {} d {quoted} e {nopad}",
        value.to_uppercase(),
        value.to_lowercase()
    );
    let t = r.scrub_text(&text);
    for leak in [
        b64.as_str(),
        "TR0UB4DOR",
        "tr0ub4dor",
        "\\\"and\\\"",
        nopad.as_str(),
    ] {
        assert!(!t.contains(leak), "{leak} in {t}");
    }
    assert_eq!(
        t.matches(&r.token("Secret/a/db:pw", value.as_bytes()))
            .count(),
        4
    );
}

#[test]
fn an_owner_message_uses_the_origin_it_read() {
    let mut r = redactor();
    r.add_values([
        sv("Secret/apps/db:password", "correct-horse"),
        sv("Secret/apps/zz-guess:password", "correct-horse"),
    ]);
    let own = [sv("Secret/apps/zz-guess:password", "correct-horse")];
    let t = r.scrub_text_for("bad correct-horse", &own);
    assert!(t.contains(&r.token("Secret/apps/zz-guess:password", b"correct-horse")));
    assert!(!t.contains(&r.token("Secret/apps/db:password", b"correct-horse")));
}

#[test]
fn refined_values_keep_the_origin_of_their_text() {
    let mut r = redactor();
    r.add_values([sv("Secret/flux-system/vars:DOMAIN", "example.com")]);
    let got = r.refine(&[sv(
        "Secret/apps/values:values.yaml",
        "host: echo.example.com",
    )]);
    assert_eq!(
        got,
        vec![sv("Secret/apps/values:values.yaml", "example.com")]
    );
}

#[test]
fn release_values_are_scrubbed_everywhere_in_its_objects() {
    let r = redactor();
    let mut d = json!({"kind":"Deployment","spec":{"env":[{"value":"tok-123456"},
        {"value": base64::engine::general_purpose::STANDARD.encode("tok-123456")}]}});
    r.redact_object_with(&mut d, &[], &[sv("Secret/a/s:t", "tok-123456")]);
    assert!(!d.to_string().contains("tok-123456"), "{d}");
    assert!(!d.to_string().contains("dG9rLTEyMzQ1Ng"), "{d}");
}

#[test]
fn age_identities_never_appear_in_free_text() {
    let r = redactor();
    let t = r.scrub_text(
        "bad key AGE-SECRET-KEY-1QQPZRY9X8GF2TVDW0S3JN54KHCE6MUA7LQPZRY9X8GF2TVDW0S3JN54KH here",
    );
    assert!(!t.contains("AGE-SECRET-KEY"), "{t}");
    assert!(t.ends_with(" here"), "{t}");
}
