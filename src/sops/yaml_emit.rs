//! Writes decrypted trees as YAML: block style, 2-space indent, comments kept as own-line
//! comments, strings quoted whenever a YAML 1.1 or 1.2 reader could take them for another type.
//! Valid and equivalent to sops' output, not byte-identical.

use super::tree::{Entry, Node, Scalar};
use super::yaml_resolve::resolve_plain;

/// Emits documents separated by `---`.
pub(crate) fn emit(docs: &[Node]) -> String {
    let mut out = String::new();
    for (i, doc) in docs.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        match doc {
            Node::Map(entries) if entries.is_empty() => out.push_str("{}\n"),
            Node::Seq(items) if items.is_empty() => out.push_str("[]\n"),
            Node::Map(entries) => map(&mut out, entries, 0),
            Node::Seq(items) => seq(&mut out, items, 0),
            Node::Scalar(s) => {
                out.push_str(&scalar(s, 0));
                out.push('\n');
            }
            Node::Comment(c) => {
                out.push('#');
                out.push_str(&c.text);
                out.push('\n');
            }
        }
    }
    out
}

fn map(out: &mut String, entries: &[Entry], indent: usize) {
    let pad = " ".repeat(indent);
    for entry in entries {
        match entry {
            Entry::Comment(c) => comment(out, &pad, &c.text),
            Entry::Pair(k, v) => {
                out.push_str(&pad);
                out.push_str(&key(k));
                out.push(':');
                value(out, v, indent, true);
            }
        }
    }
}

fn seq(out: &mut String, items: &[Node], indent: usize) {
    let pad = " ".repeat(indent);
    for item in items {
        if let Node::Comment(c) = item {
            comment(out, &pad, &c.text);
            continue;
        }
        out.push_str(&pad);
        out.push('-');
        match item {
            Node::Map(e) if !e.is_empty() => {
                // Write the mapping one level deeper, then fold its first indentation into "- ".
                let mut inner = String::new();
                map(&mut inner, e, indent + 2);
                out.push(' ');
                out.push_str(&inner[indent + 2..]);
            }
            Node::Seq(s) if !s.is_empty() => {
                let mut inner = String::new();
                seq(&mut inner, s, indent + 2);
                out.push(' ');
                out.push_str(&inner[indent + 2..]);
            }
            other => value(out, other, indent, false),
        }
    }
}

/// Writes what follows `key:` or `-`.
fn value(out: &mut String, v: &Node, indent: usize, in_map: bool) {
    match v {
        Node::Map(e) if e.is_empty() => out.push_str(" {}\n"),
        Node::Seq(s) if s.is_empty() => out.push_str(" []\n"),
        Node::Map(e) => {
            out.push('\n');
            map(out, e, indent + 2);
        }
        Node::Seq(s) => {
            out.push('\n');
            // Kubernetes style: a sequence under a key sits at the key's indentation.
            seq(out, s, if in_map { indent } else { indent + 2 });
        }
        Node::Scalar(s) => {
            out.push(' ');
            out.push_str(&scalar(s, indent + 2));
            out.push('\n');
        }
        Node::Comment(c) => {
            out.push_str(" #");
            out.push_str(&c.text);
            out.push('\n');
        }
    }
}

fn comment(out: &mut String, pad: &str, text: &str) {
    for line in text.split('\n') {
        out.push_str(pad);
        out.push('#');
        out.push_str(line);
        out.push('\n');
    }
}

fn key(k: &str) -> String {
    string(k, 0, false)
}

/// A scalar's text; block content (multi-line strings) is indented by `indent`.
fn scalar(s: &Scalar, indent: usize) -> String {
    match s {
        Scalar::Null => "null".into(),
        Scalar::Bool(b) => b.to_string(),
        Scalar::Int(i) => i.to_string(),
        Scalar::Float(f) if f.is_nan() => ".nan".into(),
        Scalar::Float(f) if f.is_infinite() => if *f > 0.0 { ".inf" } else { "-.inf" }.into(),
        Scalar::Float(f) => {
            let text = format!("{f:?}");
            // Keep it a float when read back (`3` would be an int).
            if text.contains(['.', 'e', 'E']) {
                text
            } else {
                format!("{text}.0")
            }
        }
        Scalar::Time { raw, .. } => raw.clone(),
        Scalar::Str(t) => string(t, indent, true),
        Scalar::Bytes(b) => string(&String::from_utf8_lossy(b), indent, true),
    }
}

