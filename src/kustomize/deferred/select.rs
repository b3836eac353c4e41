//! Which objects a patch `target` selects, evaluated as kustomize's `resWrangler.Select` does.
//!
//! kustomize (api/types/selector.go, api/resmap/reswrangler.go) compiles group, version, kind,
//! name and namespace as regular expressions anchored with `^(?:…)$`, matches name and namespace
//! against the original or the current id, and parses label/annotation selectors with
//! apimachinery's `labels.Parse`. Patterns are accepted only in the character subset where Go's
//! RE2 and Rust's `regex` agree; selectors only in the common requirement forms. Anything else
//! is refused, and the build falls back to kustomize.

use super::DeferError;
use crate::object;
use regex::Regex;
use serde_json::{Map, Value};

/// A parsed `target`.
#[derive(Debug, Clone)]
pub struct Target {
    pub group: Option<Pattern>,
    pub version: Option<Pattern>,
    pub kind: Option<Pattern>,
    pub name: Option<Pattern>,
    pub namespace: Option<Pattern>,
    pub labels: Option<Selector>,
    pub annotations: Option<Selector>,
}

/// An anchored pattern and its source text.
#[derive(Debug, Clone)]
pub struct Pattern {
    pub text: String,
    regex: Regex,
}

impl Pattern {
    fn parse(text: &str) -> Result<Pattern, DeferError> {
        let allowed = |c: char| c.is_ascii_alphanumeric() || "._-/|()*+?[]^$".contains(c);
        if !text.chars().all(allowed) {
            return Err(unsupported(format!("target pattern {text:?}")));
        }
        let regex = Regex::new(&format!("^(?:{text})$"))
            .map_err(|_| unsupported(format!("target pattern {text:?}")))?;
        Ok(Pattern {
            text: text.to_string(),
            regex,
        })
    }

    pub fn matches(&self, s: &str) -> bool {
        self.regex.is_match(s)
    }

    /// The pattern matches exactly its own text (no regex syntax in it).
    pub fn literal(&self) -> Option<&str> {
        self.text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            .then_some(self.text.as_str())
    }
}

fn unsupported(what: String) -> DeferError {
    DeferError::Unsupported(what)
}

impl Target {
    /// Parses a kustomize `target` mapping (empty values are absent, as Go's zero values are).
    pub fn parse(map: &Map<String, Value>) -> Result<Target, DeferError> {
        let mut target = Target {
            group: None,
            version: None,
            kind: None,
            name: None,
            namespace: None,
            labels: None,
            annotations: None,
        };
        for (key, value) in map {
            let Some(text) = value.as_str() else {
                return Err(unsupported(format!("target field {key} is not a string")));
            };
            if text.is_empty() {
                continue;
            }
            match key.as_str() {
                "group" => target.group = Some(Pattern::parse(text)?),
                "version" => target.version = Some(Pattern::parse(text)?),
                "kind" => target.kind = Some(Pattern::parse(text)?),
                "name" => target.name = Some(Pattern::parse(text)?),
                "namespace" => target.namespace = Some(Pattern::parse(text)?),
                "labelSelector" => target.labels = Some(Selector::parse(text)?),
                "annotationSelector" => target.annotations = Some(Selector::parse(text)?),
                other => return Err(unsupported(format!("target field {other}"))),
            }
        }
        Ok(target)
    }

