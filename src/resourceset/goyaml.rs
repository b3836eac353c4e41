//! YAML text as `sigs.k8s.io/yaml` (go-yaml v2) writes it. Flux Operator turns each
//! `spec.resources` entry into YAML this way before templating it (`yaml.JSONToYAML` in
//! controlplaneio-fluxcd/flux-operator `internal/builder/resourceset.go`), and its `toYaml`
//! function uses `yaml.Marshal`; the exact text matters, because templates such as
//! `<< inputs.x | toYaml | nindent 4 >>` are written against its layout: keys sorted, two
//! spaces per level, list items at their key's indentation, template expressions left plain
//! (unquoted), strings that would read as another type double-quoted, multi-line strings as
//! literal blocks.

use serde_json::Value;

use super::template::value::format_float;

/// One document, ending with a newline (`{}` for an empty map, as go-yaml writes it).
pub fn to_yaml(v: &Value) -> String {
    let mut out = String::new();
    match v {
        Value::Object(m) if !m.is_empty() => mapping(m, 0, &mut out),
        Value::Array(a) if !a.is_empty() => sequence(a, 0, &mut out),
        other => {
            out.push_str(&scalar(other, 0));
            out.push('\n');
        }
    }
    out
}

fn pad(n: usize) -> String {
    " ".repeat(n)
}

fn mapping(m: &serde_json::Map<String, Value>, indent: usize, out: &mut String) {
    let mut keys: Vec<&String> = m.keys().collect();
    keys.sort();
    for (i, k) in keys.into_iter().enumerate() {
        // The first key of a list item shares the `- ` line.
        if i > 0 || !out.ends_with("- ") {
            out.push_str(&pad(indent));
        }
        out.push_str(&string(k, indent));
        out.push(':');
        value(&m[k], indent, true, out);
    }
}

fn sequence(a: &[Value], indent: usize, out: &mut String) {
    for (i, v) in a.iter().enumerate() {
        if i > 0 || !out.ends_with("- ") {
            out.push_str(&pad(indent));
        }
        out.push('-');
        value(v, indent, false, out);
    }
}

/// Writes a value after `key:` (in a map) or `-` (in a list).
fn value(v: &Value, indent: usize, in_map: bool, out: &mut String) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            if in_map {
                out.push('\n');
                mapping(m, indent + 2, out);
            } else {
                out.push(' ');
                mapping(m, indent + 2, out);
            }
        }
        Value::Array(a) if !a.is_empty() => {
            if in_map {
                out.push('\n');
                sequence(a, indent, out);
            } else {
                out.push(' ');
                sequence(a, indent + 2, out);
            }
        }
        other => {
            out.push(' ');
            out.push_str(&scalar(other, indent + 2));
            out.push('\n');
        }
    }
}

fn scalar(v: &Value, indent: usize) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match n.as_i64() {
            Some(i) => i.to_string(),
            None => n.as_u64().map_or_else(
                || format_float(n.as_f64().unwrap_or(0.0)),
                |u| u.to_string(),
            ),
        },
        Value::String(s) => string(s, indent),
        Value::Array(_) => "[]".into(),
        Value::Object(_) => "{}".into(),
    }
}

/// A string in go-yaml v2's style: plain when it reads back as the same string, a literal
/// block when it spans lines, single-quoted when plain is not allowed, double-quoted when it
/// would read as another type.
fn string(s: &str, indent: usize) -> String {
    if resolves_to_other_type(s) {
        return double_quoted(s);
    }
    if s.contains('\n') {
        return literal_block(s, indent);
    }
    if plain_allowed(s) {
        return s.to_string();
    }
    if s.chars().any(|c| c.is_control()) {
        return double_quoted(s);
    }
    format!("'{}'", s.replace('\'', "''"))
}

