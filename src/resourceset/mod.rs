//! ResourceSet (Flux Operator, fluxcd.controlplane.io/v1): renders the objects a ResourceSet
//! generates, the way controlplaneio-fluxcd/flux-operator `internal/builder/resourceset.go`
//! (`BuildResourceSet`, `BuildResourceSetSteps`) does, so fluxsim can follow the Flux objects it
//! creates.
//!
//! For every input set ([`inputs`]), each `spec.resources` entry is turned into YAML
//! ([`goyaml`]) and rendered with the `<< >>` template language ([`template`]), then
//! `spec.resourcesTemplate` is rendered as a multi-document stream. Objects are deduplicated by
//! group, kind, namespace and name (`spec.resources` first), those annotated
//! `fluxcd.controlplane.io/reconcile: disabled` dropped, and `spec.commonMetadata` applied.
//! Providers other than `Static` read GitHub, GitLab or registries: they are reported as
//! unavailable offline, and the ResourceSet renders from the inputs that are known.

pub(crate) mod goyaml;
pub mod inputs;
pub mod template;

use std::collections::HashSet;

use serde_json::{Map, Value};

pub use inputs::ProviderRef;
use inputs::{Provider, Strategy};

const DISABLED_ANNOTATION: &str = "fluxcd.controlplane.io/reconcile";

/// What a ResourceSet renders to.
#[derive(Debug, Default)]
pub struct Rendered {
    pub objects: Vec<Value>,
    /// `namespace/name (type)` of each provider whose inputs need the network.
    pub unavailable: Vec<String>,
}

/// Why a ResourceSet could not be rendered. Every variant names the ResourceSet.
#[derive(Debug, thiserror::Error)]
pub enum ResourceSetError {
    #[error("ResourceSet {resource_set}: {reason}")]
    Invalid {
        resource_set: String,
        reason: String,
    },
    #[error("ResourceSet {resource_set}: ResourceSetInputProvider {provider} not found")]
    ProviderNotFound {
        resource_set: String,
        provider: String,
    },
    #[error("ResourceSet {resource_set}: {reason}")]
    Inputs {
        resource_set: String,
        reason: String,
    },
    #[error(
        "ResourceSet {resource_set}: {template} (input set {input_set}): template line {line}: {message}"
    )]
    Template {
        resource_set: String,
        template: String,
        input_set: String,
        line: usize,
        message: String,
    },
    #[error(
        "ResourceSet {resource_set}: {template} (input set {input_set}): rendered YAML is invalid: {message}"
    )]
    Yaml {
        resource_set: String,
        template: String,
        input_set: String,
        message: String,
    },
    #[error(
        "ResourceSet {resource_set}: duplicate resource {object} in step {step:?}, already defined in step {previous:?}"
    )]
    DuplicateInSteps {
        resource_set: String,
        object: String,
        step: String,
        previous: String,
    },
}

/// Renders a ResourceSet. `providers` returns the `ResourceSetInputProvider` objects of the
/// rendered cluster that a reference selects (see [`ProviderRef::matches`]).
pub fn render(
    resource_set: &Value,
    providers: &dyn Fn(&ProviderRef) -> Vec<Value>,
) -> Result<Rendered, ResourceSetError> {
    let namespace = crate::object::namespace(resource_set)
        .unwrap_or("default")
        .to_string();
    let name = crate::object::name(resource_set).to_string();
    let id = format!("{namespace}/{name}");
    let spec = resource_set.get("spec").cloned().unwrap_or(Value::Null);
    let invalid = |reason: String| ResourceSetError::Invalid {
        resource_set: id.clone(),
        reason,
    };

    let inline = spec
        .get("inputs")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let own = Provider::inline(&namespace, &name, &inline).map_err(|e| invalid(e.to_string()))?;
    let mut rendered = Rendered::default();
    let others = provider_inputs(&spec, &namespace, &id, providers, &mut rendered.unavailable)?;
    let strategy = strategy(&spec).map_err(invalid)?;
    let input_sets =
        inputs::combine(own, others, strategy).map_err(|e| ResourceSetError::Inputs {
            resource_set: id.clone(),
            reason: e.to_string(),
        })?;
    if input_sets.is_empty() && !rendered.unavailable.is_empty() {
        // Every input comes from providers we cannot read: rendering without inputs would only
        // report errors the cluster would not have.
        return Ok(rendered);
    }

    let ctx = Ctx {
        id: &id,
        input_sets: &input_sets,
    };
    let steps = spec
        .get("steps")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut objects = if steps.is_empty() {
        ctx.build(&spec, "")?
    } else {
        if spec.get("resources").is_some_and(|r| !r.is_null())
            || spec.get("resourcesTemplate").is_some_and(|r| !r.is_null())
        {
            return Err(invalid(
                "spec.steps is mutually exclusive with spec.resources and spec.resourcesTemplate"
                    .into(),
            ));
        }
        ctx.build_steps(&steps)?
    };
    if let Some(common) = spec.get("commonMetadata") {
        for o in &mut objects {
            apply_common_metadata(o, common);
        }
    }
    rendered.objects = objects;
    Ok(rendered)
}

