//! Go's `path.Match`, the matcher behind `fs.Glob`, which source-watcher uses for every copy
//! pattern except the `Extract` strategy (fluxcd/source-watcher `internal/builder/builder.go`,
//! `getGlobMatchingEntries`). Its rules differ from shell and gitignore globs: `*` never crosses a
//! `/`, so `**` is just two `*`s; `[^…]` negates a class; `\` escapes; and a malformed pattern is
//! an error even when the name does not match (Go reports `syntax error in pattern`).

/// A malformed pattern (Go's `path.ErrBadPattern`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("syntax error in pattern")]
pub struct BadPattern;

/// Whether `name` matches the whole of `pattern`, with Go's `path.Match` semantics.
pub fn go_match(pattern: &str, name: &str) -> Result<bool, BadPattern> {
    let mut pattern = pattern;
    let mut name = name;
    'outer: while !pattern.is_empty() {
        let (star, chunk, rest) = scan_chunk(pattern);
        pattern = rest;
        if star && chunk.is_empty() {
            // A trailing star matches the rest of the segment.
            return Ok(!name.contains('/'));
        }
        let (t, ok) = match_chunk(chunk, name)?;
        if ok && (t.is_empty() || !pattern.is_empty()) {
            name = t;
            continue;
        }
        if star {
            // Try the chunk at every later position of this segment.
            for (i, c) in name.char_indices() {
                if c == '/' {
                    break;
                }
                let (t, ok) = match_chunk(chunk, &name[i + c.len_utf8()..])?;
                if ok {
                    if pattern.is_empty() && !t.is_empty() {
                        continue;
                    }
                    name = t;
                    continue 'outer;
                }
            }
        }
        // Go still reports a syntax error in the rest of the pattern.
        while !pattern.is_empty() {
            let (_, chunk, rest) = scan_chunk(pattern);
            pattern = rest;
            match_chunk(chunk, "")?;
        }
        return Ok(false);
    }
    Ok(name.is_empty())
}

/// Splits off leading stars and the literal-ish chunk up to the next unbracketed star.
fn scan_chunk(pattern: &str) -> (bool, &str, &str) {
    let trimmed = pattern.trim_start_matches('*');
    let star = trimmed.len() != pattern.len();
    let bytes = trimmed.as_bytes();
    let mut in_range = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b'[' => in_range = true,
            b']' => in_range = false,
            b'*' if !in_range => break,
            _ => {}
        }
        i += 1;
    }
    let i = i.min(bytes.len());
    (star, &trimmed[..i], &trimmed[i..])
}

/// Matches `chunk` at the start of `s`; returns the rest of `s` and whether it matched. Keeps
/// scanning after a mismatch so that syntax errors are always found, as Go does.
fn match_chunk<'a>(mut chunk: &str, mut s: &'a str) -> Result<(&'a str, bool), BadPattern> {
    let mut failed = false;
    while let Some(c) = chunk.chars().next() {
        if !failed && s.is_empty() {
            failed = true;
        }
        match c {
            '[' => {
                let mut r = '\0';
                if !failed {
                    r = s.chars().next().unwrap_or('\0');
                    s = &s[r.len_utf8()..];
                }
                chunk = &chunk[1..];
                let negated = chunk.starts_with('^');
                if negated {
                    chunk = &chunk[1..];
                }
                let mut matched = false;
                let mut ranges = 0;
                loop {
                    if chunk.starts_with(']') && ranges > 0 {
                        chunk = &chunk[1..];
                        break;
                    }
                    let (lo, rest) = get_esc(chunk)?;
                    chunk = rest;
                    let mut hi = lo;
                    if let Some(rest) = chunk.strip_prefix('-') {
                        let (h, rest) = get_esc(rest)?;
                        hi = h;
                        chunk = rest;
                    }
                    if lo <= r && r <= hi {
                        matched = true;
                    }
                    ranges += 1;
                }
                if matched == negated {
                    failed = true;
                }
            }
            '?' => {
                if !failed {
                    let first = s.chars().next().unwrap_or('/');
                    if first == '/' {
                        failed = true;
                    }
                    s = &s[first.len_utf8().min(s.len())..];
                }
                chunk = &chunk[1..];
            }
            _ => {
                let mut lit = c;
                if c == '\\' {
                    chunk = &chunk[1..];
                    lit = chunk.chars().next().ok_or(BadPattern)?;
                }
                if !failed {
                    match s.chars().next() {
                        Some(first) if first == lit => s = &s[first.len_utf8()..],
                        _ => failed = true,
                    }
                }
                chunk = &chunk[lit.len_utf8()..];
            }
        }
    }
    if failed {
        Ok(("", false))
    } else {
        Ok((s, true))
    }
}

/// One possibly escaped character of a class; the class must go on after it.
fn get_esc(chunk: &str) -> Result<(char, &str), BadPattern> {
    let mut chunk = chunk;
    if chunk.is_empty() || chunk.starts_with('-') || chunk.starts_with(']') {
        return Err(BadPattern);
    }
    if let Some(rest) = chunk.strip_prefix('\\') {
        chunk = rest;
    }
    let r = chunk.chars().next().ok_or(BadPattern)?;
    let rest = &chunk[r.len_utf8()..];
    if rest.is_empty() {
        return Err(BadPattern);
    }
    Ok((r, rest))
}

/// Whether a pattern has characters `fs.Glob` treats as special.
pub fn has_meta(pattern: &str) -> bool {
    pattern.contains(['*', '?', '[', '\\'])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, n: &str) -> Result<bool, BadPattern> {
        go_match(p, n)
    }

    #[test]
    fn star_stays_inside_a_segment() {
        assert_eq!(m("*.yaml", "a.yaml"), Ok(true));
        assert_eq!(m("*.yaml", "d/a.yaml"), Ok(false));
        assert_eq!(m("**", "a/b"), Ok(false), "** is two stars in Go");
        assert_eq!(m("**", "ab"), Ok(true));
        assert_eq!(m("a*b*c", "axxbyyc"), Ok(true));
        assert_eq!(m("a*", "a/b"), Ok(false));
        assert_eq!(m("*", ".hidden"), Ok(true), "Go globs match dot files");
    }

    #[test]
    fn classes_question_and_escapes() {
        assert_eq!(m("[a-c]x", "bx"), Ok(true));
        assert_eq!(m("[^a-c]x", "bx"), Ok(false));
        assert_eq!(m("[^a-c]x", "dx"), Ok(true));
        assert_eq!(m("?.yaml", "a.yaml"), Ok(true));
        assert_eq!(m("?", "/"), Ok(false));
        assert_eq!(m("\\*", "*"), Ok(true));
        assert_eq!(m("\\*", "a"), Ok(false));
    }

    #[test]
    fn malformed_patterns_are_errors_even_without_a_match() {
        assert_eq!(m("[", "a"), Err(BadPattern));
        assert_eq!(m("a[", "b"), Err(BadPattern));
        assert_eq!(m("x*[", "zzz"), Err(BadPattern));
        assert_eq!(m("[]a]", "a"), Err(BadPattern));
        assert_eq!(m("\\", "a"), Err(BadPattern));
        assert_eq!(m("[a-]", "a"), Err(BadPattern));
    }

    #[test]
    fn has_meta_matches_fs_glob() {
        assert!(has_meta("a/*.yaml"));
        assert!(has_meta("a\\b"));
        assert!(!has_meta("apps/base"));
    }
}
