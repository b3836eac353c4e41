//! The text Flux feeds to envsubst: `JSONToYAML(MarshalJSON(obj))`, i.e. go-yaml v2's
//! `Marshal` of the object.
//!
//! Scalar styles follow go-yaml v2 exactly (`encode.go stringv` + libyaml's
//! `yaml_emitter_analyze_scalar`/`select_scalar_style`), because the style decides what a
//! substituted value can do (inside `'…'` a `'` matters, inside `"…"` a `\`, plain text can
//! change type or structure). Layout: 2-space indent, sequences not indented under a key,
//! keys in go-yaml's natural order. Not reproduced: line wrapping at 80 columns and the
//! `? key` form for keys over 128 bytes (neither changes a substitution's result).

use super::resolve::{Resolved, is_base60_float, resolve};
use super::sort::sorted_entries;
use serde_json::Value;

/// Serializes a JSON value as go-yaml v2 would.
pub(crate) fn to_yaml(v: &Value) -> String {
    let mut out = String::new();
    match v {
        Value::Object(m) if !m.is_empty() => emit_map(m, 0, false, &mut out),
        Value::Array(a) if !a.is_empty() => emit_seq(a, 0, false, &mut out),
        _ => {
            // A bare scalar document.
            out.push_str(&scalar_text(v, 0));
            out.push('\n');
        }
    }
    out
}

fn indent(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

fn emit_map(m: &serde_json::Map<String, Value>, ind: usize, inline_first: bool, out: &mut String) {
    for (i, (k, v)) in sorted_entries(m).into_iter().enumerate() {
        if i > 0 || !inline_first {
            indent(out, ind);
        }
        out.push_str(&key_text(k));
        out.push(':');
        match v {
            Value::Object(c) if !c.is_empty() => {
                out.push('\n');
                emit_map(c, ind + 2, false, out);
            }
            Value::Array(a) if !a.is_empty() => {
                out.push('\n');
                // go-yaml v2 does not indent a sequence under a mapping key.
                emit_seq(a, ind, false, out);
            }
            _ => {
                out.push(' ');
                out.push_str(&scalar_text(v, ind + 2));
                out.push('\n');
            }
        }
    }
}

fn emit_seq(a: &[Value], ind: usize, inline_first: bool, out: &mut String) {
    for (i, v) in a.iter().enumerate() {
        if i > 0 || !inline_first {
            indent(out, ind);
        }
        out.push_str("- ");
        match v {
            Value::Object(c) if !c.is_empty() => emit_map(c, ind + 2, true, out),
            Value::Array(s) if !s.is_empty() => emit_seq(s, ind + 2, true, out),
            _ => {
                out.push_str(&scalar_text(v, ind + 2));
                out.push('\n');
            }
        }
    }
}

/// A scalar or empty collection; `content_indent` is where literal block lines go.
fn scalar_text(v: &Value, content_indent: usize) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => i.to_string(),
            (_, Some(u), _) => u.to_string(),
            // `{:?}` keeps a `.0` or an exponent, so the text reads back as a float.
            (_, _, Some(f)) => format!("{f:?}"),
            _ => n.to_string(),
        },
        Value::String(s) => string_text(s, content_indent, false),
        Value::Array(_) => "[]".into(),
        Value::Object(_) => "{}".into(),
    }
}

