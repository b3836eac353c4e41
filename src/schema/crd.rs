//! CustomResourceDefinitions: each served version's `openAPIV3Schema` as a JSON Schema.
//!
//! A CRD schema is OpenAPI v3 with Kubernetes extensions, and the API server reads it with rules
//! the schema does not spell out. The conversion makes those rules explicit, in kubeconform's
//! `-strict` style (Kubernetes docs, kubernetes/website
//! `content/en/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions.md`:
//! "Specifying a structural schema", "Controlling pruning", "Defaulting and Nullable",
//! "IntOrString", "RawExtension"):
//! - **strict**: where a node lists `properties` and neither `additionalProperties` nor
//!   `x-kubernetes-preserve-unknown-fields: true`, other fields are unknown fields. Never inside
//!   `allOf`/`anyOf`/`oneOf`/`not`, whose properties must repeat the node's own;
//! - **null**: the API server prunes a `null` it does not accept (`nullable` absent or false)
//!   instead of rejecting it, and keeps it where `nullable: true`; either way `null` is no error,
//!   so every `type` and `enum` also takes `null`;
//! - **`x-kubernetes-int-or-string`**: an integer or a string (quantities use it too);
//! - **the resource root** and **`x-kubernetes-embedded-resource`**: `apiVersion` and `kind` are
//!   strings and `metadata` is an `ObjectMeta`, listed or not;
//! - OpenAPI's boolean `exclusiveMinimum`/`exclusiveMaximum` become JSON Schema 2020-12 numbers.

use serde_json::{Map, Value, json};

use super::builtin::{OBJECT_META, definition_ref};
use super::error::SchemaError;

/// The schema of one served version of a CRD.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LearnedSchema {
    /// `group/version`.
    pub api_version: String,
    pub kind: String,
    pub schema: Value,
}

/// The JSON Schema of every served version of `crd` that has one.
pub(crate) fn learn(crd: &Value) -> Result<Vec<LearnedSchema>, SchemaError> {
    let text = |pointer: &str| crd.pointer(pointer).and_then(Value::as_str);
    let name = text("/metadata/name").unwrap_or("(unnamed)").to_string();
    let api_version = text("/apiVersion").unwrap_or_default();
    let kind = text("/kind").unwrap_or_default();
    if api_version != "apiextensions.k8s.io/v1" || kind != "CustomResourceDefinition" {
        return Err(SchemaError::NotACrd {
            name,
            api_version: api_version.to_string(),
            kind: kind.to_string(),
        });
    }
    let bad = |reason: &str| SchemaError::BadCrd {
        name: name.clone(),
        reason: reason.to_string(),
    };
    let group = text("/spec/group").ok_or_else(|| bad("no spec.group"))?;
    let kind = text("/spec/names/kind").ok_or_else(|| bad("no spec.names.kind"))?;
    let versions = crd
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("no spec.versions"))?;
    let mut learned = Vec::new();
    for version in versions {
        let served = version.get("served").and_then(Value::as_bool) == Some(true);
        let schema = version.pointer("/schema/openAPIV3Schema");
        let (Some(version_name), Some(schema), true) =
            (version.get("name").and_then(Value::as_str), schema, served)
        else {
            continue;
        };
        learned.push(LearnedSchema {
            api_version: format!("{group}/{version_name}"),
            kind: kind.to_string(),
            schema: resource_schema(schema),
        });
    }
    Ok(learned)
}

/// The JSON Schema for a resource whose CRD schema is `schema`.
pub(crate) fn resource_schema(schema: &Value) -> Value {
    let mut converted = convert(schema, Place::Strict);
    add_type_meta(&mut converted);
    converted
}

/// Whether a node may be made strict: not under a logical junctor.
#[derive(Clone, Copy, PartialEq)]
enum Place {
    Strict,
    InJunctor,
}

