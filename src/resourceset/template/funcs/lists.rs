//! slim-sprig's defaults, numbers, lists and dicts.

use serde_json::{Map, Value};

use super::*;
use crate::resourceset::template::value::{float, int};

/// Evaluates a default/number/list/dict function, `None` when `name` is not one.
pub(super) fn eval(name: &str, a: &[Value], _inputs: &Value) -> Result<Option<Value>> {
    match scalars(name, a)? {
        Some(v) => Ok(Some(v)),
        None => match lists(name, a)? {
            Some(v) => Ok(Some(v)),
            None => dicts(name, a),
        },
    }
}

/// Defaults, logic, JSON and numbers.
fn scalars(name: &str, a: &[Value]) -> Result<Option<Value>> {
    Ok(Some(match name {
        "default" => match a {
            [d] => d.clone(),
            [d, given, ..] => {
                if empty(given) {
                    d.clone()
                } else {
                    given.clone()
                }
            }
            [] => return Err("wrong number of args for default: want at least 1 got 0".into()),
        },
        "empty" => Value::Bool(empty(one(a)?)),
        "coalesce" => a.iter().find(|v| !empty(v)).cloned().unwrap_or(Value::Null),
        "ternary" => match a {
            [t, f, c] => {
                if truth(c) {
                    t.clone()
                } else {
                    f.clone()
                }
            }
            _ => {
                return Err(format!(
                    "wrong number of args for ternary: want 3 got {}",
                    a.len()
                ));
            }
        },
        "toJson" | "toRawJson" => Value::String(serde_json::to_string(one(a)?).unwrap_or_default()),
        "toPrettyJson" => Value::String(serde_json::to_string_pretty(one(a)?).unwrap_or_default()),
        "fromJson" => serde_json::from_str(str_arg(a, 0)?).unwrap_or(Value::Object(Map::new())),
        "fail" => return Err(str_arg(a, 0)?.to_string()),
        "kindOf" => Value::String(kind_of(one(a)?).into()),
        "typeOf" => Value::String(type_name(one(a)?).into()),
        "deepEqual" => Value::Bool(a.first() == a.get(1)),
        "int" | "int64" => int(to_int(one(a)?)),
        "atoi" => int(str_arg(a, 0)?.trim().parse().unwrap_or(0)),
        "float64" => float(to_float(one(a)?)),
        "add" => int(a.iter().map(to_int).sum()),
        "add1" => int(to_int(one(a)?) + 1),
        "sub" => int(to_int(arg(a, 0)?) - to_int(arg(a, 1)?)),
        "mul" => int(a.iter().map(to_int).product()),
        "div" => int(to_int(arg(a, 0)?)
            .checked_div(to_int(arg(a, 1)?))
            .ok_or("integer divide by zero")?),
        "mod" => int(to_int(arg(a, 0)?)
            .checked_rem(to_int(arg(a, 1)?))
            .ok_or("integer divide by zero")?),
        "max" => int(a.iter().map(to_int).max().unwrap_or(0)),
        "min" => int(a.iter().map(to_int).min().unwrap_or(0)),
        "until" => Value::Array((0..to_int(one(a)?).clamp(0, 100_000)).map(int).collect()),
        "seq" => seq(a)?,
        _ => return Ok(None),
    }))
}

fn lists(name: &str, a: &[Value]) -> Result<Option<Value>> {
    Ok(Some(match name {
        "list" => Value::Array(a.to_vec()),
        "first" => list_of(one(a)?).first().cloned().unwrap_or(Value::Null),
        "last" => list_of(one(a)?).last().cloned().unwrap_or(Value::Null),
        "rest" => Value::Array(list_of(one(a)?).iter().skip(1).cloned().collect()),
        "initial" => {
            let l = list_of(one(a)?);
            Value::Array(l[..l.len().saturating_sub(1)].to_vec())
        }
        "append" | "push" => {
            let mut l = list_of(arg(a, 0)?);
            l.push(arg(a, 1)?.clone());
            Value::Array(l)
        }
        "prepend" => {
            let mut l = list_of(arg(a, 0)?);
            l.insert(0, arg(a, 1)?.clone());
            Value::Array(l)
        }
        "concat" => Value::Array(a.iter().flat_map(list_of).collect()),
        "reverse" => Value::Array(list_of(one(a)?).into_iter().rev().collect()),
        "uniq" => {
            let mut out: Vec<Value> = Vec::new();
            for v in list_of(one(a)?) {
                if !out.contains(&v) {
                    out.push(v);
                }
            }
            Value::Array(out)
        }
        "without" => Value::Array(
            list_of(arg(a, 0)?)
                .into_iter()
                .filter(|v| !a[1..].contains(v))
                .collect(),
        ),
        "has" => Value::Bool(list_of(arg(a, 1)?).contains(arg(a, 0)?)),
        "compact" => Value::Array(list_of(one(a)?).into_iter().filter(|v| !empty(v)).collect()),
        "sortAlpha" => {
            let mut l: Vec<String> = list_of(one(a)?).iter().map(strval).collect();
            l.sort();
            Value::Array(l.into_iter().map(Value::String).collect())
        }
        _ => return Ok(None),
    }))
}

