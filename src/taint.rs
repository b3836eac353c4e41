//! Where secret values landed outside Secrets, so redaction can hide exactly those places.
//!
//! When substitution puts a Secret-sourced variable into a field, or decryption fills a field of a
//! non-Secret object, the field's JSON pointer is recorded in an internal annotation that travels
//! with the object (to the objects that read it through substituteFrom or valuesFrom) and is
//! removed before anything is printed. Redacting only marked fields keeps a secret like
//! `example.com` from mangling every unrelated `example.com` in the output.

use serde_json::{Map, Value};

/// Internal annotation holding a JSON array of JSON pointers; never printed.
pub const ANNOTATION: &str = "fluxsim.internal/secret-paths";
/// Internal annotation on an object that could not be decrypted, holding who could open it;
/// readers of it (substituteFrom, valuesFrom) cannot be checked either. Never printed.
pub const NO_KEY: &str = "fluxsim.internal/no-key";

/// Marks an object as not decrypted for want of `needs` (e.g. `age1…`).
pub fn mark_no_key(obj: &mut Value, needs: &str) {
    crate::object::set_metadata_entry(obj, "annotations", NO_KEY, needs);
}

/// Who could decrypt an object left encrypted, if it was.
pub fn no_key(obj: &Value) -> Option<&str> {
    obj.pointer("/metadata/annotations")
        .and_then(|a| a.get(NO_KEY))
        .and_then(Value::as_str)
}

/// The marked pointers of an object.
pub fn paths(obj: &Value) -> Vec<String> {
    obj.pointer("/metadata/annotations")
        .and_then(|a| a.get(ANNOTATION))
        .and_then(Value::as_str)
        .and_then(|s| serde_json::from_str::<Vec<String>>(s).ok())
        .unwrap_or_default()
}

/// Adds pointers to an object's marks.
pub fn mark(obj: &mut Value, new: &[String]) {
    if new.is_empty() {
        return;
    }
    let mut all = paths(obj);
    all.extend(new.iter().cloned());
    all.sort();
    all.dedup();
    let text = serde_json::to_string(&all).unwrap_or_default();
    crate::object::set_metadata_entry(obj, "annotations", ANNOTATION, &text);
}

/// Removes the marks; returns them.
pub fn take(obj: &mut Value) -> Vec<String> {
    let found = paths(obj);
    let Some(meta) = obj.pointer_mut("/metadata").and_then(Value::as_object_mut) else {
        return found;
    };
    if let Some(Value::Object(a)) = meta.get_mut("annotations") {
        a.remove(ANNOTATION);
        a.remove(NO_KEY);
        if a.is_empty() {
            meta.remove("annotations");
        }
    }
    found
}

/// Whether a pointer (or one of its parents) is marked.
pub fn is_marked(marks: &[String], pointer: &str) -> bool {
    marks
        .iter()
        .any(|m| pointer == m || pointer.starts_with(&format!("{m}/")) || m.is_empty())
}

/// Every string/number leaf at or under the marked pointers (the plain secret text).
pub fn marked_values(obj: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for p in paths(obj) {
        if let Some(v) = obj.pointer(&p) {
            leaves(v, &mut out);
        }
    }
    out
}

fn leaves(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Number(n) => out.push(n.to_string()),
        Value::Bool(b) => out.push(b.to_string()),
        Value::Array(a) => a.iter().for_each(|x| leaves(x, out)),
        Value::Object(m) => m.values().for_each(|x| leaves(x, out)),
        Value::Null => {}
    }
}

/// Pointers (in `after`) of the leaves that changed from `before` and now contain one of
/// `values`. Where the shapes differ (substitution changed the structure) the whole subtree
/// is marked.
pub fn changed_paths(before: &Value, after: &Value, values: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    walk(before, after, String::new(), values, &mut out);
    out
}

fn walk(before: &Value, after: &Value, at: String, values: &[String], out: &mut Vec<String>) {
    match (before, after) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, vb) in b {
                let p = format!("{at}/{}", escape(k));
                match a.get(k) {
                    Some(va) => walk(va, vb, p, values, out),
                    None if contains_any(vb, values) || key_changed(a, k) => out.push(p),
                    None => {}
                }
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (va, vb)) in a.iter().zip(b).enumerate() {
                walk(va, vb, format!("{at}/{i}"), values, out);
            }
        }
        (a, b) if a != b && contains_any(b, values) => out.push(at),
        _ => {}
    }
}

/// A key that is new in the result came from a substituted key when the old map had a `${`.
fn key_changed(before: &Map<String, Value>, _key: &str) -> bool {
    before.keys().any(|k| k.contains("${"))
}

fn contains_any(v: &Value, values: &[String]) -> bool {
    let mut texts = Vec::new();
    leaves(v, &mut texts);
    texts.iter().any(|t| {
        values
            .iter()
            .any(|s| !s.is_empty() && t.contains(s.as_str()))
    })
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn marks_only_fields_that_received_a_secret() {
        let before =
            json!({"data":{"url":"https://${APP}.${DOMAIN}","plain":"${APP}","k/x":"${PW}"}});
        let after =
            json!({"data":{"url":"https://demo.example.com","plain":"demo","k/x":"hunter2"}});
        let p = changed_paths(&before, &after, &["example.com".into(), "hunter2".into()]);
        assert_eq!(p, vec!["/data/url", "/data/k~1x"]);
    }

    #[test]
    fn marks_survive_a_round_trip_and_are_removed() {
        let mut o = json!({"kind":"ConfigMap","metadata":{"name":"a"},"data":{"u":"s3cret-value"}});
        mark(&mut o, &["/data/u".into()]);
        assert_eq!(marked_values(&o), vec!["s3cret-value"]);
        assert!(is_marked(&paths(&o), "/data/u"));
        assert_eq!(take(&mut o), vec!["/data/u"]);
        assert!(o["metadata"].get("annotations").is_none());
    }
}
