//! Findings: what is wrong with an object, where, in a few words.
//!
//! The JSON Schema errors of the `jsonschema` crate become [`Violation`]s, one per problem, with a
//! message written here (never the crate's `Display`, which prints whole instance values: a
//! Secret's data must not reach a finding). Only an enum mismatch quotes the value, and only a
//! short scalar.

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{JsonType, ValidationError, Validator};
use serde::Serialize;
use serde_json::Value;

/// One problem found in an object.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Violation {
    /// Where, as a JSON Pointer (RFC 6901) into the object:
    /// `/spec/template/spec/containers/0/imagePullPolicy`; the object itself is `""`. For an
    /// unknown or a missing field it points at that field (`/spec/replicass`, `/spec/selector`).
    pub path: String,
    /// What kind of problem.
    pub kind: ViolationKind,
    /// A short explanation, e.g. `expected integer, got string`.
    pub message: String,
}

/// The kinds of problems, as `kubeconform -strict` reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ViolationKind {
    /// A field the schema does not list, where it lists the allowed fields.
    UnknownField,
    /// A value of the wrong JSON type (a string where an integer belongs).
    WrongType,
    /// A required field is absent.
    MissingRequired,
    /// A value outside the allowed set.
    BadEnum,
    /// Any other rule: pattern, length, range, item count, `oneOf`/`anyOf` branches.
    Constraint,
}

/// Every violation of `instance`, sorted and without duplicates.
pub(crate) fn violations(validator: &Validator, instance: &Value) -> Vec<Violation> {
    let mut found = Vec::new();
    for error in validator.iter_errors(instance) {
        push_violations(&error, &mut found);
    }
    found.sort();
    found.dedup();
    found
}

fn push_violations(error: &ValidationError<'_>, found: &mut Vec<Violation>) {
    let path = error.instance_path().as_str();
    let instance = error.instance().as_ref();
    let at = |kind, message: String| Violation {
        path: path.to_string(),
        kind,
        message,
    };
    match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected }
        | ValidationErrorKind::UnevaluatedProperties { unexpected } => {
            found.extend(unexpected.iter().map(|name| Violation {
                path: child_path(path, name),
                kind: ViolationKind::UnknownField,
                message: "field not declared in the schema".to_string(),
            }));
        }
        ValidationErrorKind::Required { property } => found.push(Violation {
            path: child_path(path, property.as_str().unwrap_or_default()),
            kind: ViolationKind::MissingRequired,
            message: "required field is missing".to_string(),
        }),
        ValidationErrorKind::Type { kind } => found.push(at(
            ViolationKind::WrongType,
            format!(
                "expected {}, got {}",
                expected_types(kind),
                type_name(instance)
            ),
        )),
        ValidationErrorKind::Enum { options } => found.push(at(
            ViolationKind::BadEnum,
            format!("{} is not one of {}", quoted(instance), allowed(options)),
        )),
        ValidationErrorKind::Constant { expected_value } => found.push(at(
            ViolationKind::BadEnum,
            format!("{} is not {}", quoted(instance), quoted(expected_value)),
        )),
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
            found.push(match alternative_types(path, context) {
                Some(types) => at(
                    ViolationKind::WrongType,
                    format!("expected {types}, got {}", type_name(instance)),
                ),
                None => at(
                    ViolationKind::Constraint,
                    format!(
                        "matches none of the allowed forms ({})",
                        error.kind().keyword()
                    ),
                ),
            })
        }
        other => found.push(at(ViolationKind::Constraint, constraint_message(other))),
    }
}

