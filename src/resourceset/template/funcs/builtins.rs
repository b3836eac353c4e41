//! Go's builtin template functions and Flux Operator's own (`inputs`, `slugify`, `toYaml`).

use serde_json::Value;

use super::*;
use crate::resourceset::template::value::int;

/// Evaluates a builtin, `None` when `name` is not one.
pub(super) fn eval(name: &str, a: &[Value], inputs: &Value) -> Result<Option<Value>> {
    let _ = inputs;
    Ok(Some(match name {
        "inputs" => inputs.clone(),
        "and" => a
            .iter()
            .find(|v| !truth(v))
            .or(a.last())
            .cloned()
            .unwrap_or(Value::Null),
        "or" => a
            .iter()
            .find(|v| truth(v))
            .or(a.last())
            .cloned()
            .unwrap_or(Value::Null),
        "not" => Value::Bool(!truth(one(a)?)),
        "len" => int(length(one(a)?)?),
        "index" => index(a)?,
        "eq" => Value::Bool(eq(a)?),
        "ne" => Value::Bool(!eq(a)?),
        "lt" | "le" | "gt" | "ge" => Value::Bool(compare(name, a)?),
        "print" => Value::String(go_print(a)),
        "println" => Value::String(a.iter().map(sprint).collect::<Vec<_>>().join(" ") + "\n"),
        "printf" => Value::String(printf(str_arg(a, 0)?, &a[1..])?),
        "urlquery" => Value::String(urlquery(&go_print(a))),
        "slugify" => Value::String(slugify(str_arg(a, 0)?)),
        "toYaml" => Value::String(to_yaml(one(a)?)),
        "mustToYaml" => Value::String(to_yaml(one(a)?)),
        _ => return Ok(None),
    }))
}

fn length(v: &Value) -> Result<i64> {
    Ok(match v {
        Value::String(s) => s.len() as i64,
        Value::Array(a) => a.len() as i64,
        Value::Object(m) => m.len() as i64,
        other => return Err(format!("len of type {}", type_name(other))),
    })
}

fn index(a: &[Value]) -> Result<Value> {
    let mut v = arg(a, 0)?.clone();
    for k in &a[1..] {
        v = match (&v, k) {
            (Value::Object(m), Value::String(key)) => m.get(key).cloned().unwrap_or(Value::Null),
            (Value::Array(l), Value::Number(n)) => {
                let i = n.as_i64().unwrap_or(-1);
                l.get(usize::try_from(i).map_err(|_| format!("index out of range: {i}"))?)
                    .cloned()
                    .ok_or_else(|| format!("index out of range: {i}"))?
            }
            (Value::Null, _) => return Err("index of untyped nil".into()),
            (c, k) => {
                return Err(format!(
                    "cannot index {} with {}",
                    type_name(c),
                    type_name(k)
                ));
            }
        };
    }
    Ok(v)
}

fn basic_eq(x: &Value, y: &Value) -> Result<bool> {
    match (x, y) {
        (Value::Number(a), Value::Number(b)) => {
            if a.is_f64() != b.is_f64() {
                return Err("incompatible types for comparison".into());
            }
            Ok(a.as_f64() == b.as_f64())
        }
        (Value::String(a), Value::String(b)) => Ok(a == b),
        (Value::Bool(a), Value::Bool(b)) => Ok(a == b),
        (Value::Null, Value::Null) => Ok(true),
        (Value::Null, _) | (_, Value::Null) => Ok(false),
        (Value::Array(_) | Value::Object(_), _) | (_, Value::Array(_) | Value::Object(_)) => {
            Err("non-comparable type".into())
        }
        _ => Err("incompatible types for comparison".into()),
    }
}

fn eq(a: &[Value]) -> Result<bool> {
    let first = arg(a, 0)?;
    if a.len() < 2 {
        return Err("missing argument for comparison".into());
    }
    for other in &a[1..] {
        if basic_eq(first, other)? {
            return Ok(true);
        }
    }
    Ok(false)
}

fn compare(op: &str, a: &[Value]) -> Result<bool> {
    let (x, y) = (arg(a, 0)?, arg(a, 1)?);
    let ord = match (x, y) {
        (Value::Number(p), Value::Number(q)) if p.is_f64() == q.is_f64() => {
            p.as_f64().partial_cmp(&q.as_f64()).ok_or("incomparable")?
        }
        (Value::String(p), Value::String(q)) => p.cmp(q),
        _ => return Err("incompatible types for comparison".into()),
    };
    Ok(match op {
        "lt" => ord.is_lt(),
        "le" => ord.is_le(),
        "gt" => ord.is_gt(),
        _ => ord.is_ge(),
    })
}

fn go_print(a: &[Value]) -> String {
    let mut out = String::new();
    for (i, v) in a.iter().enumerate() {
        if i > 0 && !v.is_string() && !a[i - 1].is_string() {
            out.push(' ');
        }
        out.push_str(&sprint(v));
    }
    out
}

fn printf(format: &str, args: &[Value]) -> Result<String> {
    let mut out = String::new();
    let mut it = format.chars().peekable();
    let mut next = args.iter();
    while let Some(c) = it.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let verb = it.next().ok_or("printf: trailing %")?;
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(v) = next.next() else {
            out.push_str(&format!("%!{verb}(MISSING)"));
            continue;
        };
        out.push_str(&match verb {
            's' | 'v' | 'd' => strval(v),
            'q' => go_quote(&strval(v)),
            't' => strval(v),
            'f' => format!("{:.6}", to_float(v)),
            'x' => match v {
                Value::String(s) => hex::encode(s),
                other => format!("{:x}", to_int(other)),
            },
            other => return Err(format!("printf verb %{other} is not supported")),
        });
    }
    Ok(out)
}

fn urlquery(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

pub fn go_quote(s: &str) -> String {
    let mut out = String::from('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\x0b' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

pub fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &x in data {
        a = (a + x as u32) % 65521;
        b = (b + a) % 65521;
    }
    (b << 16) | a
}

pub fn slugify(s: &str) -> String {
    let mut out = String::new();
    for c in s.to_lowercase().chars() {
        if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-' {
            out.push(c);
        } else if c.is_ascii() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let mut collapsed = String::new();
    for c in out.chars() {
        if !(c == '-' && collapsed.ends_with('-')) {
            collapsed.push(c);
        }
    }
    let trimmed = collapsed.trim_matches(['-', '_']).to_string();
    if trimmed.len() <= 63 {
        return trimmed;
    }
    // Smart truncation: cut at the last word boundary within the limit.
    let cut = &trimmed[..63];
    match cut.rfind('-') {
        Some(i) if i > 0 => cut[..i].to_string(),
        _ => cut.to_string(),
    }
}

fn to_yaml(v: &Value) -> String {
    crate::resourceset::goyaml::to_yaml(v)
}