fn key_text(k: &str) -> String {
    string_text(k, 0, true)
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

/// go-yaml v2 `stringv` + libyaml style selection for a string in block context.
fn select_style(s: &str, is_key: bool) -> Style {
    let rtag = resolve(s);
    let can_use_plain = rtag == Resolved::Str && !is_base60_float(s);
    let requested = if s.contains('\n') {
        Style::Literal
    } else if can_use_plain {
        Style::Plain
    } else {
        Style::Double
    };
    let a = analyze(s);
    let mut style = requested;
    if is_key && a.multiline {
        style = Style::Double;
    }
    if style == Style::Plain && (!a.block_plain || (s.is_empty() && is_key)) {
        style = Style::Single;
    }
    if style == Style::Single && !a.single {
        style = Style::Double;
    }
    if style == Style::Literal && (!a.block || is_key) {
        style = Style::Double;
    }
    style
}

fn string_text(s: &str, content_indent: usize, is_key: bool) -> String {
    match select_style(s, is_key) {
        Style::Plain => s.to_string(),
        Style::Single => format!("'{}'", s.replace('\'', "''")),
        Style::Double => double_quoted(s),
        Style::Literal => literal(s, content_indent),
    }
}

struct Analysis {
    multiline: bool,
    block_plain: bool,
    single: bool,
    block: bool,
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// libyaml's `is_printable` (with `unicode` output enabled, as go-yaml sets it).
fn is_printable(c: char) -> bool {
    matches!(c, '\n' | '\u{20}'..='\u{7E}' | '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}')
        && c != '\u{FEFF}'
}

/// `yaml_emitter_analyze_scalar`, keeping the flags that matter in block context.
fn analyze(s: &str) -> Analysis {
    if s.is_empty() {
        return Analysis {
            multiline: false,
            block_plain: true,
            single: true,
            block: false,
        };
    }
    let chars: Vec<char> = s.chars().collect();
    let mut block_indicators = s.starts_with("---") || s.starts_with("...");
    let (mut line_breaks, mut special) = (false, false);
    let (mut leading_space, mut leading_break) = (false, false);
    let (mut trailing_space, mut trailing_break) = (false, false);
    let (mut break_space, mut space_break) = (false, false);
    let (mut previous_space, mut previous_break) = (false, false);
    let mut preceded_by_whitespace = true;
    let last = chars.len() - 1;
    for (i, &c) in chars.iter().enumerate() {
        let followed_by_whitespace = chars.get(i + 1).is_none_or(|&n| n == ' ' || n == '\t');
        if i == 0 {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => block_indicators = true,
                '?' | ':' | '-' if followed_by_whitespace => block_indicators = true,
                _ => {}
            }
        } else {
            match c {
                ':' if followed_by_whitespace => block_indicators = true,
                '#' if preceded_by_whitespace => block_indicators = true,
                _ => {}
            }
        }
        if !is_printable(c) {
            special = true;
        }
        if c == ' ' {
            leading_space |= i == 0;
            trailing_space |= i == last;
            break_space |= previous_break;
            previous_space = true;
            previous_break = false;
        } else if is_break(c) {
            line_breaks = true;
            leading_break |= i == 0;
            trailing_break |= i == last;
            space_break |= previous_space;
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_whitespace = c == ' ' || c == '\t' || c == '\0' || is_break(c);
    }
    let mut a = Analysis {
        multiline: line_breaks,
        block_plain: true,
        single: true,
        block: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break || line_breaks {
        a.block_plain = false;
    }
    if trailing_space {
        a.block = false;
    }
    if break_space {
        a.block_plain = false;
        a.single = false;
    }
    if space_break || special {
        a.block_plain = false;
        a.single = false;
        a.block = false;
    }
    if block_indicators {
        a.block_plain = false;
    }
    a
}

/// `yaml_emitter_write_double_quoted_scalar` without line wrapping.
fn double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if is_printable(c) && !is_break(c) && c != '"' && c != '\\' {
            out.push(c);
            continue;
        }
        out.push('\\');
        match c {
            '\0' => out.push('0'),
            '\u{7}' => out.push('a'),
            '\u{8}' => out.push('b'),
            '\t' => out.push('t'),
            '\n' => out.push('n'),
            '\u{b}' => out.push('v'),
            '\u{c}' => out.push('f'),
            '\r' => out.push('r'),
            '\u{1b}' => out.push('e'),
            '"' => out.push('"'),
            '\\' => out.push('\\'),
            '\u{85}' => out.push('N'),
            '\u{a0}' => out.push('_'),
            '\u{2028}' => out.push('L'),
            '\u{2029}' => out.push('P'),
            c if (c as u32) <= 0xFF => out.push_str(&format!("x{:02X}", c as u32)),
            c if (c as u32) <= 0xFFFF => out.push_str(&format!("u{:04X}", c as u32)),
            c => out.push_str(&format!("U{:08X}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// `yaml_emitter_write_literal_scalar`: `|` with indentation and chomping hints.
///
/// Only `\n` starts a new line here: libyaml also breaks at U+0085/U+2028/U+2029 (YAML 1.1
/// line breaks), which the YAML 1.2 reader used to read the result back would keep as text.
fn literal(s: &str, content_indent: usize) -> String {
    let mut out = String::from("|");
    if s.starts_with([' ', '\n']) || s.starts_with(is_break) {
        out.push('2');
    }
    let trailing = s.len() - s.trim_end_matches('\n').len();
    match trailing {
        0 => out.push('-'),
        1 if s.len() > 1 => {}
        _ => out.push('+'),
    }
    for line in s.strip_suffix('\n').unwrap_or(s).split('\n') {
        out.push('\n');
        if !line.is_empty() {
            indent(&mut out, content_indent);
            out.push_str(line);
        }
    }
    out
}
