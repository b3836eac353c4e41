//! The input sets of a ResourceSet: inline `spec.inputs`, `ResourceSetInputProvider`s from
//! `spec.inputsFrom` (by name or label selector), combined by `spec.inputStrategy`.
//!
//! Rules, from controlplaneio-fluxcd/flux-operator: `internal/inputs/combine.go` (the ResourceSet
//! first, then providers sorted by key; `Flatten` or `Permute`), `flattener.go` (concatenation),
//! `permuter.go` (cartesian product, each set under the provider's normalized name, empty
//! providers skipped unless `includeEmptyProviders`, at most 10000 permutations, the
//! permutation `id` is the Adler-32 of `name=index/…`), `provider.go` (every set gets
//! `provider: {apiVersion, kind, name, namespace}`), `id.go` (ids are decimal Adler-32 sums),
//! and docs/api/v1/resourceset.md ("Built-in input fields", "Input strategy") and
//! resourcesetinputprovider.md (`Static` exports `spec.defaultValues` plus `id`, the Adler-32
//! of the provider's UID).

use serde_json::{Map, Value};

use super::template::funcs::adler32;
use crate::object;

pub const API_VERSION: &str = "fluxcd.controlplane.io/v1";
const MAX_PERMUTATIONS: u64 = 10_000;

/// One `spec.inputsFrom` entry: a provider by name, or those matching a label selector, in the
/// ResourceSet's namespace.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderRef {
    pub namespace: String,
    pub name: Option<String>,
    pub selector: Option<Value>,
}

impl ProviderRef {
    /// Whether a `ResourceSetInputProvider` object is selected by this reference.
    pub fn matches(&self, obj: &Value) -> bool {
        if object::kind(obj) != "ResourceSetInputProvider"
            || object::namespace(obj).unwrap_or("default") != self.namespace
        {
            return false;
        }
        if let Some(name) = &self.name {
            return object::name(obj) == name;
        }
        let labels = object::labels(obj).cloned().unwrap_or_default();
        self.selector
            .as_ref()
            .is_some_and(|s| selector_matches(s, &labels))
    }
}

/// A Kubernetes label selector (`matchLabels`, `matchExpressions` with In, NotIn, Exists,
/// DoesNotExist). An empty selector matches everything.
pub fn selector_matches(selector: &Value, labels: &Map<String, Value>) -> bool {
    let label = |k: &str| labels.get(k).and_then(Value::as_str);
    if let Some(Value::Object(m)) = selector.get("matchLabels")
        && m.iter().any(|(k, v)| label(k) != v.as_str())
    {
        return false;
    }
    let exprs = selector
        .get("matchExpressions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    exprs.iter().all(|e| {
        let key = e.get("key").and_then(Value::as_str).unwrap_or_default();
        let values: Vec<&str> = e
            .get("values")
            .and_then(Value::as_array)
            .map(|v| v.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        match e
            .get("operator")
            .and_then(Value::as_str)
            .unwrap_or_default()
        {
            "In" => label(key).is_some_and(|v| values.contains(&v)),
            "NotIn" => label(key).is_none_or(|v| !values.contains(&v)),
            "Exists" => label(key).is_some(),
            "DoesNotExist" => label(key).is_none(),
            _ => false,
        }
    })
}

/// A source of input sets: the ResourceSet itself or one provider.
#[derive(Debug, Clone)]
pub struct Provider {
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub sets: Vec<Map<String, Value>>,
}

/// The decimal Adler-32 checksum Flux Operator uses for ids.
pub fn id(s: &str) -> String {
    adler32(s.as_bytes()).to_string()
}

impl Provider {
    /// The inline inputs of a ResourceSet. A set's own `id` is kept (flux-operator's
    /// `combine_test.go` expects it); a set without one gets the Adler-32 of its JSON (sorted
    /// keys) — not confirmed in Flux Operator's source, which fluxsim could not read.
    pub fn inline(namespace: &str, name: &str, inputs: &[Value]) -> Result<Provider, InputsError> {
        let mut sets = Vec::new();
        for (i, v) in inputs.iter().enumerate() {
            let Value::Object(m) = v else {
                return Err(InputsError::NotAMap { index: i });
            };
            let mut m = m.clone();
            if !m.contains_key("id") {
                m.insert("id".into(), Value::String(id(&sorted_json(v))));
            }
            sets.push(m);
        }
        Ok(Provider {
            kind: "ResourceSet".into(),
            namespace: namespace.into(),
            name: name.into(),
            sets,
        })
    }

