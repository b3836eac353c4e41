//! The line-based stores: dotenv (`stores/dotenv/store.go`) and INI (`stores/ini/store.go`, via
//! go-ini's parsing rules). Both keep their metadata flattened (`sops_age__list_0__map_enc=…` or a
//! `[sops]` section) and every value is a string.

use super::error::{SopsError, malformed};
use super::metadata::unflatten;
use super::tree::{Comment, Entry, Node, Scalar};
use serde_json::Value;

/// Loads a dotenv file: the tree (one mapping) and the unflattened metadata.
pub(crate) fn dotenv_load(text: &str) -> Result<(Node, Value), SopsError> {
    let mut entries = Vec::new();
    let mut meta = Vec::new();
    for (n, line) in text.split('\n').enumerate() {
        if line.is_empty() {
            continue;
        }
        if let Some(c) = line.strip_prefix('#') {
            entries.push(Entry::Comment(Comment::new(c)));
            continue;
        }
        let (k, v) = line
            .split_once('=')
            .ok_or_else(|| malformed(format!("invalid dotenv line {}: no '='", n + 1)))?;
        let v = v.replace("\\n", "\n");
        match k.strip_prefix("sops_") {
            Some(mk) => meta.push((mk.to_string(), v)),
            None => entries.push(Entry::Pair(k.to_string(), Node::Scalar(Scalar::Str(v)))),
        }
    }
    if meta.is_empty() {
        return Err(malformed("no sops metadata (sops_* lines) in dotenv file"));
    }
    Ok((Node::Map(entries), unflatten(&meta)))
}

/// Writes a dotenv file; nested values are an error, as in sops.
pub(crate) fn dotenv_emit(doc: &Node) -> Result<String, SopsError> {
    let Node::Map(entries) = doc else {
        return Err(malformed("dotenv output needs a mapping"));
    };
    let mut out = String::new();
    for entry in entries {
        match entry {
            Entry::Comment(c) => {
                out.push('#');
                out.push_str(&c.text);
                out.push('\n');
            }
            Entry::Pair(k, Node::Scalar(s)) => {
                out.push_str(k);
                out.push('=');
                out.push_str(&s.to_plain_string().replace('\n', "\\n"));
                out.push('\n');
            }
            Entry::Pair(k, _) => {
                return Err(malformed(format!(
                    "cannot use complex value '{k}' in a dotenv file"
                )));
            }
        }
    }
    Ok(out)
}

/// Loads an INI file: one mapping of sections (the `DEFAULT` section first) and the metadata of
/// the `[sops]` section.
pub(crate) fn ini_load(text: &str) -> Result<(Node, Value), SopsError> {
    let mut sections: Vec<(String, Vec<Entry>)> = vec![("DEFAULT".to_string(), Vec::new())];
    let mut pending: Vec<String> = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        if line.starts_with(';') || line.starts_with('#') {
            pending.push(line.to_string());
            continue;
        }
        if let Some(name) = line.strip_prefix('[') {
            let name = name
                .strip_suffix(']')
                .ok_or_else(|| malformed(format!("invalid INI section header on line {}", n + 1)))?
                .trim()
                .to_string();
            let comment = take_comment(&mut pending);
            let index = match sections.iter().position(|(s, _)| *s == name) {
                Some(i) => i,
                None => {
                    sections.push((name, Vec::new()));
                    sections.len() - 1
                }
            };
            if let Some(c) = comment {
                sections[index].1.insert(0, Entry::Comment(Comment::new(c)));
            }
            continue;
        }
        let cut = line
            .find(['=', ':'])
            .ok_or_else(|| malformed(format!("invalid INI line {}: no '=' or ':'", n + 1)))?;
        let key = line[..cut].trim().to_string();
        let (value, inline) = ini_value(line[cut + 1..].trim());
        let comment = take_comment(&mut pending);
        let Some((_, entries)) = sections.last_mut() else {
            continue;
        };
        // go-ini keeps the last value of a repeated key.
        entries.retain(|e| !matches!(e, Entry::Pair(k, _) if *k == key));
        entries.push(Entry::Pair(key, Node::Scalar(Scalar::Str(value))));
        if let Some(c) = comment.or(inline.map(|c| strip_comment_char(&c))) {
            entries.push(Entry::Comment(Comment::new(c)));
        }
    }
    let sops_index = sections
        .iter()
        .position(|(s, _)| s == "sops")
        .ok_or_else(|| malformed("no [sops] section in INI file"))?;
    let (_, sops_entries) = sections.remove(sops_index);
    let meta: Vec<(String, String)> = sops_entries
        .into_iter()
        .filter_map(|e| match e {
            Entry::Pair(k, Node::Scalar(Scalar::Str(v))) => Some((k, v)),
            _ => None,
        })
        .collect();
    let tree = sections
        .into_iter()
        .map(|(name, entries)| Entry::Pair(name, Node::Map(entries)))
        .collect();
    Ok((Node::Map(tree), unflatten(&meta)))
}

/// go-ini's value rules: surrounding quotes removed; otherwise an inline `#`/`;` comment is cut.
fn ini_value(v: &str) -> (String, Option<String>) {
    for q in ["\"\"\"", "\"", "'", "`"] {
        if v.len() >= 2 * q.len() && v.starts_with(q) && v.ends_with(q) {
            return (v[q.len()..v.len() - q.len()].to_string(), None);
        }
    }
    match v.find(['#', ';']) {
        Some(i) => (v[..i].trim().to_string(), Some(v[i..].to_string())),
        None => (v.to_string(), None),
    }
}