fn string(s: &str, indent: usize, allow_block: bool) -> String {
    if s.contains('\n') && allow_block && block_safe(s) {
        return literal_block(s, indent);
    }
    if plain_safe(s) {
        return s.to_string();
    }
    // A JSON string is a valid YAML double-quoted scalar.
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_string())
}

/// Whether `s` can be written unquoted and read back as the same string by YAML 1.1 and 1.2
/// readers (so `yes`, `on`, `0755`, `1_000`, timestamps stay quoted).
fn plain_safe(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if s.trim() != s || s.contains(['\n', '\r', '\t']) || s.chars().any(char::is_control) {
        return false;
    }
    if "-?:,[]{}#&*!|>'\"%@`".contains(first)
        && !(first == '-' && s.len() > 1 && !s[1..].starts_with(' '))
    {
        return false;
    }
    if s.contains(": ")
        || s.contains(" #")
        || s.ends_with(':')
        || s.contains(['{', '}', '[', ']', ','])
    {
        return false;
    }
    if !matches!(resolve_plain(s), Scalar::Str(_)) {
        return false;
    }
    let lower = s.to_ascii_lowercase();
    let yaml11_bool =
        ["y", "yes", "n", "no", "on", "off", "true", "false"].contains(&lower.as_str());
    let numberish = s.starts_with(|c: char| c.is_ascii_digit() || c == '.' || c == '+' || c == '-')
        && s.replace(['_', ':'], "").parse::<f64>().is_ok();
    !yaml11_bool && !numberish && s != "<<" && s != "="
}

fn block_safe(s: &str) -> bool {
    !s.starts_with([' ', '\n'])
        && !s.chars().any(|c| c.is_control() && c != '\n')
        && s.split('\n').all(|line| !line.ends_with(' '))
}

fn literal_block(s: &str, indent: usize) -> String {
    let body = s.trim_end_matches('\n');
    let trailing = s.len() - body.len();
    let chomp = match trailing {
        0 => "-",
        1 => "",
        _ => "+",
    };
    let pad = " ".repeat(indent.max(2));
    let mut out = format!("|{chomp}");
    let lines: Vec<&str> = if trailing > 1 {
        s[..s.len() - 1].split('\n').collect()
    } else {
        body.split('\n').collect()
    };
    for line in lines {
        out.push('\n');
        if !line.is_empty() {
            out.push_str(&pad);
            out.push_str(line);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sops::yaml_store::parse;

    fn round_trip(text: &str) {
        let docs = parse(text).unwrap();
        let out = emit(&docs);
        let back = parse(&out).unwrap_or_else(|e| panic!("{e}\n{out}"));
        let json = |d: &[Node]| d.iter().map(Node::to_json).collect::<Vec<_>>();
        assert_eq!(json(&back), json(&docs), "{out}");
    }

    #[test]
    fn output_reads_back_equal() {
        round_trip(
            "a: yes\nb: '0755'\nc: \"1_000\"\nd: 'x: y'\ne: \"- a\"\nf: \"multi\\nline\\n\"\ng: \"no newline\\nend\"\nh: \"two\\n\\n\"\n",
        );
        round_trip(
            "l:\n- a\n- - b\n  - c\n- k: v\n  k2: [1, 2.5, true, null]\n- {}\n- []\nm: {}\nn: ' lead'\no: \"tab\\there\"\np: ''\n",
        );
        round_trip(
            "# c1\na:\n  # c2\n  b: 2024-01-02\n  c: 1.0\n  d: -7\n---\nx: \"2024-01-02\"\ny: '.5'\nz: '~'\n",
        );
    }

    #[test]
    fn comments_are_written() {
        let out = emit(&parse("# head\na: 1\nl:\n  - x\n  # mid\n  - z\n").unwrap());
        assert!(out.starts_with("# head\na: 1\n"), "{out}");
        assert!(out.contains("- x\n# mid\n- z\n"), "{out}");
    }
}
