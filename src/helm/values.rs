//! User values of a HelmRelease: `valuesFrom` in order, then inline `spec.values`
//! (fluxcd/pkg `chartutil.ChartValuesFromReferences`).

use super::error::HelmError;
use super::strvals::{Mode, parse_into};
use super::view::{ClusterView, bool_at, namespace_of, nonempty_at, object_id, str_at};
use base64::Engine;
use serde_json::{Map, Value};

/// Deep merge as Helm's `MergeMaps`: maps merge recursively, anything else in `b` replaces `a`.
pub fn merge_maps(mut a: Map<String, Value>, b: &Map<String, Value>) -> Map<String, Value> {
    for (k, v) in b {
        if let (Value::Object(bv), Some(Value::Object(av))) = (v, a.get_mut(k)) {
            let merged = merge_maps(std::mem::take(av), bv);
            *av = merged;
            continue;
        }
        a.insert(k.clone(), v.clone());
    }
    a
}

/// Merges `valuesFrom` (ConfigMap/Secret keys from the HelmRelease's namespace) and inline values.
///
/// A `targetPath` value is set with Helm `--set` rules after inline values are merged, and wins over
/// them (the documented precedence; Flux reaches it through map aliasing, which differs only for a
/// single-segment path also set inline).
pub fn merge_values(hr: &Value, view: &dyn ClusterView) -> Result<Value, HelmError> {
    let id = object_id(hr);
    let ns = namespace_of(hr);
    let inline = match hr.pointer("/spec/values") {
        Some(Value::Object(m)) => m.clone(),
        None | Some(Value::Null) => Map::new(),
        Some(_) => {
            return Err(HelmError::Values {
                hr: id,
                reason: "spec.values is not a map".to_string(),
            });
        }
    };
    let refs = hr
        .pointer("/spec/valuesFrom")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut result = Map::new();
    let mut targeted: Vec<(String, String, bool)> = Vec::new();
    for reference in &refs {
        let kind = str_at(reference, "/kind").unwrap_or_default();
        let name = str_at(reference, "/name").unwrap_or_default();
        let key = nonempty_at(reference, "/valuesKey").unwrap_or("values.yaml");
        let optional = bool_at(reference, "/optional");
        let fail = |reason: String| HelmError::ValuesReference {
            hr: id.clone(),
            kind: kind.to_string(),
            object: format!("{ns}/{name}"),
            key: key.to_string(),
            reason,
        };
        if kind != "ConfigMap" && kind != "Secret" {
            return Err(fail(format!("unsupported values reference kind '{kind}'")));
        }
        let Some(object) = view.get(kind, &ns, name) else {
            if optional {
                continue;
            }
            return Err(fail(format!("{kind} '{ns}/{name}' not found")));
        };
        let Some(data) = read_key(&object, kind, key).map_err(&fail)? else {
            if optional {
                continue;
            }
            return Err(fail(format!("missing key '{key}' in {kind} '{ns}/{name}'")));
        };
        if let Some(path) = nonempty_at(reference, "/targetPath") {
            let literal = bool_at(reference, "/literal");
            result = merge_maps(result, &inline);
            set_path(&mut result, path, &data, literal).map_err(&fail)?;
            targeted.push((path.to_string(), data, literal));
            continue;
        }
        let parsed = crate::yaml::parse_one(&data)
            .map_err(|e| fail(format!("unable to read values: {e}")))?;
        match parsed {
            Value::Object(m) => result = merge_maps(result, &m),
            Value::Null => {}
            _ => return Err(fail("values are not a map".to_string())),
        }
    }
    result = merge_maps(result, &inline);
    for (path, data, literal) in &targeted {
        set_path(&mut result, path, data, *literal).map_err(|reason| HelmError::Values {
            hr: id.clone(),
            reason,
        })?;
    }
    Ok(Value::Object(result))
}

/// `ReplacePathValue`: quoted values are strings with the quotes trimmed; others are typed.
fn set_path(
    values: &mut Map<String, Value>,
    path: &str,
    value: &str,
    literal: bool,
) -> Result<(), String> {
    if literal {
        return parse_into(&format!("{path}={value}"), values, Mode::Literal);
    }
    let quoted = |q: char| value.starts_with(q) && value.ends_with(q);
    if quoted('\'') || quoted('"') {
        let trimmed = value.trim_matches(|c| c == '\'' || c == '"');
        return parse_into(&format!("{path}={trimmed}"), values, Mode::String);
    }
    parse_into(&format!("{path}={value}"), values, Mode::Typed)
}