/// The input sets of `spec.inputsFrom` providers; non-Static ones go to `unavailable`.
fn provider_inputs(
    spec: &Value,
    namespace: &str,
    id: &str,
    providers: &dyn Fn(&ProviderRef) -> Vec<Value>,
    unavailable: &mut Vec<String>,
) -> Result<Vec<Provider>, ResourceSetError> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for r in spec
        .get("inputsFrom")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
    {
        let reference = ProviderRef {
            namespace: namespace.to_string(),
            name: r.get("name").and_then(Value::as_str).map(str::to_string),
            selector: r.get("selector").cloned(),
        };
        let found = providers(&reference);
        if let (Some(n), true) = (&reference.name, found.is_empty()) {
            return Err(ResourceSetError::ProviderNotFound {
                resource_set: id.to_string(),
                provider: format!("{namespace}/{n}"),
            });
        }
        for p in found {
            let key = format!(
                "{}/{}",
                crate::object::namespace(&p).unwrap_or("default"),
                crate::object::name(&p)
            );
            if !seen.insert(key.clone()) {
                continue;
            }
            match p
                .pointer("/spec/type")
                .and_then(Value::as_str)
                .unwrap_or_default()
            {
                "Static" => out.push(Provider::from_static(&p)),
                other => unavailable.push(format!("{key} ({other})")),
            }
        }
    }
    Ok(out)
}

fn strategy(spec: &Value) -> Result<Strategy, String> {
    let s = spec.get("inputStrategy");
    let include_empty = s
        .and_then(|s| s.get("includeEmptyProviders"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    match s
        .and_then(|s| s.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("Flatten")
    {
        "Flatten" => Ok(Strategy::Flatten),
        "Permute" => Ok(Strategy::Permute { include_empty }),
        other => Err(format!("unknown input strategy: '{other}'")),
    }
}

struct Ctx<'a> {
    id: &'a str,
    input_sets: &'a [Value],
}

impl Ctx<'_> {
    /// `BuildResourceSet`: `resources` entries per input set, then the template per input set.
    fn build(&self, spec: &Value, step: &str) -> Result<Vec<Value>, ResourceSetError> {
        let at = |what: String| {
            if step.is_empty() {
                what
            } else {
                format!("step {step:?} {what}")
            }
        };
        let no_inputs = [Value::Null];
        let sets: Vec<(String, &Value)> = if self.input_sets.is_empty() {
            vec![("none".to_string(), &no_inputs[0])]
        } else {
            self.input_sets
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    (
                        format!(
                            "{i} (id {})",
                            s.get("id").and_then(Value::as_str).unwrap_or("")
                        ),
                        s,
                    )
                })
                .collect()
        };
        let mut objects = Vec::new();
        let mut keys = HashSet::new();
        let dedup = !self.input_sets.is_empty();
        for (i, tmpl) in spec
            .get("resources")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let text = goyaml::to_yaml(tmpl);
            for (label, set) in &sets {
                for o in self.render_text(&text, set, &at(format!("resources[{i}]")), label)? {
                    if dedup && disabled(&o) {
                        continue;
                    }
                    if keys.insert(object_key(&o)) || !dedup {
                        objects.push(o);
                    }
                }
            }
        }
        if let Some(text) = spec
            .get("resourcesTemplate")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
        {
            for (label, set) in &sets {
                for o in self.render_text(text, set, &at("resourcesTemplate".into()), label)? {
                    if !disabled(&o) && keys.insert(object_key(&o)) {
                        objects.push(o);
                    }
                }
            }
        }
        Ok(objects)
    }

    /// `BuildResourceSetSteps`: each step built alone; an object in two steps is an error.
    fn build_steps(&self, steps: &[Value]) -> Result<Vec<Value>, ResourceSetError> {
        let mut owner: std::collections::HashMap<String, String> = Default::default();
        let mut out = Vec::new();
        for s in steps {
            let name = s
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            for o in self.build(s, &name)? {
                let key = object_key(&o);
                if let Some(prev) = owner.get(&key).filter(|p| **p != name) {
                    return Err(ResourceSetError::DuplicateInSteps {
                        resource_set: self.id.to_string(),
                        object: key,
                        step: name,
                        previous: prev.clone(),
                    });
                }
                owner.insert(key, name.clone());
                out.push(o);
            }
        }
        Ok(out)
    }

    fn render_text(
        &self,
        text: &str,
        set: &Value,
        template: &str,
        label: &str,
    ) -> Result<Vec<Value>, ResourceSetError> {
        let out = template::render(text, set).map_err(|e| ResourceSetError::Template {
            resource_set: self.id.to_string(),
            template: template.to_string(),
            input_set: label.to_string(),
            line: e.line,
            message: e.message,
        })?;
        crate::yaml::parse_documents(&out).map_err(|e| ResourceSetError::Yaml {
            resource_set: self.id.to_string(),
            template: template.to_string(),
            input_set: label.to_string(),
            message: e.message,
        })
    }
}

fn disabled(o: &Value) -> bool {
    crate::object::annotations(o)
        .and_then(|a| a.get(DISABLED_ANNOTATION))
        .and_then(Value::as_str)
        == Some("disabled")
}

/// group/kind/namespace/name (the version is left out, as in `objectKey`).
fn object_key(o: &Value) -> String {
    let o_ns = crate::object::namespace(o).unwrap_or("");
    format!(
        "{}/{}/{o_ns}/{}",
        crate::object::group_of(crate::object::api_version(o)),
        crate::object::kind(o),
        crate::object::name(o)
    )
}

fn apply_common_metadata(o: &mut Value, common: &Value) {
    for field in ["labels", "annotations"] {
        let Some(Value::Object(add)) = common.get(field) else {
            continue;
        };
        let Some(meta) = o.get_mut("metadata").and_then(Value::as_object_mut) else {
            continue;
        };
        let entry = meta
            .entry(field)
            .or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        if let Some(m) = entry.as_object_mut() {
            for (k, v) in add {
                m.insert(k.clone(), v.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod fixture_tests;
