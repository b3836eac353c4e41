//! Reading `spec.postBuild` and loading its variables (`LoadVariables` in kustomize_varsub.go).
//!
//! `substituteFrom` entries are read in order (later wins), inline `substitute` last (wins).
//! ConfigMaps give `.data`; Secrets give `.data` base64-decoded with `.stringData` overlaid,
//! as the API server would store a Secret manifest. Every value loses its `\n`s.

use super::{PostBuild, RefKind, Strategy, SubstituteError, Var, VarRef, Variables};
use base64::Engine as _;
use serde_json::Value;

/// The variable name rule of Flux (`varsubRegex`; `[:alpha:]` is ASCII-only in Go).
pub const VAR_NAME_PATTERN: &str = "^[_[:alpha:]][_[:alpha:][:digit:]]*$";

fn is_valid_var_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b == b'_' || b.is_ascii_alphabetic())
        && bytes.all(|b| b == b'_' || b.is_ascii_alphanumeric())
}

fn invalid(msg: impl Into<String>) -> SubstituteError {
    SubstituteError::InvalidPostBuild(msg.into())
}

impl PostBuild {
    /// Parses `spec.postBuild` of a whole Flux Kustomization object; `None` when absent or null
    /// (then Flux skips substitution entirely).
    pub fn from_kustomization(ks: &Value) -> Result<Option<PostBuild>, SubstituteError> {
        match ks.pointer("/spec/postBuild") {
            None | Some(Value::Null) => Ok(None),
            Some(pb) => PostBuild::from_value(pb).map(Some),
        }
    }

    /// Parses the `postBuild` object itself.
    pub fn from_value(pb: &Value) -> Result<PostBuild, SubstituteError> {
        let Value::Object(pb) = pb else {
            return Err(invalid("postBuild must be a mapping"));
        };
        let mut out = PostBuild::default();
        match pb.get("substitute") {
            None | Some(Value::Null) => {}
            Some(Value::Object(m)) => {
                for (k, v) in m {
                    // The CRD types `substitute` as map[string]string; the API rejects others.
                    let Value::String(s) = v else {
                        return Err(invalid(format!(
                            "substitute.{k} must be a string (quote it), got {v}"
                        )));
                    };
                    out.substitute.insert(k.clone(), s.clone());
                }
            }
            Some(_) => return Err(invalid("substitute must be a mapping")),
        }
        match pb.get("substituteFrom") {
            None | Some(Value::Null) => {}
            Some(Value::Array(refs)) => {
                for (i, r) in refs.iter().enumerate() {
                    out.substitute_from.push(parse_ref(r, i)?);
                }
            }
            Some(_) => return Err(invalid("substituteFrom must be a list")),
        }
        out.strategy = match pb.get("substituteStrategy") {
            None | Some(Value::Null) => Strategy::WithVariables,
            Some(Value::String(s)) if s == "WithVariables" => Strategy::WithVariables,
            Some(Value::String(s)) if s == "Always" => Strategy::Always,
            Some(v) => {
                return Err(invalid(format!(
                    "substituteStrategy must be WithVariables or Always, got {v}"
                )));
            }
        };
        Ok(out)
    }
}

fn parse_ref(r: &Value, i: usize) -> Result<VarRef, SubstituteError> {
    let kind = match r.get("kind").and_then(Value::as_str) {
        Some("ConfigMap") => RefKind::ConfigMap,
        Some("Secret") => RefKind::Secret,
        other => {
            return Err(invalid(format!(
                "substituteFrom[{i}].kind must be ConfigMap or Secret, got {other:?}"
            )));
        }
    };
    let name = match r.get("name").and_then(Value::as_str) {
        Some(n) if !n.is_empty() => n.to_string(),
        _ => return Err(invalid(format!("substituteFrom[{i}].name is required"))),
    };
    let optional = match r.get("optional") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(v) => {
            return Err(invalid(format!(
                "substituteFrom[{i}].optional must be a boolean, got {v}"
            )));
        }
    };
    Ok(VarRef {
        kind,
        name,
        optional,
    })
}

/// Loads the variables of `pb`. `lookup(kind, name)` returns the object from the
/// Kustomization's namespace, or `None` when it does not exist.
///
/// Every name is validated against [`VAR_NAME_PATTERN`], even unused ones, as Flux does
/// (Flux reports it per substituted object; here the error names the key and its source).
pub fn load_variables(
    pb: &PostBuild,
    lookup: &dyn Fn(&RefKind, &str) -> Option<Value>,
) -> Result<Variables, SubstituteError> {
    let mut vars = Variables::new();
    let mut add = |key: &str, value: &str, from_secret: bool, origin: &dyn Fn() -> String| {
        if !is_valid_var_name(key) {
            return Err(SubstituteError::InvalidVarName {
                key: key.to_string(),
                origin: origin(),
            });
        }
        let value = value.replace('\n', "");
        vars.insert(key.to_string(), Var { value, from_secret });
        Ok(())
    };
    for r in &pb.substitute_from {
        let Some(obj) = lookup(&r.kind, &r.name) else {
            if r.optional {
                continue;
            }
            return Err(SubstituteError::RefNotFound {
                kind: r.kind,
                name: r.name.clone(),
            });
        };
        let origin = || format!("{}/{}", r.kind, r.name);
        let data = match r.kind {
            RefKind::ConfigMap => string_map(&obj, "data", r)?,
            RefKind::Secret => secret_data(&obj, r)?,
        };
        for (k, v) in &data {
            add(k, v, r.kind == RefKind::Secret, &origin)?;
        }
    }
    for (k, v) in &pb.substitute {
        add(k, v, false, &|| "spec.postBuild.substitute".to_string())?;
    }
    Ok(vars)
}

fn bad_data(r: &VarRef, message: String) -> SubstituteError {
    SubstituteError::InvalidRefData {
        kind: r.kind,
        name: r.name.clone(),
        message,
    }
}

/// A `map[string]string` field (`data`, `stringData`); absent or null is empty.
fn string_map(
    obj: &Value,
    field: &str,
    r: &VarRef,
) -> Result<Vec<(String, String)>, SubstituteError> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), s.clone())),
                // The API server rejects non-string values in these maps.
                other => Err(bad_data(
                    r,
                    format!("{field}.{k} must be a string, got {other}"),
                )),
            })
            .collect(),
        Some(_) => Err(bad_data(r, format!("{field} must be a mapping"))),
    }
}

/// Secret `.data` (base64) decoded, then `.stringData` on top, as the API server stores it.
fn secret_data(obj: &Value, r: &VarRef) -> Result<Vec<(String, String)>, SubstituteError> {
    let mut out: indexmap::IndexMap<String, String> = indexmap::IndexMap::new();
    for (k, v) in string_map(obj, "data", r)? {
        // Go's base64 decoder skips line breaks inside the text.
        let compact: String = v.chars().filter(|c| *c != '\n' && *c != '\r').collect();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(compact)
            .map_err(|e| bad_data(r, format!("data.{k} is not valid base64: {e}")))?;
        out.insert(k, String::from_utf8_lossy(&bytes).into_owned());
    }
    for (k, v) in string_map(obj, "stringData", r)? {
        out.insert(k, v);
    }
    Ok(out.into_iter().collect())
}