    /// A `Static` provider: one set, `spec.defaultValues` plus `id` (Adler-32 of the UID; the
    /// UID does not exist offline, so `metadata.uid` when present, else `namespace/name`).
    pub fn from_static(obj: &Value) -> Provider {
        let namespace = object::namespace(obj).unwrap_or("default").to_string();
        let name = object::name(obj).to_string();
        let mut set = obj
            .pointer("/spec/defaultValues")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let uid = obj
            .pointer("/metadata/uid")
            .and_then(Value::as_str)
            .map_or_else(|| format!("{namespace}/{name}"), str::to_string);
        set.insert("id".into(), Value::String(id(&uid)));
        Provider {
            kind: "ResourceSetInputProvider".into(),
            namespace,
            name,
            sets: vec![set],
        }
    }

    fn with_reference(&self) -> Vec<Map<String, Value>> {
        let reference = serde_json::json!({
            "apiVersion": API_VERSION,
            "kind": self.kind,
            "name": self.name,
            "namespace": self.namespace,
        });
        self.sets
            .iter()
            .map(|s| {
                let mut s = s.clone();
                s.insert("provider".into(), reference.clone());
                s
            })
            .collect()
    }
}

/// How input sets from several providers are combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    Flatten,
    Permute { include_empty: bool },
}

/// Why a ResourceSet's input sets cannot be made (Flux Operator's messages).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputsError {
    #[error("spec.inputs[{index}] is not a map")]
    NotAMap { index: usize },
    #[error(
        "failed to get inputs from {kind}/{provider}: adding provider '{provider}' with {inputs} inputs would exceed the maximum allowed permutations. max: {MAX_PERMUTATIONS}, got: {got}"
    )]
    TooManyPermutations {
        kind: String,
        provider: String,
        inputs: usize,
        got: u64,
    },
    #[error("normalized provider name is empty: '{provider}'")]
    EmptyName { provider: String },
}

/// Combines the ResourceSet's own provider (first) and the others (sorted by namespace/name).
pub fn combine(
    own: Provider,
    mut others: Vec<Provider>,
    strategy: Strategy,
) -> Result<Vec<Value>, InputsError> {
    others.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    let providers: Vec<Provider> = std::iter::once(own).chain(others).collect();
    match strategy {
        Strategy::Flatten => Ok(providers
            .iter()
            .flat_map(Provider::with_reference)
            .map(Value::Object)
            .collect()),
        Strategy::Permute { include_empty } => permute(&providers, include_empty),
    }
}

