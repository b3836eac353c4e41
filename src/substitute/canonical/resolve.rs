//! Plain-scalar type resolution of go-yaml v2 (`resolve.go`), which Flux's `YAMLToJSON` uses.
//!
//! YAML 1.1 flavoured: `y/yes/on` are booleans, `0755` is octal, `0x1F`/`0b1`/`0o7` and
//! `1_000` are ints, `08` is the float 8, `1e400` stays a string, timestamps stay strings.
//! The emitter uses the same function to decide which strings must be quoted.

/// What a plain scalar resolves to.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Resolved {
    Str,
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    /// A date/time spelling: a string when decoded into `interface{}`, but quoted on output.
    Timestamp,
    /// `<<`, the merge key.
    Merge,
}

/// go-yaml v2 `resolve("", s)`.
pub(super) fn resolve(s: &str) -> Resolved {
    if let Some(r) = resolve_map(s) {
        return r;
    }
    match s.as_bytes().first() {
        Some(b'.') => match parse_float_dot(s) {
            Some(f) => Resolved::Float(f),
            None => Resolved::Str,
        },
        Some(b'+' | b'-' | b'0'..=b'9') => resolve_number(s),
        _ => Resolved::Str,
    }
}

fn resolve_map(s: &str) -> Option<Resolved> {
    Some(match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            Resolved::Bool(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            Resolved::Bool(false)
        }
        "" | "~" | "null" | "Null" | "NULL" => Resolved::Null,
        ".nan" | ".NaN" | ".NAN" => Resolved::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => Resolved::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => Resolved::Float(f64::NEG_INFINITY),
        "<<" => Resolved::Merge,
        _ => return None,
    })
}

/// The digit/sign branch: timestamp, int, uint, float, `0b`.
fn resolve_number(s: &str) -> Resolved {
    if is_timestamp(s) {
        return Resolved::Timestamp;
    }
    let plain = s.replace('_', "");
    if let Some(i) = go_parse_int(&plain) {
        return Resolved::Int(i);
    }
    if let Some(u) = go_parse_uint(&plain) {
        return Resolved::Uint(u);
    }
    if is_yaml_style_float(&plain)
        && let Some(f) = parse_finite(&plain)
    {
        return Resolved::Float(f);
    }
    // Go's extra `0b`/`-0b` branches are already covered by base-0 ParseInt above.
    Resolved::Str
}

