//! Values as Go templates see the inputs: JSON decoded the Kubernetes way (whole numbers are
//! `int64`, others `float64`, objects `map[string]interface {}`), printed with `fmt`'s `%v`.

use serde_json::{Number, Value};

/// Go's name of the dynamic type, for error messages.
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "<nil>",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float64",
        Value::Number(_) => "int64",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

/// Template truth (Go `text/template` `isTrue`): false, 0, nil and empty values are false.
pub fn truth(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(m) => !m.is_empty(),
    }
}

/// `fmt.Sprint` of one value, as an action prints it (`<no value>` for nil).
pub fn print(v: &Value) -> String {
    match v {
        Value::Null => "<no value>".into(),
        other => sprint(other),
    }
}

/// `%v` formatting, with `<nil>` inside containers.
pub fn sprint(v: &Value) -> String {
    match v {
        Value::Null => "<nil>".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => number(n),
        Value::String(s) => s.clone(),
        Value::Array(a) => format!("[{}]", a.iter().map(sprint).collect::<Vec<_>>().join(" ")),
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys
                .iter()
                .map(|k| format!("{k}:{}", sprint(&m[*k])))
                .collect();
            format!("map[{}]", parts.join(" "))
        }
    }
}

fn number(n: &Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    if let Some(u) = n.as_u64() {
        return u.to_string();
    }
    format_float(n.as_f64().unwrap_or(0.0))
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 64)` (what `%v` prints for a float64).
pub fn format_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    if f == 0.0 {
        return "0".into();
    }
    let exp = f.abs().log10().floor() as i32;
    if (-4..21).contains(&exp) {
        let s = format!("{f}");
        return s;
    }
    // Shortest digits in scientific form, with Go's `e+21` / `e-05` exponent.
    let s = format!("{f:e}");
    let (mant, e) = s.split_once('e').unwrap_or((&s, "0"));
    let e: i32 = e.parse().unwrap_or(0);
    format!("{mant}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs())
}

/// A whole number value.
pub fn int(i: i64) -> Value {
    Value::Number(i.into())
}

/// A float value (NaN and infinities become null, which JSON cannot hold).
pub fn float(f: f64) -> Value {
    Number::from_f64(f).map_or(Value::Null, Value::Number)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn printing_follows_fmt() {
        assert_eq!(print(&Value::Null), "<no value>");
        assert_eq!(print(&json!(2)), "2");
        assert_eq!(print(&json!(1.5)), "1.5");
        assert_eq!(print(&json!(["a", 1, null])), "[a 1 <nil>]");
        assert_eq!(print(&json!({"b": 1, "a": "x"})), "map[a:x b:1]");
        assert_eq!(format_float(1e21), "1e+21");
        assert_eq!(format_float(0.00001), "1e-05");
        assert_eq!(format_float(100.0), "100");
    }

    #[test]
    fn truth_of_values() {
        assert!(
            !truth(&json!("")) && !truth(&json!(0)) && !truth(&json!([])) && !truth(&Value::Null)
        );
        assert!(truth(&json!("x")) && truth(&json!({"a": 1})));
    }
}
