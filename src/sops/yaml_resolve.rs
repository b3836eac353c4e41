//! go-yaml v3 scalar resolution (`resolve.go`), as sops sees YAML values: YAML 1.2 booleans,
//! `0755`/`0o755`/`0x1f`/`0b1` integers, `1e3` floats, `.inf`/`.nan`, unquoted timestamps.
//! Needed so that plaintext leaves hash to the same MAC bytes as in sops.

use super::timefmt;
use super::tree::Scalar;

/// Resolves a plain (unquoted, untagged) scalar.
pub(crate) fn resolve_plain(text: &str) -> Scalar {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Scalar::Null,
        "true" | "True" | "TRUE" => return Scalar::Bool(true),
        "false" | "False" | "FALSE" => return Scalar::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Scalar::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Scalar::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Scalar::Float(f64::NAN),
        _ => {}
    }
    let first = text.as_bytes()[0];
    if first == b'.' {
        // go-yaml's '.' hint: a float such as `.5`, else a string.
        return match text.parse::<f64>() {
            Ok(f)
                if text[1..]
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b"eE+-".contains(&b)) =>
            {
                Scalar::Float(f)
            }
            _ => Scalar::Str(text.to_string()),
        };
    }
    if first.is_ascii_digit() || first == b'+' || first == b'-' {
        if let Some(t) = timefmt::parse_yaml_timestamp(text) {
            return Scalar::Time {
                raw: text.to_string(),
                canonical: t.rfc3339_nano(),
            };
        }
        let plain = text.replace('_', "");
        if let Some(i) = parse_go_int(&plain) {
            return i;
        }
        if is_yaml_float(&plain)
            && let Ok(f) = plain.parse::<f64>()
        {
            return Scalar::Float(f);
        }
    }
    Scalar::Str(text.to_string())
}

/// Go `strconv.ParseInt(s, 0, 64)` (then `ParseUint`, whose values become floats here as they
/// do not fit sops' `int`), plus go-yaml's `0o`/`0b` forms.
fn parse_go_int(s: &str) -> Option<Scalar> {
    let (negative, digits) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() {
        return None;
    }
    let lower = digits.to_ascii_lowercase();
    let (radix, body) = if let Some(rest) = lower.strip_prefix("0x") {
        (16, rest.to_string())
    } else if let Some(rest) = lower.strip_prefix("0o") {
        (8, rest.to_string())
    } else if let Some(rest) = lower.strip_prefix("0b") {
        (2, rest.to_string())
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, lower[1..].to_string())
    } else {
        (10, lower)
    };
    if body.is_empty() || !body.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = u128::from_str_radix(&body, radix).ok()?;
    let value: i128 = if negative {
        -(magnitude as i128)
    } else {
        magnitude as i128
    };
    if let Ok(i) = i64::try_from(value) {
        Some(Scalar::Int(i))
    } else if let Ok(u) = u64::try_from(value) {
        Some(Scalar::Float(u as f64))
    } else {
        None
    }
}

/// go-yaml's `yamlStyleFloat`: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_yaml_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
    }
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let int_digits = i - int_start;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let frac_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if int_digits == 0 && i == frac_start {
            return false;
        }
    } else if int_digits == 0 {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
            i += 1;
        }
        let exp_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == exp_start {
            return false;
        }
    }
    i == b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_yaml_v3_resolution() {
        assert_eq!(resolve_plain("0755"), Scalar::Int(493));
        assert_eq!(resolve_plain("0o755"), Scalar::Int(493));
        assert_eq!(resolve_plain("0xff"), Scalar::Int(255));
        assert_eq!(resolve_plain("-0b101"), Scalar::Int(-5));
        assert_eq!(resolve_plain("1_000"), Scalar::Int(1000));
        assert_eq!(resolve_plain("42"), Scalar::Int(42));
        assert_eq!(resolve_plain("08"), Scalar::Float(8.0));
        assert_eq!(resolve_plain("1e21"), Scalar::Float(1e21));
        assert_eq!(resolve_plain("3.0"), Scalar::Float(3.0));
        assert_eq!(resolve_plain(".5"), Scalar::Float(0.5));
        assert_eq!(resolve_plain("yes"), Scalar::Str("yes".into()));
        assert_eq!(resolve_plain("on"), Scalar::Str("on".into()));
        assert_eq!(resolve_plain("True"), Scalar::Bool(true));
        assert_eq!(resolve_plain("~"), Scalar::Null);
        assert_eq!(resolve_plain("-"), Scalar::Str("-".into()));
        assert_eq!(resolve_plain("1.2.3"), Scalar::Str("1.2.3".into()));
        assert_eq!(
            resolve_plain("10.42.0.0/16"),
            Scalar::Str("10.42.0.0/16".into())
        );
        assert!(
            matches!(resolve_plain("2024-01-02"), Scalar::Time { canonical, .. } if canonical == "2024-01-02T00:00:00Z")
        );
        assert_eq!(
            resolve_plain("9223372036854775808"),
            Scalar::Float(9223372036854775808.0)
        );
    }
}