/// When every alternative failed only on its type, the types it would have taken.
fn alternative_types(path: &str, context: &[Vec<ValidationError<'static>>]) -> Option<String> {
    let mut names = Vec::new();
    for branch in context {
        let [only] = branch.as_slice() else {
            return None;
        };
        let ValidationErrorKind::Type { kind } = only.kind() else {
            return None;
        };
        if only.instance_path().as_str() != path {
            return None;
        }
        names.push(expected_types(kind));
    }
    (!names.is_empty()).then(|| names.join(" or "))
}

fn constraint_message(kind: &ValidationErrorKind) -> String {
    use ValidationErrorKind as K;
    match kind {
        K::Pattern { pattern } => format!("does not match the pattern {pattern}"),
        K::MaxLength { limit } => format!("longer than {limit} characters"),
        K::MinLength { limit } => format!("shorter than {limit} characters"),
        K::Maximum { limit } => format!("greater than the maximum {limit}"),
        K::Minimum { limit } => format!("less than the minimum {limit}"),
        K::ExclusiveMaximum { limit } => format!("not less than {limit}"),
        K::ExclusiveMinimum { limit } => format!("not greater than {limit}"),
        K::MaxItems { limit } => format!("more than {limit} items"),
        K::MinItems { limit } => format!("fewer than {limit} items"),
        K::MaxProperties { limit } => format!("more than {limit} fields"),
        K::MinProperties { limit } => format!("fewer than {limit} fields"),
        K::UniqueItems => "has duplicate items".to_string(),
        K::Format { format } => format!("not a valid {format}"),
        K::FalseSchema => "not allowed here".to_string(),
        K::OneOfMultipleValid { .. } => "matches more than one of the oneOf forms".to_string(),
        K::Referencing(error) => format!("the schema has a broken reference: {error}"),
        other => format!("breaks the schema's {} rule", other.keyword()),
    }
}

/// Appends one key to a JSON Pointer, escaping `~` and `/` as RFC 6901 says.
fn child_path(parent: &str, name: &str) -> String {
    format!("{parent}/{}", name.replace('~', "~0").replace('/', "~1"))
}

/// `integer or string`; `null` is left out when the type has others (most fields are nullable).
fn expected_types(kind: &TypeKind) -> String {
    let types: Vec<JsonType> = match kind {
        TypeKind::Single(one) => vec![*one],
        TypeKind::Multiple(set) => set.iter().collect(),
    };
    let shown: Vec<&str> = types
        .iter()
        .filter(|t| types.len() == 1 || **t != JsonType::Null)
        .map(|t| t.as_str())
        .collect();
    shown.join(" or ")
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A short scalar as JSON (`"Sometimes"`, `3`); anything else by its type.
fn quoted(value: &Value) -> String {
    match value {
        Value::String(s) if s.chars().count() <= 64 => value.to_string(),
        Value::String(_) => "a long string".to_string(),
        Value::Array(_) => "an array".to_string(),
        Value::Object(_) => "an object".to_string(),
        Value::Null | Value::Bool(_) | Value::Number(_) => value.to_string(),
    }
}

fn allowed(options: &Value) -> String {
    const SHOWN: usize = 8;
    let Some(list) = options.as_array() else {
        return quoted(options);
    };
    // Learned CRDs' enums also take null (see crd.rs); it is no choice worth listing.
    let choices: Vec<&Value> = list.iter().filter(|option| !option.is_null()).collect();
    let mut names: Vec<String> = choices.iter().take(SHOWN).map(|o| quoted(o)).collect();
    if choices.len() > SHOWN {
        names.push(format!("… ({} more)", choices.len() - SHOWN));
    }
    format!("[{}]", names.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(schema: Value, instance: Value) -> Vec<Violation> {
        let validator = jsonschema::validator_for(&schema).expect("schema compiles");
        violations(&validator, &instance)
    }

    #[test]
    fn unknown_fields_point_at_each_field() {
        let schema = json!({"properties": {"a": {}}, "additionalProperties": false});
        let found = check(schema, json!({"a": 1, "b/c": 2, "d": 3}));
        let paths: Vec<_> = found.iter().map(|v| v.path.as_str()).collect();
        assert_eq!(paths, ["/b~1c", "/d"]);
        assert!(found.iter().all(|v| v.kind == ViolationKind::UnknownField));
    }

    #[test]
    fn type_messages_leave_out_null() {
        let found = check(json!({"type": ["integer", "null"]}), json!("3"));
        assert_eq!(found[0].kind, ViolationKind::WrongType);
        assert_eq!(found[0].message, "expected integer, got string");
    }

    #[test]
    fn alternatives_of_types_read_as_one_type_error() {
        let schema = json!({"anyOf": [{"type": "integer"}, {"type": "string"}]});
        let found = check(schema, json!(true));
        assert_eq!(found[0].kind, ViolationKind::WrongType);
        assert_eq!(found[0].message, "expected integer or string, got boolean");
    }

    #[test]
    fn enum_quotes_only_short_scalars() {
        let found = check(json!({"enum": ["A", "B"]}), json!({"secret": "x"}));
        assert_eq!(found[0].message, "an object is not one of [\"A\", \"B\"]");
        let found = check(json!({"enum": ["A", "B", null]}), json!("C"));
        assert_eq!(found[0].kind, ViolationKind::BadEnum);
        assert_eq!(found[0].message, "\"C\" is not one of [\"A\", \"B\"]");
    }

    #[test]
    fn constraint_messages_do_not_echo_the_value() {
        let found = check(json!({"pattern": "^a+$"}), json!("hunter2"));
        assert_eq!(found[0].kind, ViolationKind::Constraint);
        assert!(
            !found[0].message.contains("hunter2"),
            "{}",
            found[0].message
        );
    }
}
