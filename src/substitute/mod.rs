//! Flux postBuild variable substitution (kustomize-controller, fluxcd/pkg/kustomize
//! `kustomize_varsub.go` + fluxcd/pkg/envsubst).
//!
//! Use: `PostBuild::from_kustomization` → `load_variables` → if `should_substitute`, call
//! `substitute_object` on every built (and decrypted) object. Each object is re-serialized
//! the way Flux does it, passed through envsubst and read back with go-yaml v2 typing, so
//! `replicas: ${n}` becomes a number and `yes` a boolean, exactly as in the cluster.

mod canonical;
mod envsubst;
mod vars;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_vars;

pub use envsubst::{EnvsubstError, envsubst};
pub use vars::{VAR_NAME_PATTERN, load_variables};

use serde_json::Value;

/// One variable value and where it came from (for later secret redaction).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Var {
    pub value: String,
    pub from_secret: bool,
}

/// All variables of one Kustomization, in load order.
pub type Variables = indexmap::IndexMap<String, Var>;

/// The kind of a `substituteFrom` reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefKind {
    ConfigMap,
    Secret,
}

impl RefKind {
    /// The API resource name used in Kubernetes "not found" errors.
    pub fn plural(self) -> &'static str {
        match self {
            RefKind::ConfigMap => "configmaps",
            RefKind::Secret => "secrets",
        }
    }
}

impl std::fmt::Display for RefKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RefKind::ConfigMap => "ConfigMap",
            RefKind::Secret => "Secret",
        })
    }
}

/// One `spec.postBuild.substituteFrom[]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VarRef {
    pub kind: RefKind,
    pub name: String,
    pub optional: bool,
}

/// `spec.postBuild.substituteStrategy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Strategy {
    /// Substitute only when at least one variable exists (the default).
    #[default]
    WithVariables,
    /// Always substitute, so `$$` and `${x:=d}` are processed even without variables.
    Always,
}

/// The parsed `spec.postBuild` of a Flux Kustomization.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PostBuild {
    pub substitute: indexmap::IndexMap<String, String>,
    pub substitute_from: Vec<VarRef>,
    pub strategy: Strategy,
}

/// A substitution failure; messages follow kustomize-controller's.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SubstituteError {
    #[error("post build failed for '{id}': envsubst error: variable substitution failed: {error}")]
    Envsubst { id: String, error: EnvsubstError },
    #[error("post build failed for '{id}': envsubst error: YAMLToJSON: {message}")]
    Yaml { id: String, message: String },
    #[error("post build failed for '{id}': UnmarshalJSON: {message}")]
    NotAnObject { id: String, message: String },
    #[error(
        "'{key}' var name is invalid, must match '{VAR_NAME_PATTERN}' (variable from {origin})"
    )]
    InvalidVarName { key: String, origin: String },
    #[error("substitute from '{kind}/{name}' error: {} \"{name}\" not found", kind.plural())]
    RefNotFound { kind: RefKind, name: String },
    #[error("substitute from '{kind}/{name}' error: {message}")]
    InvalidRefData {
        kind: RefKind,
        name: String,
        message: String,
    },
    #[error("invalid spec.postBuild: {0}")]
    InvalidPostBuild(String),
}

/// Whether substitution runs at all: some variable exists or the strategy is `Always`.
pub fn should_substitute(pb: &PostBuild, vars: &Variables) -> bool {
    !vars.is_empty() || pb.strategy == Strategy::Always
}

const OPT_OUT_KEY: &str = "kustomize.toolkit.fluxcd.io/substitute";

/// Objects labelled or annotated `kustomize.toolkit.fluxcd.io/substitute: disabled` are skipped.
pub fn is_substitution_disabled(obj: &Value) -> bool {
    ["labels", "annotations"].iter().any(|field| {
        obj.pointer(&format!("/metadata/{field}"))
            .and_then(|m| m.get(OPT_OUT_KEY))
            .and_then(Value::as_str)
            == Some("disabled")
    })
}

/// kustomize's `Kind.version.group/name` (`[noGrp]` for the core group), as in Flux errors.
pub fn object_id(obj: &Value) -> String {
    let text = |ptr: &str| obj.pointer(ptr).and_then(Value::as_str).unwrap_or_default();
    let api_version = text("/apiVersion");
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    let or = |s: &str, d: &str| {
        if s.is_empty() {
            d.to_string()
        } else {
            s.to_string()
        }
    };
    format!(
        "{}.{}.{}/{}",
        or(text("/kind"), "[noKind]"),
        or(version, "[noVer]"),
        or(group, "[noGrp]"),
        text("/metadata/name")
    )
}

fn contains_dollar(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains('$'),
        Value::Array(a) => a.iter().any(contains_dollar),
        Value::Object(m) => m.iter().any(|(k, v)| k.contains('$') || contains_dollar(v)),
        _ => false,
    }
}

/// Substitutes one object exactly as Flux does; `strict` is Flux's strict mode.
///
/// The caller decides whether substitution runs at all (`should_substitute`). Opted-out
/// objects, and objects without any `$` in a string or key (envsubst would be the identity),
/// are returned unchanged; otherwise the result has go-yaml's key order and every number is
/// normalized as Go's JSON decoding does (integral values as integers).
pub fn substitute_object(
    obj: &Value,
    vars: &Variables,
    strict: bool,
) -> Result<Value, SubstituteError> {
    if is_substitution_disabled(obj) || !contains_dollar(obj) {
        return Ok(obj.clone());
    }
    let id = || object_id(obj);
    let text = canonical::to_yaml(obj);
    let lookup = |name: &str| vars.get(name).map(|v| v.value.clone());
    let out = envsubst::envsubst_bytes(&text, &lookup, strict)
        .map_err(|error| SubstituteError::Envsubst { id: id(), error })?;
    // Byte-offset operations (`${v:1}`, trims) can split a character; libyaml rejects that.
    let out = String::from_utf8(out).map_err(|_| SubstituteError::Yaml {
        id: id(),
        message: "yaml: invalid leading UTF-8 octet".into(),
    })?;
    let value = canonical::from_yaml(&out)
        .map_err(|message| SubstituteError::Yaml { id: id(), message })?;
    let json_kind = match &value {
        Value::Object(_) => return Ok(canonical::sort_value(value)),
        // `json.Unmarshal("null", &map)` leaves an empty map.
        Value::Null => return Ok(Value::Object(serde_json::Map::new())),
        Value::Array(_) => "array",
        Value::String(_) => "string",
        Value::Number(_) => "number",
        Value::Bool(_) => "bool",
    };
    Err(SubstituteError::NotAnObject {
        id: id(),
        message: format!(
            "json: cannot unmarshal {json_kind} into Go value of type map[string]interface {{}}"
        ),
    })
}

/// Runs postBuild substitution over a whole build: a no-op unless `should_substitute`.
pub fn substitute_all(
    objects: &[Value],
    pb: &PostBuild,
    vars: &Variables,
    strict: bool,
) -> Result<Vec<Value>, SubstituteError> {
    if !should_substitute(pb, vars) {
        return Ok(objects.to_vec());
    }
    objects
        .iter()
        .map(|o| substitute_object(o, vars, strict))
        .collect()
}
