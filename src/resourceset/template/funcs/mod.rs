//! The functions a ResourceSet template can call: Go's builtins (`and`, `or`, `not`, `len`,
//! `index`, `eq`…, `print`…), the slim-sprig functions (`sprig.HermeticTxtFuncMap()`, go-task
//! slim-sprig v3) that ResourceSets use, and Flux Operator's own `inputs`, `slugify`, `toYaml`
//! and `mustToYaml` (controlplaneio-fluxcd/flux-operator `internal/builder/resourceset.go`).
//!
//! Arguments are checked the way Go converts them to a function's parameter types: a `string`
//! parameter takes only a string (`<< 2 | upper >>` is an error, hence the docs' advice to
//! `quote` numbers), while `interface{}` parameters take anything and stringify with sprig's
//! `strval`.

mod builtins;
mod lists;
mod strings;
#[cfg(test)]
mod tests;

use serde_json::{Map, Value};

use super::value::{sprint, truth, type_name};
pub use builtins::{adler32, go_quote, slugify};

pub(super) type Result<T> = std::result::Result<T, String>;

/// The function table of one render: the builtins plus the `inputs` of one input set.
pub struct Funcs {
    pub inputs: Value,
}

/// Every name a template may call; anything else fails at parse time, as in Go.
pub const NAMES: &[&str] = &[
    // Go builtins
    "and",
    "or",
    "not",
    "len",
    "index",
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "print",
    "printf",
    "println",
    "urlquery",
    // Flux Operator
    "inputs",
    "slugify",
    "toYaml",
    "mustToYaml",
    // slim-sprig: strings
    "quote",
    "squote",
    "upper",
    "lower",
    "title",
    "trim",
    "trimAll",
    "trimPrefix",
    "trimSuffix",
    "replace",
    "contains",
    "hasPrefix",
    "hasSuffix",
    "repeat",
    "substr",
    "trunc",
    "indent",
    "nindent",
    "nospace",
    "cat",
    "split",
    "splitList",
    "join",
    "toString",
    "toStrings",
    "snakecase",
    "kebabcase",
    "camelcase",
    "regexMatch",
    "regexReplaceAll",
    "regexFind",
    "b64enc",
    "b64dec",
    "sha256sum",
    "sha1sum",
    "adler32sum",
    // slim-sprig: defaults and logic
    "default",
    "empty",
    "coalesce",
    "ternary",
    "toJson",
    "toPrettyJson",
    "toRawJson",
    "fromJson",
    "fail",
    "kindOf",
    "typeOf",
    "deepEqual",
    // slim-sprig: numbers
    "int",
    "int64",
    "float64",
    "atoi",
    "add",
    "add1",
    "sub",
    "mul",
    "div",
    "mod",
    "max",
    "min",
    "until",
    "seq",
    // slim-sprig: lists and dicts
    "list",
    "first",
    "last",
    "rest",
    "initial",
    "append",
    "push",
    "prepend",
    "concat",
    "reverse",
    "uniq",
    "without",
    "has",
    "compact",
    "sortAlpha",
    "dict",
    "get",
    "set",
    "unset",
    "hasKey",
    "keys",
    "values",
    "pick",
    "omit",
    "merge",
    "mergeOverwrite",
    "pluck",
    "dig",
];

impl Funcs {
    pub fn known(name: &str) -> bool {
        NAMES.contains(&name)
    }

    pub fn call(&self, name: &str, a: Vec<Value>) -> Result<Value> {
        for eval in [builtins::eval, strings::eval, lists::eval] {
            if let Some(v) = eval(name, &a, &self.inputs)? {
                return Ok(v);
            }
        }
        Err(format!("function {name:?} not defined"))
    }
}

pub(super) fn arg(a: &[Value], i: usize) -> Result<&Value> {
    a.get(i).ok_or_else(|| {
        format!(
            "wrong number of args: want at least {} got {}",
            i + 1,
            a.len()
        )
    })
}

pub(super) fn one(a: &[Value]) -> Result<&Value> {
    match a {
        [v] => Ok(v),
        _ => Err(format!("wrong number of args: want 1 got {}", a.len())),
    }
}

pub(super) fn str_arg(a: &[Value], i: usize) -> Result<&str> {
    match arg(a, i)? {
        Value::String(s) => Ok(s),
        other => Err(format!(
            "wrong type for value; expected string; got {}",
            type_name(other)
        )),
    }
}

pub(super) fn int_arg(a: &[Value], i: usize) -> Result<i64> {
    match arg(a, i)? {
        Value::Number(n) if n.is_i64() || n.is_u64() => Ok(n.as_i64().unwrap_or(i64::MAX)),
        other => Err(format!(
            "wrong type for value; expected int; got {}",
            type_name(other)
        )),
    }
}

pub(super) fn map_arg(a: &[Value], i: usize) -> Result<&Map<String, Value>> {
    match arg(a, i)? {
        Value::Object(m) => Ok(m),
        other => Err(format!(
            "wrong type for value; expected map[string]interface {{}}; got {}",
            type_name(other)
        )),
    }
}

pub(super) fn strval(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => sprint(other),
    }
}

pub(super) fn list_of(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a.clone(),
        Value::Null => Vec::new(),
        other => vec![other.clone()],
    }
}

pub(super) fn empty(v: &Value) -> bool {
    !truth(v)
}

pub(super) fn to_int(v: &Value) -> i64 {
    match v {
        Value::Number(n) => n
            .as_i64()
            .unwrap_or_else(|| n.as_f64().unwrap_or(0.0) as i64),
        Value::Bool(b) => *b as i64,
        Value::String(s) => {
            let t = s.trim();
            let (neg, d) = t.strip_prefix('-').map_or((false, t), |d| (true, d));
            let parsed = if let Some(h) = d.strip_prefix("0x") {
                i64::from_str_radix(h, 16).ok()
            } else if let Some(o) = d.strip_prefix("0o") {
                i64::from_str_radix(o, 8).ok()
            } else if let Some(b) = d.strip_prefix("0b") {
                i64::from_str_radix(b, 2).ok()
            } else {
                d.parse::<i64>().ok().or_else(|| {
                    d.parse::<f64>()
                        .ok()
                        .filter(|f| f.fract() == 0.0)
                        .map(|f| f as i64)
                })
            };
            parsed.map_or(0, |v| if neg { -v } else { v })
        }
        _ => 0,
    }
}

pub(super) fn to_float(v: &Value) -> f64 {
    match v {
        Value::Number(n) => n.as_f64().unwrap_or(0.0),
        Value::Bool(b) => *b as i64 as f64,
        Value::String(s) => s.trim().parse().unwrap_or(0.0),
        _ => 0.0,
    }
}