/// A key of a ConfigMap (`data`, then `binaryData`) or Secret (`stringData`, then base64 `data`).
fn read_key(object: &Value, kind: &str, key: &str) -> Result<Option<String>, String> {
    let (plain, encoded) = if kind == "Secret" {
        ("stringData", "data")
    } else {
        ("data", "binaryData")
    };
    if let Some(text) = object
        .get(plain)
        .and_then(|d| d.get(key))
        .and_then(Value::as_str)
    {
        return Ok(Some(text.to_string()));
    }
    let Some(b64) = object
        .get(encoded)
        .and_then(|d| d.get(key))
        .and_then(Value::as_str)
    else {
        return Ok(None);
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .map_err(|e| format!("invalid base64 in {encoded}.{key}: {e}"))?;
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| format!("{encoded}.{key} is not UTF-8 text"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::path::PathBuf;

    struct View(Vec<Value>);
    impl ClusterView for View {
        fn get(&self, kind: &str, ns: &str, name: &str) -> Option<Value> {
            self.0
                .iter()
                .find(|o| {
                    o["kind"] == kind
                        && o["metadata"]["namespace"] == ns
                        && o["metadata"]["name"] == name
                })
                .cloned()
        }
        fn source_dir(&self, _: &str, _: &str, _: &str) -> Option<PathBuf> {
            None
        }
    }

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    fn hr(spec: Value) -> Value {
        json!({"kind":"HelmRelease","metadata":{"name":"app","namespace":"apps"},"spec":spec})
    }

    #[test]
    fn research_example() {
        let view = View(vec![
            json!({"kind":"ConfigMap","metadata":{"name":"base","namespace":"apps"},
                   "data":{"values.yaml":"a: {x: 1, y: 1}\nl: [1, 2]\n"}}),
            json!({"kind":"Secret","metadata":{"name":"s","namespace":"apps"},"data":{"pw":b64("hunter2")}}),
        ]);
        let v = merge_values(
            &hr(json!({"valuesFrom":[{"kind":"ConfigMap","name":"base"},
                {"kind":"Secret","name":"s","valuesKey":"pw","targetPath":"auth.password"}],
                "values":{"a":{"y":2},"l":[3]}})),
            &view,
        )
        .unwrap();
        assert_eq!(
            v,
            json!({"a":{"x":1,"y":2},"l":[3],"auth":{"password":"hunter2"}})
        );
    }

    #[test]
    fn target_path_typing_quotes_and_literal() {
        let view = View(vec![
            json!({"kind":"ConfigMap","metadata":{"name":"c","namespace":"apps"},
            "data":{"n":"42","q":"\"42\"","b":"true","l":"a,b=c"}}),
        ]);
        let v = merge_values(
            &hr(json!({"valuesFrom":[
                {"kind":"ConfigMap","name":"c","valuesKey":"n","targetPath":"x.n"},
                {"kind":"ConfigMap","name":"c","valuesKey":"q","targetPath":"x.q"},
                {"kind":"ConfigMap","name":"c","valuesKey":"b","targetPath":"x.b"},
                {"kind":"ConfigMap","name":"c","valuesKey":"l","targetPath":"x.l","literal":true}],
                "values":{"x":{"n":1}}})),
            &view,
        )
        .unwrap();
        assert_eq!(v, json!({"x":{"n":42,"q":"42","b":true,"l":"a,b=c"}}));
    }

    #[test]
    fn optional_and_missing_references() {
        let view = View(vec![
            json!({"kind":"ConfigMap","metadata":{"name":"c","namespace":"apps"},"data":{}}),
        ]);
        let v = merge_values(
            &hr(
                json!({"valuesFrom":[{"kind":"ConfigMap","name":"c","optional":true},
                {"kind":"Secret","name":"nope","optional":true}],"values":{"a":1}}),
            ),
            &view,
        )
        .unwrap();
        assert_eq!(v, json!({"a":1}));
        let err = merge_values(
            &hr(json!({"valuesFrom":[{"kind":"ConfigMap","name":"c"}]})),
            &view,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains(
                "could not resolve ConfigMap chart values reference 'apps/c' with key 'values.yaml'"
            ),
            "{err}"
        );
    }

    #[test]
    fn later_references_win_and_lists_replace() {
        let view = View(vec![
            json!({"kind":"ConfigMap","metadata":{"name":"a","namespace":"apps"},"data":{"values.yaml":"m: {a: 1, b: 1}\nl: [1]"}}),
            json!({"kind":"Secret","metadata":{"name":"b","namespace":"apps"},"stringData":{"v.yaml":"m: {b: 2}\nl: [2, 3]"}}),
        ]);
        let v = merge_values(
            &hr(json!({"valuesFrom":[{"kind":"ConfigMap","name":"a"},{"kind":"Secret","name":"b","valuesKey":"v.yaml"}]})),
            &view,
        )
        .unwrap();
        assert_eq!(v, json!({"m":{"a":1,"b":2},"l":[2,3]}));
    }
}