fn convert(node: &Value, place: Place) -> Value {
    let Some(fields) = node.as_object() else {
        return node.clone();
    };
    let mut out = Map::new();
    for (key, value) in fields {
        let converted = match key.as_str() {
            "properties" | "patternProperties" | "definitions" => map_values(value, place),
            "items" | "additionalProperties" | "additionalItems" => convert(value, place),
            "allOf" | "anyOf" | "oneOf" => list_values(value, Place::InJunctor),
            "not" => convert(value, Place::InJunctor),
            _ => value.clone(),
        };
        out.insert(key.clone(), converted);
    }
    let flag = |name: &str| fields.get(name).and_then(Value::as_bool) == Some(true);
    if flag("x-kubernetes-int-or-string") {
        out.insert("type".to_string(), json!(["integer", "string"]));
    }
    allow_null(&mut out);
    exclusive_bounds(&mut out);
    if flag("x-kubernetes-embedded-resource") {
        add_type_meta_fields(&mut out);
    }
    let preserves = flag("x-kubernetes-preserve-unknown-fields");
    if place == Place::Strict
        && out.contains_key("properties")
        && !out.contains_key("additionalProperties")
        && !preserves
    {
        out.insert("additionalProperties".to_string(), Value::Bool(false));
    }
    Value::Object(out)
}

fn map_values(value: &Value, place: Place) -> Value {
    match value.as_object() {
        Some(map) => Value::Object(
            map.iter()
                .map(|(name, schema)| (name.clone(), convert(schema, place)))
                .collect(),
        ),
        None => value.clone(),
    }
}

fn list_values(value: &Value, place: Place) -> Value {
    match value.as_array() {
        Some(list) => Value::Array(list.iter().map(|schema| convert(schema, place)).collect()),
        None => value.clone(),
    }
}

/// `null` passes `type` and `enum` (it is pruned or kept, never rejected).
fn allow_null(node: &mut Map<String, Value>) {
    match node.get_mut("type") {
        Some(Value::String(one)) => {
            let one = std::mem::take(one);
            node.insert("type".to_string(), json!([one, "null"]));
        }
        Some(Value::Array(types)) if !types.contains(&json!("null")) => types.push(json!("null")),
        _ => {}
    }
    if let Some(Value::Array(options)) = node.get_mut("enum")
        && !options.contains(&Value::Null)
    {
        options.push(Value::Null);
    }
}

/// OpenAPI 3.0 / draft 4 `exclusiveMinimum: true` + `minimum: 1` is 2020-12's
/// `exclusiveMinimum: 1`.
fn exclusive_bounds(node: &mut Map<String, Value>) {
    for (exclusive, bound) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ] {
        match node.get(exclusive) {
            Some(Value::Bool(true)) => {
                if let Some(limit) = node.remove(bound) {
                    node.insert(exclusive.to_string(), limit);
                } else {
                    node.remove(exclusive);
                }
            }
            Some(Value::Bool(false)) => {
                node.remove(exclusive);
            }
            _ => {}
        }
    }
}

fn add_type_meta(schema: &mut Value) {
    if let Some(node) = schema.as_object_mut() {
        add_type_meta_fields(node);
    }
}