fn take_comment(pending: &mut Vec<String>) -> Option<String> {
    if pending.is_empty() {
        return None;
    }
    let joined = pending.join("\n");
    pending.clear();
    Some(strip_comment_char(&joined))
}

/// sops `stripCommentChar`: drops the leading `;`/`#` and spaces.
fn strip_comment_char(c: &str) -> String {
    if c.starts_with(';') {
        c.trim_start_matches([';', ' ']).to_string()
    } else if c.starts_with('#') {
        c.trim_start_matches(['#', ' ']).to_string()
    } else {
        c.to_string()
    }
}

/// Writes an INI file like go-ini: `key = value`, section and key comments as `; …` lines above.
pub(crate) fn ini_emit(doc: &Node) -> Result<String, SopsError> {
    let Node::Map(sections) = doc else {
        return Err(malformed("INI output needs a mapping of sections"));
    };
    let mut out = String::new();
    for entry in sections {
        let Entry::Pair(name, section) = entry else {
            continue;
        };
        let Node::Map(items) = section else {
            return Err(malformed(format!("INI section '{name}' must be a mapping")));
        };
        let mut body = String::new();
        let mut section_comment = None;
        let mut pending_key: Option<(String, String)> = None;
        let flush = |body: &mut String, key: Option<(String, String)>, comment: Option<&str>| {
            if let Some((k, v)) = key {
                if let Some(c) = comment {
                    body.push_str(&ini_comment(c));
                }
                body.push_str(&format!("{k} = {}\n", ini_quote(&v)));
            }
        };
        for (i, item) in items.iter().enumerate() {
            match item {
                Entry::Comment(c) if i == 0 => section_comment = Some(c.text.clone()),
                // A comment after a key is that key's comment (written above it).
                Entry::Comment(c) => {
                    let key = pending_key.take();
                    flush(&mut body, key, Some(&c.text));
                }
                Entry::Pair(k, Node::Scalar(s)) => {
                    let key = pending_key.replace((k.clone(), s.to_plain_string()));
                    flush(&mut body, key, None);
                }
                Entry::Pair(k, _) => {
                    return Err(malformed(format!(
                        "INI value '{name}.{k}' must be a scalar"
                    )));
                }
            }
        }
        flush(&mut body, pending_key.take(), None);
        if name == "DEFAULT" {
            if body.is_empty() {
                continue;
            }
            out.push_str(&body);
        } else {
            if let Some(c) = section_comment {
                out.push_str(&ini_comment(&c));
            }
            out.push_str(&format!("[{name}]\n"));
            out.push_str(&body);
        }
        out.push('\n');
    }
    Ok(out)
}

/// go-ini's quoting on write, so that the value reads back unchanged.
fn ini_quote(v: &str) -> String {
    if v.contains(['\n', '`']) {
        format!("\"\"\"{v}\"\"\"")
    } else if v.contains(['#', ';']) || v.trim() != v {
        format!("`{v}`")
    } else {
        v.to_string()
    }
}

fn ini_comment(c: &str) -> String {
    c.split('\n')
        .map(|l| {
            if l.starts_with([';', '#']) {
                format!("{l}\n")
            } else {
                format!("; {l}\n")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotenv_round_trip() {
        let text = "# c\nA=1\nB=x=y\nC=l1\\nl2\nsops_mac=M\nsops_age__list_0__map_enc=a\\nb\n";
        let (doc, meta) = dotenv_load(text).unwrap();
        assert_eq!(
            doc.get("C"),
            Some(&Node::Scalar(Scalar::Str("l1\nl2".into())))
        );
        assert_eq!(meta["age"][0]["enc"], "a\nb");
        assert_eq!(dotenv_emit(&doc).unwrap(), "# c\nA=1\nB=x=y\nC=l1\\nl2\n");
        assert!(dotenv_load("novalue\nsops_mac=x\n").is_err());
        assert!(dotenv_load("A=1\n").is_err());
    }

    #[test]
    fn ini_round_trip() {
        let text = "top = 1\n; sec comment\n[s]\n; key comment\nk = v ; inline\nq = \"quoted ; kept\"\n[sops]\nmac = M\n";
        let (doc, meta) = ini_load(text).unwrap();
        assert_eq!(meta["mac"], "M");
        let s = doc.get("s").unwrap();
        assert_eq!(s.get("k"), Some(&Node::Scalar(Scalar::Str("v".into()))));
        assert_eq!(
            s.get("q"),
            Some(&Node::Scalar(Scalar::Str("quoted ; kept".into())))
        );
        assert_eq!(
            doc.get("DEFAULT").and_then(|d| d.get("top")),
            Some(&Node::Scalar(Scalar::Str("1".into())))
        );
        let out = ini_emit(&doc).unwrap();
        assert!(
            out.starts_with("top = 1\n\n; sec comment\n[s]\n; key comment\nk = v\n"),
            "{out}"
        );
        let (again, _) = ini_load(&format!("{out}[sops]\nmac = M\n")).unwrap();
        assert_eq!(again.to_json(), doc.to_json());
    }
}
