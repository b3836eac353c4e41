//! The functions a ResourceSet template can call: Go's builtins (`and`, `or`, `not`, `len`,
//! `index`, `eq`…, `print`…), the slim-sprig functions (`sprig.HermeticTxtFuncMap()`, go-task
//! slim-sprig v3) that ResourceSets use, and Flux Operator's own `inputs`, `slugify`, `toYaml`
//! and `mustToYaml` (controlplaneio-fluxcd/flux-operator `internal/builder/resourceset.go`).
//!
//! Arguments are checked the way Go converts them to a function's parameter types: a `string`
//! parameter takes only a string (`<< 2 | upper >>` is an error, hence the docs' advice to
//! `quote` numbers), while `interface{}` parameters take anything and stringify with sprig's
//! `strval`.

use base64::Engine;
use serde_json::{Map, Value};
use sha2::Digest;

use super::value::{float, int, sprint, truth, type_name};

type Result<T> = std::result::Result<T, String>;

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
        Ok(match name {
            "inputs" => self.inputs.clone(),
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
            "not" => Value::Bool(!truth(one(&a)?)),
            "len" => int(length(one(&a)?)?),
            "index" => index(&a)?,
            "eq" => Value::Bool(eq(&a)?),
            "ne" => Value::Bool(!eq(&a)?),
            "lt" | "le" | "gt" | "ge" => Value::Bool(compare(name, &a)?),
            "print" => Value::String(go_print(&a)),
            "println" => Value::String(a.iter().map(sprint).collect::<Vec<_>>().join(" ") + "\n"),
            "printf" => Value::String(printf(str_arg(&a, 0)?, &a[1..])?),
            "urlquery" => Value::String(urlquery(&go_print(&a))),
            "slugify" => Value::String(slugify(str_arg(&a, 0)?)),
            "toYaml" => Value::String(to_yaml(one(&a)?)),
            "mustToYaml" => Value::String(to_yaml(one(&a)?)),
            "quote" => Value::String(quote_all(&a, |x| go_quote(&x))),
            "squote" => Value::String(quote_all(&a, |x| format!("'{x}'"))),
            "upper" => Value::String(str_arg(&a, 0)?.to_uppercase()),
            "lower" => Value::String(str_arg(&a, 0)?.to_lowercase()),
            "title" => Value::String(title(str_arg(&a, 0)?)),
            "trim" => Value::String(str_arg(&a, 0)?.trim().to_string()),
            "trimAll" => Value::String(trim_all(str_arg(&a, 0)?, str_arg(&a, 1)?)),
            "trimPrefix" => Value::String(strip(str_arg(&a, 1)?, str_arg(&a, 0)?, true)),
            "trimSuffix" => Value::String(strip(str_arg(&a, 1)?, str_arg(&a, 0)?, false)),
            "replace" => Value::String(str_arg(&a, 2)?.replace(str_arg(&a, 0)?, str_arg(&a, 1)?)),
            "contains" => Value::Bool(str_arg(&a, 1)?.contains(str_arg(&a, 0)?)),
            "hasPrefix" => Value::Bool(str_arg(&a, 1)?.starts_with(str_arg(&a, 0)?)),
            "hasSuffix" => Value::Bool(str_arg(&a, 1)?.ends_with(str_arg(&a, 0)?)),
            "repeat" => Value::String(str_arg(&a, 1)?.repeat(int_arg(&a, 0)?.max(0) as usize)),
            "substr" => Value::String(substr(int_arg(&a, 0)?, int_arg(&a, 1)?, str_arg(&a, 2)?)),
            "trunc" => Value::String(trunc(int_arg(&a, 0)?, str_arg(&a, 1)?)),
            "indent" => Value::String(indent(int_arg(&a, 0)?, str_arg(&a, 1)?)),
            "nindent" => Value::String(format!("\n{}", indent(int_arg(&a, 0)?, str_arg(&a, 1)?))),
            "nospace" => Value::String(
                str_arg(&a, 0)?
                    .chars()
                    .filter(|c| !c.is_whitespace())
                    .collect(),
            ),
            "cat" => Value::String(
                a.iter()
                    .filter(|v| !v.is_null())
                    .map(strval)
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            "splitList" => Value::Array(
                str_arg(&a, 1)?
                    .split(str_arg(&a, 0)?)
                    .map(|x| Value::String(x.into()))
                    .collect(),
            ),
            "split" => split_dict(str_arg(&a, 0)?, str_arg(&a, 1)?),
            "join" => Value::String(join(str_arg(&a, 0)?, a.get(1).unwrap_or(&Value::Null))),
            "toString" => Value::String(strval(one(&a)?)),
            "toStrings" => Value::Array(
                list_of(one(&a)?)
                    .iter()
                    .map(|v| Value::String(strval(v)))
                    .collect(),
            ),
            "snakecase" => Value::String(words(str_arg(&a, 0)?).join("_")),
            "kebabcase" => Value::String(words(str_arg(&a, 0)?).join("-")),
            "camelcase" => Value::String(camel(str_arg(&a, 0)?)),
            "regexMatch" => Value::Bool(regex(str_arg(&a, 0)?)?.is_match(str_arg(&a, 1)?)),
            "regexFind" => Value::String(
                regex(str_arg(&a, 0)?)?
                    .find(str_arg(&a, 1)?)
                    .map(|m| m.as_str().to_string())
                    .unwrap_or_default(),
            ),
            "regexReplaceAll" => Value::String(
                regex(str_arg(&a, 0)?)?
                    .replace_all(str_arg(&a, 1)?, str_arg(&a, 2)?)
                    .into_owned(),
            ),
            "b64enc" => {
                Value::String(base64::engine::general_purpose::STANDARD.encode(str_arg(&a, 0)?))
            }
            "b64dec" => Value::String(
                base64::engine::general_purpose::STANDARD
                    .decode(str_arg(&a, 0)?)
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .unwrap_or_else(|e| e.to_string()),
            ),
            "sha256sum" => Value::String(hex::encode(sha2::Sha256::digest(str_arg(&a, 0)?))),
            "sha1sum" => return Err("sha1sum is not available in fluxsim".into()),
            "adler32sum" => Value::String(adler32(str_arg(&a, 0)?.as_bytes()).to_string()),
            "default" => match a.as_slice() {
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
            "empty" => Value::Bool(empty(one(&a)?)),
            "coalesce" => a.iter().find(|v| !empty(v)).cloned().unwrap_or(Value::Null),
            "ternary" => match a.as_slice() {
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
            "toJson" | "toRawJson" => {
                Value::String(serde_json::to_string(one(&a)?).unwrap_or_default())
            }
            "toPrettyJson" => {
                Value::String(serde_json::to_string_pretty(one(&a)?).unwrap_or_default())
            }
            "fromJson" => {
                serde_json::from_str(str_arg(&a, 0)?).unwrap_or(Value::Object(Map::new()))
            }
            "fail" => return Err(str_arg(&a, 0)?.to_string()),
            "kindOf" => Value::String(kind_of(one(&a)?).into()),
            "typeOf" => Value::String(type_name(one(&a)?).into()),
            "deepEqual" => Value::Bool(a.first() == a.get(1)),
            "int" | "int64" => int(to_int(one(&a)?)),
            "atoi" => int(str_arg(&a, 0)?.trim().parse().unwrap_or(0)),
            "float64" => float(to_float(one(&a)?)),
            "add" => int(a.iter().map(to_int).sum()),
            "add1" => int(to_int(one(&a)?) + 1),
            "sub" => int(to_int(arg(&a, 0)?) - to_int(arg(&a, 1)?)),
            "mul" => int(a.iter().map(to_int).product()),
            "div" => int(to_int(arg(&a, 0)?)
                .checked_div(to_int(arg(&a, 1)?))
                .ok_or("integer divide by zero")?),
            "mod" => int(to_int(arg(&a, 0)?)
                .checked_rem(to_int(arg(&a, 1)?))
                .ok_or("integer divide by zero")?),
            "max" => int(a.iter().map(to_int).max().unwrap_or(0)),
            "min" => int(a.iter().map(to_int).min().unwrap_or(0)),
            "until" => Value::Array((0..to_int(one(&a)?).clamp(0, 100_000)).map(int).collect()),
            "seq" => seq(&a)?,
            "list" => Value::Array(a),
            "first" => list_of(one(&a)?).first().cloned().unwrap_or(Value::Null),
            "last" => list_of(one(&a)?).last().cloned().unwrap_or(Value::Null),
            "rest" => Value::Array(list_of(one(&a)?).iter().skip(1).cloned().collect()),
            "initial" => {
                let l = list_of(one(&a)?);
                Value::Array(l[..l.len().saturating_sub(1)].to_vec())
            }
            "append" | "push" => {
                let mut l = list_of(arg(&a, 0)?);
                l.push(arg(&a, 1)?.clone());
                Value::Array(l)
            }
            "prepend" => {
                let mut l = list_of(arg(&a, 0)?);
                l.insert(0, arg(&a, 1)?.clone());
                Value::Array(l)
            }
            "concat" => Value::Array(a.iter().flat_map(list_of).collect()),
            "reverse" => Value::Array(list_of(one(&a)?).into_iter().rev().collect()),
            "uniq" => {
                let mut out: Vec<Value> = Vec::new();
                for v in list_of(one(&a)?) {
                    if !out.contains(&v) {
                        out.push(v);
                    }
                }
                Value::Array(out)
            }
            "without" => Value::Array(
                list_of(arg(&a, 0)?)
                    .into_iter()
                    .filter(|v| !a[1..].contains(v))
                    .collect(),
            ),
            "has" => Value::Bool(list_of(arg(&a, 1)?).contains(arg(&a, 0)?)),
            "compact" => Value::Array(
                list_of(one(&a)?)
                    .into_iter()
                    .filter(|v| !empty(v))
                    .collect(),
            ),
            "sortAlpha" => {
                let mut l: Vec<String> = list_of(one(&a)?).iter().map(strval).collect();
                l.sort();
                Value::Array(l.into_iter().map(Value::String).collect())
            }
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
            "get" => map_arg(&a, 0)?
                .get(str_arg(&a, 1)?)
                .cloned()
                .unwrap_or(Value::String(String::new())),
            "set" => {
                let mut m = map_arg(&a, 0)?.clone();
                m.insert(str_arg(&a, 1)?.to_string(), arg(&a, 2)?.clone());
                Value::Object(m)
            }
            "unset" => {
                let mut m = map_arg(&a, 0)?.clone();
                m.remove(str_arg(&a, 1)?);
                Value::Object(m)
            }
            "hasKey" => Value::Bool(map_arg(&a, 0)?.contains_key(str_arg(&a, 1)?)),
            "keys" => {
                let mut k: Vec<String> = Vec::new();
                for (i, _) in a.iter().enumerate() {
                    k.extend(map_arg(&a, i)?.keys().cloned());
                }
                k.sort();
                Value::Array(k.into_iter().map(Value::String).collect())
            }
            "values" => Value::Array(map_arg(&a, 0)?.values().cloned().collect()),
            "pick" | "omit" => {
                let names: Vec<String> = a[1..].iter().map(strval).collect();
                let keep = name == "pick";
                Value::Object(
                    map_arg(&a, 0)?
                        .iter()
                        .filter(|(k, _)| names.contains(k) == keep)
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect(),
                )
            }
            "merge" | "mergeOverwrite" => merge(&a, name == "mergeOverwrite")?,
            "pluck" => Value::Array(
                a[1..]
                    .iter()
                    .filter_map(|m| m.as_object()?.get(str_arg(&a, 0).ok()?).cloned())
                    .collect(),
            ),
            "dig" => dig(&a)?,
            other => return Err(format!("function {other:?} not defined")),
        })
    }
}

fn arg(a: &[Value], i: usize) -> Result<&Value> {
    a.get(i).ok_or_else(|| {
        format!(
            "wrong number of args: want at least {} got {}",
            i + 1,
            a.len()
        )
    })
}

fn one(a: &[Value]) -> Result<&Value> {
    match a {
        [v] => Ok(v),
        _ => Err(format!("wrong number of args: want 1 got {}", a.len())),
    }
}

fn str_arg(a: &[Value], i: usize) -> Result<&str> {
    match arg(a, i)? {
        Value::String(s) => Ok(s),
        other => Err(format!(
            "wrong type for value; expected string; got {}",
            type_name(other)
        )),
    }
}

fn int_arg(a: &[Value], i: usize) -> Result<i64> {
    match arg(a, i)? {
        Value::Number(n) if n.is_i64() || n.is_u64() => Ok(n.as_i64().unwrap_or(i64::MAX)),
        other => Err(format!(
            "wrong type for value; expected int; got {}",
            type_name(other)
        )),
    }
}

fn map_arg(a: &[Value], i: usize) -> Result<&Map<String, Value>> {
    match arg(a, i)? {
        Value::Object(m) => Ok(m),
        other => Err(format!(
            "wrong type for value; expected map[string]interface {{}}; got {}",
            type_name(other)
        )),
    }
}

/// sprig's `strval`: strings as they are, everything else with `%v`.
fn strval(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => sprint(other),
    }
}