fn dicts(name: &str, a: &[Value]) -> Result<Option<Value>> {
    Ok(Some(match name {
        "dict" => {
            let mut m = Map::new();
            for pair in a.chunks(2) {
                m.insert(
                    strval(&pair[0]),
                    pair.get(1).cloned().unwrap_or(Value::String(String::new())),
                );
            }
            Value::Object(m)
        }
        "get" => map_arg(a, 0)?
            .get(str_arg(a, 1)?)
            .cloned()
            .unwrap_or(Value::String(String::new())),
        "set" => {
            let mut m = map_arg(a, 0)?.clone();
            m.insert(str_arg(a, 1)?.to_string(), arg(a, 2)?.clone());
            Value::Object(m)
        }
        "unset" => {
            let mut m = map_arg(a, 0)?.clone();
            m.remove(str_arg(a, 1)?);
            Value::Object(m)
        }
        "hasKey" => Value::Bool(map_arg(a, 0)?.contains_key(str_arg(a, 1)?)),
        "keys" => {
            let mut k: Vec<String> = Vec::new();
            for (i, _) in a.iter().enumerate() {
                k.extend(map_arg(a, i)?.keys().cloned());
            }
            k.sort();
            Value::Array(k.into_iter().map(Value::String).collect())
        }
        "values" => Value::Array(map_arg(a, 0)?.values().cloned().collect()),
        "pick" | "omit" => {
            let names: Vec<String> = a[1..].iter().map(strval).collect();
            let keep = name == "pick";
            Value::Object(
                map_arg(a, 0)?
                    .iter()
                    .filter(|(k, _)| names.contains(k) == keep)
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            )
        }
        "merge" | "mergeOverwrite" => merge(a, name == "mergeOverwrite")?,
        "pluck" => Value::Array(
            a[1..]
                .iter()
                .filter_map(|m| m.as_object()?.get(str_arg(a, 0).ok()?).cloned())
                .collect(),
        ),
        "dig" => dig(a)?,
        _ => return Ok(None),
    }))
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "invalid",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float64",
        Value::Number(_) => "int64",
        Value::String(_) => "string",
        Value::Array(_) => "slice",
        Value::Object(_) => "map",
    }
}

fn seq(a: &[Value]) -> Result<Value> {
    let n: Vec<i64> = a.iter().map(to_int).collect();
    let (start, step, end) = match n.as_slice() {
        [e] => (1, 1, *e),
        [s, e] => (*s, if s <= e { 1 } else { -1 }, *e),
        [s, st, e] => (*s, *st, *e),
        _ => return Err("seq takes 1 to 3 arguments".into()),
    };
    let mut out = Vec::new();
    let mut i = start;
    while step != 0 && ((step > 0 && i <= end) || (step < 0 && i >= end)) && out.len() < 100_000 {
        out.push(int(i));
        i += step;
    }
    Ok(Value::Array(out))
}

fn merge(a: &[Value], overwrite: bool) -> Result<Value> {
    fn deep(dst: &mut Map<String, Value>, src: &Map<String, Value>, overwrite: bool) {
        for (k, v) in src {
            match (dst.get_mut(k), v) {
                (Some(Value::Object(d)), Value::Object(s)) => deep(d, s, overwrite),
                (Some(d), v) if overwrite || empty(d) => *d = v.clone(),
                (None, v) => {
                    dst.insert(k.clone(), v.clone());
                }
                _ => {}
            }
        }
    }
    let mut out = map_arg(a, 0)?.clone();
    for i in 1..a.len() {
        deep(&mut out, map_arg(a, i)?, overwrite);
    }
    Ok(Value::Object(out))
}

fn dig(a: &[Value]) -> Result<Value> {
    if a.len() < 3 {
        return Err("dig needs keys, a default and a map".into());
    }
    let (keys, rest) = a.split_at(a.len() - 2);
    let mut cur = &rest[1];
    for k in keys {
        match cur.as_object().and_then(|m| m.get(&strval(k))) {
            Some(v) => cur = v,
            None => return Ok(rest[0].clone()),
        }
    }
    Ok(cur.clone())
}
