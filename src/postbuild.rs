//! The postBuild stage of one Kustomization: load its variables, substitute every object, and
//! record which variables were defined and used (for the plan checks and secret redaction).

use crate::flux::Kustomization;
use crate::model::{Diagnostic, ObjectKey, SecretValue, VarOrigin, VarsSeen};
use crate::substitute::{self, PostBuild, RefKind, Variables};
use indexmap::IndexMap;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::sync::Arc;

/// Finds a `substituteFrom` object in the Kustomization's namespace.
pub type VarLookup = Arc<dyn Fn(&RefKind, &str) -> Option<Value> + Send + Sync>;

/// What substitution saw (variables available and referenced), and secret values used.
#[derive(Clone, Debug, Default)]
pub struct VarsReport {
    pub seen: VarsSeen,
    /// Plain values of variables that came from Secrets, with the Secret and key (kept for
    /// redaction, never printed).
    pub secret_values: Vec<SecretValue>,
    /// Things fluxsim could not know offline, reported on the Kustomization.
    pub warnings: Vec<Diagnostic>,
    /// Keys that would open substituteFrom objects that stayed encrypted.
    pub needs_key: Vec<String>,
}

/// Why the postBuild stage failed. Loading the variables fails inside Flux's per-object step,
/// so its message names the first object, as Flux's does.
#[derive(Debug, thiserror::Error)]
pub enum SubstituteError {
    #[error("post build failed for '{object}': {source}")]
    Variables {
        object: String,
        #[source]
        source: substitute::SubstituteError,
    },
    #[error(transparent)]
    Object(#[from] substitute::SubstituteError),
}

/// Who could decrypt a substituteFrom object that stayed encrypted.
fn raw_lookup(r: &substitute::VarRef, lookup: &VarLookup) -> Option<String> {
    lookup(&r.kind, &r.name).and_then(|o| crate::taint::no_key(&o).map(str::to_string))
}

/// The `substituteFrom` references of a Kustomization (empty without postBuild).
pub fn references(ks: &Kustomization) -> Vec<substitute::VarRef> {
    match PostBuild::from_kustomization(&ks.object) {
        Ok(Some(pb)) => pb.substitute_from,
        _ => Vec::new(),
    }
}

/// Substitutes every object of a build in place, as kustomize-controller does.
pub fn substitute_all(
    objects: &mut [Value],
    ks: &Kustomization,
    lookup: &VarLookup,
    strict: bool,
) -> Result<VarsReport, SubstituteError> {
    let Some(mut pb) = PostBuild::from_kustomization(&ks.object)? else {
        return Ok(VarsReport::default());
    };
    // An object that could not be decrypted holds placeholders, not its values: its variables
    // are unknown, as if it were missing, and the reader cannot be checked.
    let raw = lookup.clone();
    let known: VarLookup = std::sync::Arc::new(move |kind: &RefKind, name: &str| {
        raw(kind, name).filter(|o| crate::taint::no_key(o).is_none())
    });
    let sources = check_sources(&mut pb, ks, lookup, &known);
    let lookup = &known;
    let mut vars =
        substitute::load_variables(&pb, &|kind, name| lookup(kind, name)).map_err(|source| {
            SubstituteError::Variables {
                object: objects
                    .first()
                    .map(substitute::object_id)
                    .unwrap_or_default(),
                source,
            }
        })?;
    pass_on_secret_marks(&pb, &mut vars, lookup);
    if sources.unknown {
        keep_unknown_variables(objects, &mut vars);
    }
    let mut report = VarsReport {
        warnings: sources.warnings,
        needs_key: sources.needs_key,
        seen: VarsSeen {
            defined: origins(&pb, &vars, lookup, &ks.id.namespace),
            ..Default::default()
        },
        secret_values: secret_values(&pb, &vars, lookup, ks),
    };
    for obj in objects
        .iter()
        .filter(|o| !substitute::is_substitution_disabled(o))
    {
        collect(obj, &mut report.seen.used, false);
        collect(obj, &mut report.seen.used_bare, true);
    }
    if !substitute::should_substitute(&pb, &vars) {
        return Ok(report);
    }
    report.seen.substituted = true;
    let secret_texts: Vec<String> = report
        .secret_values
        .iter()
        .map(|v| v.value.clone())
        .collect();
    for obj in objects.iter_mut() {
        let mut done = substitute::substitute_object(obj, &vars, strict)?;
        if !secret_texts.is_empty() {
            let marks = crate::taint::changed_paths(obj, &done, &secret_texts);
            crate::taint::mark(&mut done, &marks);
        }
        *obj = done;
    }
    Ok(report)
}

/// What the `substituteFrom` references turned out to be.
struct SourceCheck {
    warnings: Vec<Diagnostic>,
    needs_key: Vec<String>,
    /// Some reference could not be read: variables only it defines are unknown.
    unknown: bool,
}

/// A reference rendered by no Kustomization may still exist in the cluster (created by a
/// bootstrap script or at run time); Flux would read it, we cannot. Such references, and
/// those that could not be decrypted, are reported and made optional, so the rest renders.
fn check_sources(
    pb: &mut PostBuild,
    ks: &Kustomization,
    raw: &VarLookup,
    known: &VarLookup,
) -> SourceCheck {
    let mut check = SourceCheck {
        warnings: Vec::new(),
        needs_key: Vec::new(),
        unknown: false,
    };
    for r in pb.substitute_from.iter_mut() {
        let object = ObjectKey::new("", &r.kind.to_string(), &ks.id.namespace, &r.name);
        if let Some(needs) = raw_lookup(r, raw) {
            let message = format!(
                "needs key {needs}: substituteFrom {} {}/{} could not be decrypted; variables only it defines are left as ${{VAR}}",
                r.kind, ks.id.namespace, r.name
            );
            check
                .warnings
                .push(Diagnostic::warning(message).about(object));
            check.needs_key.push(needs);
            r.optional = true;
            check.unknown = true;
            continue;
        }
        if !r.optional && known(&r.kind, &r.name).is_none() {
            let message = format!(
                "substituteFrom {} {}/{} is not rendered by any Kustomization (created outside the repository?); \
                 variables only it defines are left unsubstituted",
                r.kind, ks.id.namespace, r.name
            );
            check
                .warnings
                .push(Diagnostic::warning(message).about(object));
            r.optional = true;
            check.unknown = true;
        }
    }
    check
}

/// A ConfigMap field that received a secret (it carries a taint mark) passes the secret on.
fn pass_on_secret_marks(pb: &PostBuild, vars: &mut Variables, lookup: &VarLookup) {
    for r in &pb.substitute_from {
        if r.kind != RefKind::ConfigMap {
            continue;
        }
        let Some(obj) = lookup(&r.kind, &r.name) else {
            continue;
        };
        for p in crate::taint::paths(&obj) {
            if let Some(key) = p.strip_prefix("/data/")
                && let Some(var) = vars.get_mut(&key.replace("~1", "/").replace("~0", "~"))
            {
                var.from_secret = true;
            }
        }
    }
}

/// Variables a source that could not be read may define stay as `${VAR}` (not "", not an
/// error): bare uses get themselves as value.
fn keep_unknown_variables(objects: &[Value], vars: &mut Variables) {
    let mut bare = BTreeSet::new();
    objects.iter().for_each(|o| collect(o, &mut bare, true));
    bare.retain(|n| !vars.contains_key(n));
    for name in bare {
        let value = format!("${{{name}}}");
        vars.insert(
            name,
            substitute::Var {
                value,
                from_secret: false,
            },
        );
    }
}

/// The values of the variables that came from Secrets, each bound to the object and key it was
/// read from (so its token is the one that Secret's key shows).
fn secret_values(
    pb: &PostBuild,
    vars: &Variables,
    lookup: &VarLookup,
    ks: &Kustomization,
) -> Vec<SecretValue> {
    let from = defined_in(pb, lookup, &ks.id.namespace);
    vars.iter()
        .filter(|(_, v)| v.from_secret && !v.value.is_empty())
        .map(|(name, v)| {
            let origin = from.get(name).cloned().unwrap_or_else(|| {
                let (ns, ks_name) = (&ks.id.namespace, &ks.id.name);
                SecretValue::object_origin("Kustomization", ns, ks_name, name)
            });
            SecretValue::new(origin, v.value.clone())
        })
        .collect()
}

/// For each variable a `substituteFrom` object defines, the redaction origin of its value (the
/// last object defining it, as for [`origins`]).
fn defined_in(
    pb: &PostBuild,
    lookup: &VarLookup,
    namespace: &str,
) -> std::collections::HashMap<String, String> {
    let mut out = std::collections::HashMap::new();
    for r in &pb.substitute_from {
        let Some(obj) = lookup(&r.kind, &r.name) else {
            continue;
        };
        for field in ["data", "stringData"] {
            let keys = obj
                .get(field)
                .and_then(Value::as_object)
                .into_iter()
                .flatten();
            for (k, _) in keys {
                let kind = r.kind.to_string();
                out.insert(
                    k.clone(),
                    SecretValue::object_origin(&kind, namespace, &r.name, k),
                );
            }
        }
    }
    out
}

/// Where each variable's final value came from: the last `substituteFrom` object defining it,
/// or `inline` (which wins).
fn origins(
    pb: &PostBuild,
    vars: &Variables,
    lookup: &VarLookup,
    namespace: &str,
) -> IndexMap<String, VarOrigin> {
    let mut source_of: std::collections::HashMap<String, String> = Default::default();
    for r in &pb.substitute_from {
        let Some(obj) = lookup(&r.kind, &r.name) else {
            continue;
        };
        for field in ["data", "stringData"] {
            for k in obj
                .get(field)
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .map(|(k, _)| k)
            {
                source_of.insert(k.clone(), format!("{} {namespace}/{}", r.kind, r.name));
            }
        }
    }
    let mut out = IndexMap::new();
    for (name, var) in vars {
        let source = if pb.substitute.contains_key(name) {
            "inline".to_string()
        } else {
            source_of
                .get(name)
                .cloned()
                .unwrap_or_else(|| "unknown".to_string())
        };
        let digest = run_digest(&var.value);
        out.insert(name.clone(), VarOrigin { source, digest });
    }
    out
}

/// A short digest to compare values within one run without revealing them: keyed with a random
/// per-process key, so it cannot be used to test guesses of a (secret) value.
fn run_digest(value: &str) -> String {
    static KEY: std::sync::OnceLock<[u8; 32]> = std::sync::OnceLock::new();
    let key = KEY.get_or_init(|| {
        let mut k = [0u8; 32];
        let _ = getrandom::fill(&mut k);
        k
    });
    let mut h = Sha256::new();
    h.update(key);
    h.update(value.as_bytes());
    hex::encode(&h.finalize()[..6])
}

/// `${NAME...}` references in string scalars and keys (`$${...}` escapes excluded); with
/// `bare_only`, only plain `${NAME}` (no default or operation).
fn collect(v: &Value, used: &mut BTreeSet<String>, bare_only: bool) {
    match v {
        Value::String(s) => scan(s, used, bare_only),
        Value::Array(a) => a.iter().for_each(|x| collect(x, used, bare_only)),
        Value::Object(m) => {
            for (k, x) in m {
                scan(k, used, bare_only);
                collect(x, used, bare_only);
            }
        }
        _ => {}
    }
}

fn scan(s: &str, used: &mut BTreeSet<String>, bare_only: bool) {
    let b = s.as_bytes();
    let mut i = 0;
    while i + 1 < b.len() {
        if b[i] == b'$' && b[i + 1] == b'$' {
            i += 2;
            continue;
        }
        if b[i] == b'$' && b[i + 1] == b'{' {
            let start = i + 2;
            let mut end = start;
            while end < b.len() && (b[end] == b'_' || b[end].is_ascii_alphanumeric()) {
                end += 1;
            }
            let closed = b.get(end) == Some(&b'}');
            if end > start && !b[start].is_ascii_digit() && (closed || !bare_only) {
                used.insert(s[start..end].to_string());
            }
            i = end;
            continue;
        }
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_used_variables() {
        let mut used = BTreeSet::new();
        scan("a ${A} $${B} ${C:=x} ${D:-${E}} $F ${1}", &mut used, false);
        assert_eq!(
            used.into_iter().collect::<Vec<_>>(),
            vec!["A", "C", "D", "E"]
        );
        let mut bare = BTreeSet::new();
        scan("a ${A} $${B} ${C:=x} ${D:-${E}} $F ${1}", &mut bare, true);
        assert_eq!(bare.into_iter().collect::<Vec<_>>(), vec!["A", "E"]);
    }
}