fn permute(providers: &[Provider], include_empty: bool) -> Result<Vec<Value>, InputsError> {
    let mut lists: Vec<(String, Vec<Map<String, Value>>)> = Vec::new();
    let mut expected: u64 = 0;
    for p in providers {
        if p.sets.is_empty() && !include_empty {
            continue;
        }
        expected = if lists.is_empty() {
            p.sets.len() as u64
        } else {
            expected * p.sets.len() as u64
        };
        if expected > MAX_PERMUTATIONS {
            return Err(InputsError::TooManyPermutations {
                kind: p.kind.clone(),
                provider: p.name.clone(),
                inputs: p.sets.len(),
                got: expected,
            });
        }
        let key = normalize_name(&p.name);
        if key.is_empty() {
            return Err(InputsError::EmptyName {
                provider: p.name.clone(),
            });
        }
        lists.push((key, p.with_reference()));
    }
    if lists.is_empty() || lists.iter().any(|(_, l)| l.is_empty()) {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    let mut idx = vec![0usize; lists.len()];
    loop {
        let mut perm = Map::new();
        let mut parts = Vec::new();
        for (p, &i) in idx.iter().enumerate() {
            let (key, sets) = &lists[p];
            perm.insert(key.clone(), Value::Object(sets[i].clone()));
            parts.push(format!("{key}={i}"));
        }
        perm.insert("id".into(), Value::String(id(&parts.join("/"))));
        out.push(Value::Object(perm));
        // Advance like nested loops, the last provider fastest.
        let mut p = lists.len();
        loop {
            if p == 0 {
                return Ok(out);
            }
            p -= 1;
            idx[p] += 1;
            if idx[p] < lists[p].1.len() {
                break;
            }
            idx[p] = 0;
        }
    }
}

/// `normalizeObjectName`: lower case, `-` to `_`, only `[a-z0-9_]`, empty words dropped.
pub fn normalize_name(name: &str) -> String {
    let kept: String = name
        .to_lowercase()
        .replace('-', "_")
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
        .collect();
    kept.split('_')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("_")
}

fn sorted_json(v: &Value) -> String {
    fn sort(v: &Value) -> Value {
        match v {
            Value::Object(m) => {
                let mut e: Vec<(&String, &Value)> = m.iter().collect();
                e.sort_by(|a, b| a.0.cmp(b.0));
                Value::Object(e.into_iter().map(|(k, v)| (k.clone(), sort(v))).collect())
            }
            Value::Array(a) => Value::Array(a.iter().map(sort).collect()),
            o => o.clone(),
        }
    }
    serde_json::to_string(&sort(v)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn own() -> Provider {
        Provider::inline(
            "default",
            "rset",
            &[json!({"id": id("foo")}), json!({"id": id("bar")})],
        )
        .unwrap()
    }

    fn rsip() -> Provider {
        Provider {
            kind: "ResourceSetInputProvider".into(),
            namespace: "default".into(),
            name: "rsip".into(),
            sets: vec![json!({"id": id("baz")}).as_object().unwrap().clone()],
        }
    }

    #[test]
    fn flatten_matches_flux_operator_combine_test() {
        let c = combine(own(), vec![rsip()], Strategy::Flatten).unwrap();
        let ids: Vec<&str> = c.iter().map(|s| s["id"].as_str().unwrap()).collect();
        assert_eq!(ids, vec!["42074437", "39649590", "40173886"]);
        assert_eq!(c[2]["provider"]["kind"], "ResourceSetInputProvider");
        assert_eq!(
            c[0]["provider"],
            json!({"apiVersion": API_VERSION, "kind": "ResourceSet", "name": "rset", "namespace": "default"})
        );
    }

    #[test]
    fn permute_matches_flux_operator_combine_test() {
        let c = combine(
            own(),
            vec![rsip()],
            Strategy::Permute {
                include_empty: false,
            },
        )
        .unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(c[0]["id"], "563152006");
        assert_eq!(c[1]["id"], "563676295");
        assert_eq!(c[0]["rset"]["id"], "42074437");
        assert_eq!(c[1]["rsip"]["id"], "40173886");
    }

    #[test]
    fn permute_skips_or_keeps_empty_providers() {
        let mut empty = rsip();
        empty.sets.clear();
        assert_eq!(
            combine(
                own(),
                vec![empty.clone()],
                Strategy::Permute {
                    include_empty: false
                }
            )
            .unwrap()
            .len(),
            2
        );
        assert!(
            combine(
                own(),
                vec![empty],
                Strategy::Permute {
                    include_empty: true
                }
            )
            .unwrap()
            .is_empty()
        );
        let many = Provider::inline("default", "rset", &vec![json!({"a": 1}); 10_001]).unwrap();
        assert!(
            combine(
                many,
                vec![],
                Strategy::Permute {
                    include_empty: false
                }
            )
            .unwrap_err()
            .to_string()
            .contains("max: 10000")
        );
    }

    #[test]
    fn names_normalize_for_templates() {
        assert_eq!(normalize_name("Git-Tag.v2"), "git_tagv2");
        assert_eq!(normalize_name("my-rset"), "my_rset");
    }

    #[test]
    fn selectors() {
        let labels = json!({"app": "podinfo", "environment": "dev"})
            .as_object()
            .unwrap()
            .clone();
        let s = json!({"matchLabels": {"app": "podinfo"}, "matchExpressions": [{"key": "environment", "operator": "In", "values": ["dev", "staging"]}]});
        assert!(selector_matches(&s, &labels));
        assert!(!selector_matches(
            &json!({"matchLabels": {"app": "x"}}),
            &labels
        ));
        assert!(selector_matches(
            &json!({"matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]}),
            &labels
        ));
        assert!(!selector_matches(
            &json!({"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["podinfo"]}]}),
            &labels
        ));
    }

    #[test]
    fn static_provider_exports_default_values_and_an_id() {
        let p = Provider::from_static(&json!({
            "apiVersion": API_VERSION, "kind": "ResourceSetInputProvider",
            "metadata": {"name": "env", "namespace": "apps"},
            "spec": {"type": "Static", "defaultValues": {"env": "prod"}}
        }));
        assert_eq!(p.sets[0]["env"], "prod");
        assert_eq!(p.sets[0]["id"], id("apps/env"));
    }
}