/// `apiVersion`, `kind` and `metadata` of a resource (the root, or an embedded resource).
fn add_type_meta_fields(node: &mut Map<String, Value>) {
    let properties = node
        .entry("properties")
        .or_insert_with(|| Value::Object(Map::new()));
    let Some(properties) = properties.as_object_mut() else {
        return;
    };
    for field in ["apiVersion", "kind"] {
        properties
            .entry(field)
            .or_insert_with(|| json!({"type": ["string", "null"]}));
    }
    // A CRD may only restrict metadata.name and generateName; the rest is always ObjectMeta.
    properties.insert("metadata".to_string(), definition_ref(OBJECT_META));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crd(versions: Value) -> Value {
        json!({
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": "widgets.example.com"},
            "spec": {
                "group": "example.com",
                "names": {"kind": "Widget", "plural": "widgets"},
                "scope": "Namespaced",
                "versions": versions,
            }
        })
    }

    fn schema(properties: Value) -> Value {
        json!({"schema": {"openAPIV3Schema": {"type": "object", "properties": properties}}})
    }

    #[test]
    fn learns_served_versions_only() {
        let mut v1 = schema(json!({}));
        v1["name"] = json!("v1");
        v1["served"] = json!(true);
        let mut v2 = v1.clone();
        v2["name"] = json!("v2");
        v2["served"] = json!(false);
        let learned = learn(&crd(json!([v1, v2]))).expect("learns");
        let names: Vec<_> = learned
            .iter()
            .map(|l| (l.api_version.as_str(), l.kind.as_str()))
            .collect();
        assert_eq!(names, [("example.com/v1", "Widget")]);
    }

    #[test]
    fn rejects_what_is_not_a_v1_crd() {
        let mut old = crd(json!([]));
        old["apiVersion"] = json!("apiextensions.k8s.io/v1beta1");
        assert!(matches!(learn(&old), Err(SchemaError::NotACrd { .. })));
        let mut nameless = crd(json!([]));
        nameless["spec"]["names"] = json!({});
        assert!(matches!(learn(&nameless), Err(SchemaError::BadCrd { .. })));
    }

    #[test]
    fn root_gets_type_meta_and_strictness() {
        let converted = resource_schema(&json!({
            "type": "object",
            "properties": {"spec": {"type": "object", "properties": {"size": {"type": "integer"}}}}
        }));
        assert_eq!(converted["additionalProperties"], json!(false));
        assert_eq!(
            converted["properties"]["spec"]["additionalProperties"],
            json!(false)
        );
        assert_eq!(
            converted["properties"]["kind"]["type"],
            json!(["string", "null"])
        );
        assert_eq!(
            converted["properties"]["metadata"],
            definition_ref(OBJECT_META)
        );
        assert_eq!(
            converted["properties"]["spec"]["properties"]["size"]["type"],
            json!(["integer", "null"])
        );
    }

    #[test]
    fn preserve_unknown_fields_and_junctors_stay_open() {
        let converted = resource_schema(&json!({
            "type": "object",
            "properties": {
                "open": {"type": "object", "x-kubernetes-preserve-unknown-fields": true,
                         "properties": {"a": {"type": "string"}}},
                "either": {"type": "object", "properties": {"a": {}, "b": {}},
                           "oneOf": [{"properties": {"a": {}}, "required": ["a"]}]}
            }
        }));
        let properties = &converted["properties"];
        assert!(properties["open"].get("additionalProperties").is_none());
        assert!(
            properties["either"]["oneOf"][0]
                .get("additionalProperties")
                .is_none()
        );
        assert_eq!(properties["either"]["additionalProperties"], json!(false));
    }

    #[test]
    fn int_or_string_bounds_and_enums() {
        let converted = convert(
            &json!({"properties": {
                "port": {"x-kubernetes-int-or-string": true, "anyOf": [{"type": "integer"}, {"type": "string"}]},
                "count": {"type": "integer", "minimum": 0, "exclusiveMinimum": true},
                "mode": {"type": "string", "enum": ["A", "B"]}
            }}),
            Place::Strict,
        );
        let properties = &converted["properties"];
        assert_eq!(
            properties["port"]["type"],
            json!(["integer", "string", "null"])
        );
        assert_eq!(properties["count"]["exclusiveMinimum"], json!(0));
        assert!(properties["count"].get("minimum").is_none());
        assert_eq!(properties["mode"]["enum"], json!(["A", "B", null]));
    }

    #[test]
    fn embedded_resources_get_type_meta() {
        let converted = convert(
            &json!({"type": "object", "x-kubernetes-embedded-resource": true,
                    "properties": {"spec": {"type": "object"}}}),
            Place::Strict,
        );
        assert_eq!(converted["additionalProperties"], json!(false));
        assert!(converted["properties"].get("apiVersion").is_some());
        assert_eq!(
            converted["properties"]["metadata"],
            definition_ref(OBJECT_META)
        );
    }
}
