//! slim-sprig's string functions.

use base64::Engine;
use serde_json::Value;
use sha2::Digest;

use super::*;

/// Evaluates a string function, `None` when `name` is not one.
pub(super) fn eval(name: &str, a: &[Value], inputs: &Value) -> Result<Option<Value>> {
    let _ = inputs;
    Ok(Some(match name {
        "quote" => Value::String(quote_all(a, |x| go_quote(&x))),
        "squote" => Value::String(quote_all(a, |x| format!("'{x}'"))),
        "upper" => Value::String(str_arg(a, 0)?.to_uppercase()),
        "lower" => Value::String(str_arg(a, 0)?.to_lowercase()),
        "title" => Value::String(title(str_arg(a, 0)?)),
        "trim" => Value::String(str_arg(a, 0)?.trim().to_string()),
        "trimAll" => Value::String(trim_all(str_arg(a, 0)?, str_arg(a, 1)?)),
        "trimPrefix" => Value::String(strip(str_arg(a, 1)?, str_arg(a, 0)?, true)),
        "trimSuffix" => Value::String(strip(str_arg(a, 1)?, str_arg(a, 0)?, false)),
        "replace" => Value::String(str_arg(a, 2)?.replace(str_arg(a, 0)?, str_arg(a, 1)?)),
        "contains" => Value::Bool(str_arg(a, 1)?.contains(str_arg(a, 0)?)),
        "hasPrefix" => Value::Bool(str_arg(a, 1)?.starts_with(str_arg(a, 0)?)),
        "hasSuffix" => Value::Bool(str_arg(a, 1)?.ends_with(str_arg(a, 0)?)),
        "repeat" => Value::String(str_arg(a, 1)?.repeat(int_arg(a, 0)?.max(0) as usize)),
        "substr" => Value::String(substr(int_arg(a, 0)?, int_arg(a, 1)?, str_arg(a, 2)?)),
        "trunc" => Value::String(trunc(int_arg(a, 0)?, str_arg(a, 1)?)),
        "indent" => Value::String(indent(int_arg(a, 0)?, str_arg(a, 1)?)),
        "nindent" => Value::String(format!("\n{}", indent(int_arg(a, 0)?, str_arg(a, 1)?))),
        "nospace" => Value::String(
            str_arg(a, 0)?
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
            str_arg(a, 1)?
                .split(str_arg(a, 0)?)
                .map(|x| Value::String(x.into()))
                .collect(),
        ),
        "split" => split_dict(str_arg(a, 0)?, str_arg(a, 1)?),
        "join" => Value::String(join(str_arg(a, 0)?, a.get(1).unwrap_or(&Value::Null))),
        "toString" => Value::String(strval(one(a)?)),
        "toStrings" => Value::Array(
            list_of(one(a)?)
                .iter()
                .map(|v| Value::String(strval(v)))
                .collect(),
        ),
        "snakecase" => Value::String(words(str_arg(a, 0)?).join("_")),
        "kebabcase" => Value::String(words(str_arg(a, 0)?).join("-")),
        "camelcase" => Value::String(camel(str_arg(a, 0)?)),
        "regexMatch" => Value::Bool(regex(str_arg(a, 0)?)?.is_match(str_arg(a, 1)?)),
        "regexFind" => Value::String(
            regex(str_arg(a, 0)?)?
                .find(str_arg(a, 1)?)
                .map(|m| m.as_str().to_string())
                .unwrap_or_default(),
        ),
        "regexReplaceAll" => Value::String(
            regex(str_arg(a, 0)?)?
                .replace_all(str_arg(a, 1)?, str_arg(a, 2)?)
                .into_owned(),
        ),
        "b64enc" => Value::String(base64::engine::general_purpose::STANDARD.encode(str_arg(a, 0)?)),
        "b64dec" => Value::String(
            base64::engine::general_purpose::STANDARD
                .decode(str_arg(a, 0)?)
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_else(|e| e.to_string()),
        ),
        "sha256sum" => Value::String(hex::encode(sha2::Sha256::digest(str_arg(a, 0)?))),
        "sha1sum" => return Err("sha1sum is not available in fluxsim".into()),
        "adler32sum" => Value::String(adler32(str_arg(a, 0)?.as_bytes()).to_string()),
        _ => return Ok(None),
    }))
}

fn quote_all(a: &[Value], q: impl Fn(String) -> String) -> String {
    a.iter()
        .filter(|v| !v.is_null())
        .map(|v| q(strval(v)))
        .collect::<Vec<_>>()
        .join(" ")
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
    s.split('_').map(title).collect()
}

fn regex(p: &str) -> Result<regex::Regex> {
    regex::Regex::new(p).map_err(|e| e.to_string())
}