    /// Whether `obj` (as it is now) is selected, given that its name and namespace now are
    /// what kustomize would have seen when the patch ran (the caller guarantees that).
    pub fn matches(&self, obj: &Value) -> Result<bool, DeferError> {
        let (group, version) = split_api_version(object::api_version(obj));
        let ok = |p: &Option<Pattern>, s: &str| p.as_ref().is_none_or(|p| p.matches(s));
        if !(ok(&self.namespace, &effective_namespace(obj))
            && ok(&self.name, object::name(obj))
            && ok(&self.group, group)
            && ok(&self.version, version)
            && ok(&self.kind, object::kind(obj)))
        {
            return Ok(false);
        }
        for (selector, field) in [(&self.labels, "labels"), (&self.annotations, "annotations")] {
            if let Some(selector) = selector
                && !selector.matches(&string_map(obj, field)?)
            {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

/// `apps/v1` → (`apps`, `v1`); `v1` → (``, `v1`).
pub fn split_api_version(api_version: &str) -> (&str, &str) {
    api_version.split_once('/').unwrap_or(("", api_version))
}

/// `ResId.EffectiveNamespace` for a kind kustomize knows nothing of (namespaced, `default`).
pub fn effective_namespace(obj: &Value) -> String {
    match obj.pointer("/metadata/namespace").and_then(Value::as_str) {
        Some(ns) if !ns.is_empty() => ns.to_string(),
        _ => "default".to_string(),
    }
}

/// `metadata.labels` or `metadata.annotations` as strings (kustomize's `map[string]string`).
fn string_map(obj: &Value, field: &str) -> Result<Vec<(String, String)>, DeferError> {
    let Some(map) = obj.pointer(&format!("/metadata/{field}")) else {
        return Ok(Vec::new());
    };
    let Some(map) = map.as_object() else {
        return Err(unsupported(format!("metadata.{field} is not a mapping")));
    };
    map.iter()
        .map(|(k, v)| match v.as_str() {
            Some(s) => Ok((k.clone(), s.to_string())),
            None => Err(unsupported(format!("metadata.{field}.{k} is not a string"))),
        })
        .collect()
}

/// A label selector: requirements that must all hold.
#[derive(Debug, Clone)]
pub struct Selector {
    pub requirements: Vec<Requirement>,
}

#[derive(Debug, Clone)]
pub struct Requirement {
    pub key: String,
    pub op: Op,
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

impl Selector {
    /// Parses `a=b,c!=d,e in (x,y),f notin (z),g,!h` (apimachinery `labels.Parse`).
    pub fn parse(text: &str) -> Result<Selector, DeferError> {
        let bad = || unsupported(format!("selector {text:?}"));
        let mut requirements = Vec::new();
        for part in split_top_level(text).ok_or_else(bad)? {
            let part = part.trim();
            let req = if let Some(key) = part.strip_prefix('!') {
                requirement(key.trim(), Op::DoesNotExist, Vec::new())
            } else if let Some((key, value)) = part.split_once("!=") {
                requirement(key.trim(), Op::NotIn, vec![value.trim().to_string()])
            } else if let Some((key, value)) = part.split_once("==").or(part.split_once('=')) {
                requirement(key.trim(), Op::In, vec![value.trim().to_string()])
            } else if let Some((key, rest)) = split_word(part, "notin") {
                requirement(key, Op::NotIn, set_values(rest).ok_or_else(bad)?)
            } else if let Some((key, rest)) = split_word(part, "in") {
                requirement(key, Op::In, set_values(rest).ok_or_else(bad)?)
            } else {
                requirement(part, Op::Exists, Vec::new())
            };
            requirements.push(req.ok_or_else(bad)?);
        }
        Ok(Selector { requirements })
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.requirements.iter().map(|r| r.key.as_str())
    }

    fn matches(&self, set: &[(String, String)]) -> bool {
        self.requirements.iter().all(|r| {
            let value = set.iter().find(|(k, _)| *k == r.key).map(|(_, v)| v);
            match r.op {
                Op::Exists => value.is_some(),
                Op::DoesNotExist => value.is_none(),
                Op::In => value.is_some_and(|v| r.values.contains(v)),
                Op::NotIn => value.is_none_or(|v| !r.values.contains(v)),
            }
        })
    }
}

/// Splits on commas outside parentheses; `None` for unbalanced parentheses or an empty text.
fn split_top_level(text: &str) -> Option<Vec<&str>> {
    let (mut depth, mut start, mut parts) = (0i32, 0, Vec::new());
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        if depth < 0 {
            return None;
        }
    }
    parts.push(&text[start..]);
    (depth == 0 && !text.trim().is_empty()).then_some(parts)
}

/// `key in (…)`: the key and the rest after the operator word.
fn split_word<'t>(part: &'t str, word: &str) -> Option<(&'t str, &'t str)> {
    let (key, rest) = part.split_once(char::is_whitespace)?;
    let rest = rest.trim_start().strip_prefix(word)?;
    rest.trim_start()
        .starts_with('(')
        .then_some((key, rest.trim_start()))
}

fn set_values(rest: &str) -> Option<Vec<String>> {
    let inner = rest.strip_prefix('(')?.strip_suffix(')')?;
    let values: Vec<String> = inner.split(',').map(|v| v.trim().to_string()).collect();
    values.iter().all(|v| is_label_value(v)).then_some(values)
}

fn requirement(key: &str, op: Op, values: Vec<String>) -> Option<Requirement> {
    (is_label_key(key) && values.iter().all(|v| is_label_value(v))).then(|| Requirement {
        key: key.to_string(),
        op,
        values,
    })
}

/// A qualified name: an optional DNS-subdomain prefix and `/`, then a name of 1–63 characters.
fn is_label_key(key: &str) -> bool {
    let (prefix, name) = match key.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    let prefix_ok = prefix.is_none_or(|p| {
        !p.is_empty()
            && p.len() <= 253
            && p.split('.').all(|l| {
                !l.is_empty()
                    && l.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                    && !l.starts_with('-')
                    && !l.ends_with('-')
            })
    });
    prefix_ok && !name.is_empty() && is_label_value(name)
}

/// Empty, or 1–63 alphanumerics with `-`, `_`, `.` inside.
fn is_label_value(v: &str) -> bool {
    let inner_ok = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.';
    v.is_empty()
        || (v.len() <= 63
            && v.bytes().all(inner_ok)
            && v.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
            && v.bytes().last().is_some_and(|b| b.is_ascii_alphanumeric()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn target(v: Value) -> Target {
        Target::parse(v.as_object().unwrap()).unwrap()
    }

    #[test]
    fn patterns_are_anchored_regexes() {
        let hr = json!({"apiVersion":"helm.toolkit.fluxcd.io/v2","kind":"HelmRelease",
            "metadata":{"name":"app-a","labels":{"tier":"web"}}});
        assert!(
            target(json!({"group":"helm.toolkit.fluxcd.io","kind":"HelmRelease"}))
                .matches(&hr)
                .unwrap()
        );
        assert!(
            target(json!({"name":"app-.*","namespace":"default"}))
                .matches(&hr)
                .unwrap()
        );
        assert!(!target(json!({"name":"app"})).matches(&hr).unwrap());
        assert!(!target(json!({"kind":"Helm"})).matches(&hr).unwrap());
        assert!(
            target(json!({"labelSelector":"tier in (web, db),!x"}))
                .matches(&hr)
                .unwrap()
        );
        assert!(
            !target(json!({"labelSelector":"tier!=web"}))
                .matches(&hr)
                .unwrap()
        );
        assert!(
            target(json!({"labelSelector":"tier=web,other notin (a)"}))
                .matches(&hr)
                .unwrap()
        );
    }

    #[test]
    fn refuses_what_it_cannot_evaluate_alike() {
        for t in [
            json!({"name":"a\\d"}),
            json!({"name":"a{2}"}),
            json!({"labelSelector":"a>1"}),
            json!({"labelSelector":"a in b"}),
            json!({"labelSelector":"(a"}),
            json!({"other":"x"}),
        ] {
            assert!(Target::parse(t.as_object().unwrap()).is_err(), "{t}");
        }
    }
}