fn list_of(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a.clone(),
        Value::Null => Vec::new(),
        other => vec![other.clone()],
    }
}

/// sprig's `empty`: zero values are empty.
fn empty(v: &Value) -> bool {
    !truth(v)
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

/// `eq a b c…`: whether `a` equals any of the others.
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

/// `fmt.Sprint`: spaces only between operands when neither is a string.
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

/// `fmt.Sprintf` for the common verbs (`%s %d %v %q %t %f %x %%`).
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

/// sprig `quote`/`squote`: each non-nil argument, space separated.
fn quote_all(a: &[Value], q: impl Fn(String) -> String) -> String {
    a.iter()
        .filter(|v| !v.is_null())
        .map(|v| q(strval(v)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Go's `strconv.Quote` (`%q`).
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

fn title(s: &str) -> String {
    let mut out = String::new();
    let mut start = true;
    for c in s.chars() {
        if start && c.is_alphabetic() {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        start = !c.is_alphanumeric() && c != '\'';
    }
    out
}

fn trim_all(cutset: &str, s: &str) -> String {
    s.trim_matches(|c| cutset.contains(c)).to_string()
}

fn strip(s: &str, affix: &str, prefix: bool) -> String {
    let r = if prefix {
        s.strip_prefix(affix)
    } else {
        s.strip_suffix(affix)
    };
    r.unwrap_or(s).to_string()
}

fn substr(start: i64, end: i64, s: &str) -> String {
    let b = s.as_bytes();
    let len = b.len() as i64;
    let (start, end) = if start < 0 { (0, end) } else { (start, end) };
    let end = if end < 0 || end > len { len } else { end };
    if start > end {
        return String::new();
    }
    String::from_utf8_lossy(&b[start as usize..end as usize]).into_owned()
}

fn trunc(c: i64, s: &str) -> String {
    let len = s.len() as i64;
    let r = if c < 0 && len + c > 0 {
        &s.as_bytes()[(len + c) as usize..]
    } else if c >= 0 && len > c {
        &s.as_bytes()[..c as usize]
    } else {
        s.as_bytes()
    };
    String::from_utf8_lossy(r).into_owned()
}

/// sprig `indent`: the pad before the text and after every newline.
fn indent(n: i64, s: &str) -> String {
    let pad = " ".repeat(n.max(0) as usize);
    format!("{pad}{}", s.replace('\n', &format!("\n{pad}")))
}

fn split_dict(sep: &str, s: &str) -> Value {
    Value::Object(
        s.split(sep)
            .enumerate()
            .map(|(i, p)| (format!("_{i}"), Value::String(p.into())))
            .collect(),
    )
}

fn join(sep: &str, v: &Value) -> String {
    list_of(v)
        .iter()
        .filter(|x| !x.is_null())
        .map(strval)
        .collect::<Vec<_>>()
        .join(sep)
}

fn words(s: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in s.chars() {
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn camel(s: &str) -> String {
    s.split('_').map(|w| title(w)).collect()
}

/// Go's `${1}`/`$name` replacement syntax is the regex crate's too.
fn regex(p: &str) -> Result<regex::Regex> {
    regex::Regex::new(p).map_err(|e| e.to_string())
}

pub fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &x in data {
        a = (a + x as u32) % 65521;
        b = (b + a) % 65521;
    }
    (b << 16) | a
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

/// spf13/cast `ToInt`: numbers truncate, numeric strings parse (`0x`, `0o`, `0b` prefixes
/// too), booleans are 0/1, anything else 0.
fn to_int(v: &Value) -> i64 {
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

fn to_float(v: &Value) -> f64 {
    match v {
        Value::Number(n) => n.as_f64().unwrap_or(0.0),
        Value::Bool(b) => *b as i64 as f64,
        Value::String(s) => s.trim().parse().unwrap_or(0.0),
        _ => 0.0,
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

/// gosimple/slug `Make` with Flux Operator's settings (`MaxLength = 63`, smart truncation):
/// lower case, runs of anything but `[a-z0-9_-]` become `-`, `-`/`_` trimmed at the ends.
/// Non-ASCII letters are dropped (the real one transliterates them).
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

/// Flux Operator's `toYaml`: `sigs.k8s.io/yaml` `Marshal` (sorted keys, trailing newline).
fn to_yaml(v: &Value) -> String {
    super::super::goyaml::to_yaml(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn call(name: &str, args: Vec<Value>) -> Result<Value> {
        Funcs {
            inputs: Value::Null,
        }
        .call(name, args)
    }

    #[test]
    fn string_functions() {
        assert_eq!(
            call("quote", vec![json!("a\"b"), json!(2)]).unwrap(),
            json!("\"a\\\"b\" \"2\"")
        );
        assert_eq!(call("upper", vec![json!("ab")]).unwrap(), json!("AB"));
        assert!(
            call("upper", vec![json!(2)])
                .unwrap_err()
                .contains("expected string; got int64")
        );
        assert_eq!(
            call("replace", vec![json!("-"), json!("_"), json!("a-b-c")]).unwrap(),
            json!("a_b_c")
        );
        assert_eq!(
            call("trimSuffix", vec![json!(".x"), json!("a.x")]).unwrap(),
            json!("a")
        );
        assert_eq!(
            call("nindent", vec![json!(2), json!("a: 1\nb: 2")]).unwrap(),
            json!("\n  a: 1\n  b: 2")
        );
        assert_eq!(call("b64enc", vec![json!("hi")]).unwrap(), json!("aGk="));
        assert_eq!(call("b64dec", vec![json!("aGk=")]).unwrap(), json!("hi"));
        assert_eq!(
            call("trunc", vec![json!(3), json!("abcdef")]).unwrap(),
            json!("abc")
        );
        assert_eq!(
            call("kebabcase", vec![json!("myApp Name")]).unwrap(),
            json!("my-app-name")
        );
        assert_eq!(
            call("adler32sum", vec![json!("Wikipedia")]).unwrap(),
            json!("300286872")
        );
    }

    #[test]
    fn defaults_numbers_and_collections() {
        assert_eq!(
            call("default", vec![json!("d"), json!("")]).unwrap(),
            json!("d")
        );
        assert_eq!(
            call("default", vec![json!("d"), json!("v")]).unwrap(),
            json!("v")
        );
        assert_eq!(call("int", vec![json!("3")]).unwrap(), json!(3));
        assert_eq!(call("int", vec![json!("x")]).unwrap(), json!(0));
        assert_eq!(call("add", vec![json!(1), json!("2")]).unwrap(), json!(3));
        assert_eq!(
            call("list", vec![json!(1), json!("a")]).unwrap(),
            json!([1, "a"])
        );
        assert_eq!(
            call("dict", vec![json!("a"), json!(1)]).unwrap(),
            json!({"a": 1})
        );
        assert_eq!(
            call("get", vec![json!({"a": 1}), json!("b")]).unwrap(),
            json!("")
        );
        assert_eq!(
            call("join", vec![json!(","), json!(["a", 1])]).unwrap(),
            json!("a,1")
        );
        assert_eq!(
            call("has", vec![json!("a"), json!(["a"])]).unwrap(),
            json!(true)
        );
        assert_eq!(
            call("keys", vec![json!({"b": 1, "a": 2})]).unwrap(),
            json!(["a", "b"])
        );
    }

    #[test]
    fn builtins() {
        assert_eq!(
            call("eq", vec![json!("a"), json!("b"), json!("a")]).unwrap(),
            json!(true)
        );
        assert!(call("eq", vec![json!(1), json!(1.5)]).is_err());
        assert_eq!(call("lt", vec![json!(1), json!(2)]).unwrap(), json!(true));
        assert_eq!(call("and", vec![json!(1), json!("")]).unwrap(), json!(""));
        assert_eq!(call("or", vec![json!(""), json!("x")]).unwrap(), json!("x"));
        assert_eq!(call("len", vec![json!([1, 2])]).unwrap(), json!(2));
        assert_eq!(
            call("index", vec![json!({"a": [5, 6]}), json!("a"), json!(1)]).unwrap(),
            json!(6)
        );
        assert_eq!(
            call("index", vec![json!({"a": 1}), json!("z")]).unwrap(),
            Value::Null
        );
        assert_eq!(
            call("printf", vec![json!("%s-%d"), json!("a"), json!(3)]).unwrap(),
            json!("a-3")
        );
        assert_eq!(
            call("print", vec![json!(1), json!(2)]).unwrap(),
            json!("1 2")
        );
    }

    #[test]
    fn slugify_follows_gosimple_slug() {
        assert_eq!(slugify(">=1.0.0-rc.0"), "1-0-0-rc-0");
        assert_eq!(slugify("Hello World!"), "hello-world");
        assert_eq!(slugify("feat/UI_color"), "feat-ui_color");
        let long = "word-".repeat(20);
        assert!(slugify(&long).len() <= 63 && !slugify(&long).ends_with('-'));
    }
}