/// Whether go-yaml v2 would resolve the plain scalar to a non-string (YAML 1.1 rules).
fn resolves_to_other_type(s: &str) -> bool {
    const SPECIAL: &[&str] = &[
        "", "~", "null", "Null", "NULL", "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
        "true", "True", "TRUE", "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF",
        ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan",
        ".NaN", ".NAN", "<<",
    ];
    if SPECIAL.contains(&s) {
        return true;
    }
    let t = s.replace('_', "");
    let body = t.strip_prefix(['-', '+']).unwrap_or(&t);
    let int_like = !body.is_empty()
        && (body.chars().all(|c| c.is_ascii_digit())
            || body
                .strip_prefix("0x")
                .is_some_and(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit()))
            || body
                .strip_prefix("0b")
                .is_some_and(|b| !b.is_empty() && b.chars().all(|c| c == '0' || c == '1')));
    let float_like = body.parse::<f64>().is_ok()
        && body.chars().any(|c| c.is_ascii_digit())
        && !body.contains(['i', 'n', 'I', 'N']);
    // Base-60 numbers (`1:20`) are YAML 1.1 too.
    let sexagesimal = body.contains(':')
        && body
            .split(':')
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        && body.split(':').skip(1).all(|p| p.len() <= 2);
    int_like || float_like || sexagesimal
}

/// libyaml's `analyze_scalar` verdict for plain style in block context.
fn plain_allowed(s: &str) -> bool {
    let first = s.chars().next().unwrap_or(' ');
    let last = s.chars().last().unwrap_or(' ');
    if first == ' ' || last == ' ' || s.starts_with("---") || s.starts_with("...") {
        return false;
    }
    if "#,[]{}&*!|>'\"%@`".contains(first) {
        return false;
    }
    let second = s.chars().nth(1);
    if "-?:".contains(first) && second.is_none_or(|c| c == ' ') {
        return false;
    }
    if s.contains(": ") || s.contains(" #") || s.ends_with(':') {
        return false;
    }
    !s.chars().any(|c| c.is_control() || c == '\u{feff}')
}

fn literal_block(s: &str, indent: usize) -> String {
    let chomp = if !s.ends_with('\n') {
        "-"
    } else if s.ends_with("\n\n") {
        "+"
    } else {
        ""
    };
    let indicator = if s.starts_with(' ') { "2" } else { "" };
    let mut out = format!("|{indicator}{chomp}\n");
    let body = s.strip_suffix('\n').unwrap_or(s);
    for line in body.split('\n') {
        if !line.is_empty() {
            out.push_str(&pad(indent));
            out.push_str(line);
        }
        out.push('\n');
    }
    out.pop();
    out
}

fn double_quoted(s: &str) -> String {
    crate::resourceset::template::funcs::go_quote(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn layout_matches_sigs_yaml() {
        let v = json!({
            "spec": {"list": ["a", {"k": 1, "b": true}], "m": {}, "e": []},
            "apiVersion": "v1",
        });
        assert_eq!(
            to_yaml(&v),
            "apiVersion: v1\nspec:\n  e: []\n  list:\n  - a\n  - b: true\n    k: 1\n  m: {}\n"
        );
    }

    #[test]
    fn template_expressions_stay_plain() {
        let v = json!({"a": "<< inputs.replicas | int >>", "b": "x-<< inputs.t >>", "c": "<< if eq inputs.t \"a\" >>y<< end >>"});
        assert_eq!(
            to_yaml(&v),
            "a: << inputs.replicas | int >>\nb: x-<< inputs.t >>\nc: << if eq inputs.t \"a\" >>y<< end >>\n"
        );
    }

    #[test]
    fn ambiguous_strings_are_quoted() {
        let v =
            json!({"a": "2", "b": "yes", "c": "*", "d": "a: b", "e": "", "f": "1.5", "g": "it's"});
        assert_eq!(
            to_yaml(&v),
            "a: \"2\"\nb: \"yes\"\nc: '*'\nd: 'a: b'\ne: \"\"\nf: \"1.5\"\ng: it's\n"
        );
    }

    #[test]
    fn multi_line_strings_are_literal_blocks() {
        let v = json!({"data": {"x": "l1\nl2\n", "z": "l1\nl2"}});
        assert_eq!(
            to_yaml(&v),
            "data:\n  x: |\n    l1\n    l2\n  z: |-\n    l1\n    l2\n"
        );
        assert_eq!(to_yaml(&json!({})), "{}\n");
    }
}