/// Go's `strconv.ParseFloat` returns an error (and go-yaml keeps the string) on overflow.
fn parse_finite(s: &str) -> Option<f64> {
    s.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// `strconv.ParseFloat` on text starting with `.`: only `.digits[e±digits]` is valid.
fn parse_float_dot(s: &str) -> Option<f64> {
    let rest = s.strip_prefix('.')?;
    let (mantissa, exp) = match rest.find(['e', 'E']) {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let exp_ok = exp.is_none_or(|e| all_digits(e.strip_prefix(['+', '-']).unwrap_or(e)));
    if !all_digits(mantissa) || !exp_ok {
        return None;
    }
    parse_finite(s)
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
fn is_yaml_style_float(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (mantissa, exp) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some(("", frac)) => all_digits(frac),
        Some((int, frac)) => all_digits(int) && (frac.is_empty() || all_digits(frac)),
        None => all_digits(mantissa),
    };
    let exp_ok = exp.is_none_or(|e| all_digits(e.strip_prefix(['+', '-']).unwrap_or(e)));
    mantissa_ok && exp_ok
}

/// `strconv.ParseUint(s, 0, 64)`: base prefixes `0x`, `0o`, `0b`, and a leading `0` for octal.
fn go_parse_uint(s: &str) -> Option<u64> {
    // Compare bytes: the first two bytes need not be a char boundary.
    let lower = |p: &str| {
        s.as_bytes()
            .get(..2)
            .is_some_and(|b| b.eq_ignore_ascii_case(p.as_bytes()))
    };
    let (digits, radix) = if lower("0x") {
        (&s[2..], 16)
    } else if lower("0o") {
        (&s[2..], 8)
    } else if lower("0b") {
        (&s[2..], 2)
    } else if s.len() > 1 && s.starts_with('0') {
        (&s[1..], 8)
    } else {
        (s, 10)
    };
    // from_str_radix would accept a sign; Go's ParseUint does not.
    if digits.is_empty() || digits.starts_with(['+', '-']) {
        return None;
    }
    u64::from_str_radix(digits, radix).ok()
}

/// `strconv.ParseInt(s, 0, 64)`.
fn go_parse_int(s: &str) -> Option<i64> {
    let (neg, rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let u = go_parse_uint(rest)? as i128;
    let v = if neg { -u } else { u };
    i64::try_from(v).ok()
}

/// go-yaml's `isBase60Float`: such strings are quoted on output for YAML 1.1 readers.
/// `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`
pub(super) fn is_base60_float(s: &str) -> bool {
    if !s.contains(':') {
        return false;
    }
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (body, frac) = match s.split_once('.') {
        Some((b, f)) => (b, Some(f)),
        None => (s, None),
    };
    if frac.is_some_and(|f| !f.bytes().all(|b| b.is_ascii_digit() || b == b'_')) {
        return false;
    }
    let mut parts = body.split(':');
    let head = parts.next().unwrap_or("");
    let head_ok = head.as_bytes().first().is_some_and(u8::is_ascii_digit)
        && head.bytes().all(|b| b.is_ascii_digit() || b == b'_');
    head_ok
        && parts.all(|p| match p.as_bytes() {
            [d] => d.is_ascii_digit(),
            [a, b] => (b'0'..=b'5').contains(a) && b.is_ascii_digit(),
            _ => false,
        })
}

/// go-yaml's `parseTimestamp`: `YYYY-M-D`, optionally followed by `[Tt ]h:m:s[.frac]` and,
/// for `T`/`t`, a `Z` or `±hh:mm` zone (approximating Go's `time.Parse` range checks).
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return false;
    }
    let (date, time) = match s.find(['T', 't', ' ']) {
        Some(i) => (&s[..i], Some((&s[i..i + 1], &s[i + 1..]))),
        None => (s, None),
    };
    let mut d = date.split('-');
    let (_, Some(m), Some(day), None) = (d.next(), d.next(), d.next(), d.next()) else {
        return false;
    };
    if !small_num(m, 1, 12) || !small_num(day, 1, 31) {
        return false;
    }
    let Some((sep, time)) = time else {
        return true;
    };
    let (clock, zone) = if sep == " " {
        (time, "")
    } else {
        match time.find(['Z', '+', '-']) {
            Some(i) => time.split_at(i),
            None => return false,
        }
    };
    let (hms, frac) = match clock.split_once('.') {
        Some((h, f)) => (h, Some(f)),
        None => (clock, None),
    };
    let mut t = hms.split(':');
    let (Some(h), Some(mi), Some(se), None) = (t.next(), t.next(), t.next(), t.next()) else {
        return false;
    };
    let zone_ok = zone == "Z"
        || zone.is_empty() && sep == " "
        || zone.len() == 6
            && zone.get(1..3).is_some_and(|h| small_num(h, 0, 23))
            && zone.get(3..4) == Some(":")
            && zone.get(4..).is_some_and(|m| small_num(m, 0, 59));
    small_num(h, 0, 23)
        && small_num(mi, 0, 59)
        && small_num(se, 0, 59)
        && frac.is_none_or(all_digits)
        && zone_ok
}

fn small_num(s: &str, lo: u32, hi: u32) -> bool {
    (1..=2).contains(&s.len())
        && all_digits(s)
        && s.parse::<u32>().is_ok_and(|v| (lo..=hi).contains(&v))
}

#[cfg(test)]
mod tests {
    use super::{Resolved::*, is_base60_float, resolve};

    #[test]
    fn go_yaml_v2_resolution() {
        for s in [
            "y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE",
        ] {
            assert_eq!(resolve(s), Bool(true), "{s}");
        }
        for s in ["n", "N", "no", "NO", "off", "OFF", "false", "False"] {
            assert_eq!(resolve(s), Bool(false), "{s}");
        }
        for s in [
            "yES", "tRUE", "On1", "nO", "abc", "1.2.3", "-", "+", ".", "1e", "0x", "08.5.1",
        ] {
            assert_eq!(resolve(s), Str, "{s}");
        }
        for s in ["", "~", "null", "Null", "NULL"] {
            assert_eq!(resolve(s), Null, "{s:?}");
        }
        assert_eq!(resolve("nULL"), Str);
        assert_eq!(resolve("3"), Int(3));
        assert_eq!(resolve("-3"), Int(-3));
        assert_eq!(resolve("+3"), Int(3));
        assert_eq!(resolve("0755"), Int(493));
        assert_eq!(resolve("0o17"), Int(15));
        assert_eq!(resolve("0x1F"), Int(31));
        assert_eq!(resolve("-0x1F"), Int(-31));
        assert_eq!(resolve("0b101"), Int(5));
        assert_eq!(resolve("-0b101"), Int(-5));
        assert_eq!(resolve("1_000"), Int(1000));
        assert_eq!(resolve("08"), Float(8.0));
        assert_eq!(resolve("09.5"), Float(9.5));
        assert_eq!(resolve("1.0"), Float(1.0));
        assert_eq!(resolve("1."), Float(1.0));
        assert_eq!(resolve(".5"), Float(0.5));
        assert_eq!(resolve("+.5"), Float(0.5));
        assert_eq!(resolve("1e3"), Float(1000.0));
        assert_eq!(resolve("1E+3"), Float(1000.0));
        assert_eq!(resolve("1e400"), Str);
        assert_eq!(resolve("._5"), Str);
        assert_eq!(resolve(".inf"), Float(f64::INFINITY));
        assert_eq!(resolve("18446744073709551615"), Uint(u64::MAX));
        assert_eq!(
            resolve("18446744073709551616"),
            Float(18446744073709551616.0)
        );
        assert_eq!(resolve("1:20"), Str);
        assert_eq!(resolve("2024-01-02"), Timestamp);
        assert_eq!(resolve("2024-1-2T10:00:00Z"), Timestamp);
        assert_eq!(resolve("2024-01-02 10:00:00.5"), Timestamp);
        assert_eq!(resolve("2024-13-02"), Str);
        assert_eq!(resolve("<<"), Merge);
    }

    #[test]
    fn base60() {
        assert!(is_base60_float("1:20"));
        assert!(is_base60_float("-190:20:30.15"));
        assert!(!is_base60_float("1:2:x"));
        assert!(!is_base60_float("a:1"));
        assert!(!is_base60_float("1:60"));
    }
}
