//! Go's `path.Match` (used by envsubst's `#`/`%` trims), ported on bytes.
//!
//! No crate reproduces Go's exact rules (`*` never crosses `/`, `\` escapes, `[^…]` classes,
//! `ErrBadPattern` detection even after a failed match), and the trims slice strings at byte
//! offsets like Go does, so this works on `&[u8]` and decodes runes as Go's `utf8` would.

/// `path.ErrBadPattern`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct BadPattern;

/// Decodes one rune like Go's `utf8.DecodeRune`: invalid input gives (U+FFFD, 1).
pub(super) fn decode_rune(b: &[u8]) -> (char, usize) {
    if b.is_empty() {
        return (char::REPLACEMENT_CHARACTER, 0);
    }
    let max = b.len().min(4);
    for n in 1..=max {
        if let Ok(s) = std::str::from_utf8(&b[..n])
            && let Some(c) = s.chars().next()
        {
            return (c, n);
        }
    }
    (char::REPLACEMENT_CHARACTER, 1)
}

/// Reports whether `name` matches the shell pattern `pattern`.
pub(super) fn path_match(mut pattern: &[u8], mut name: &[u8]) -> Result<bool, BadPattern> {
    'pattern: while !pattern.is_empty() {
        let (star, chunk, rest) = scan_chunk(pattern);
        pattern = rest;
        if star && chunk.is_empty() {
            // Trailing * matches the rest of the string unless it has a /.
            return Ok(!name.contains(&b'/'));
        }
        // Look for a match at the current position.
        let (t, ok, err) = match_chunk(chunk, name);
        // As the last chunk, the name must be exhausted.
        if ok && (t.is_empty() || !pattern.is_empty()) {
            name = t;
            continue;
        }
        if let Some(e) = err {
            return Err(e);
        }
        if star {
            // Look for a match skipping i+1 bytes; cannot skip /.
            let mut i = 0;
            while i < name.len() && name[i] != b'/' {
                let (t, ok, err) = match_chunk(chunk, &name[i + 1..]);
                if ok {
                    if pattern.is_empty() && !t.is_empty() {
                        i += 1;
                        continue;
                    }
                    name = t;
                    continue 'pattern;
                }
                if let Some(e) = err {
                    return Err(e);
                }
                i += 1;
            }
        }
        // Before failing, check that the rest of the pattern is syntactically valid.
        while !pattern.is_empty() {
            let (_, chunk, rest) = scan_chunk(pattern);
            pattern = rest;
            if let (_, _, Some(e)) = match_chunk(chunk, b"") {
                return Err(e);
            }
        }
        return Ok(false);
    }
    Ok(name.is_empty())
}

/// Splits off leading stars and the following chunk up to the next unbracketed `*`.
fn scan_chunk(mut pattern: &[u8]) -> (bool, &[u8], &[u8]) {
    let mut star = false;
    while let [b'*', rest @ ..] = pattern {
        pattern = rest;
        star = true;
    }
    let mut inrange = false;
    let mut i = 0;
    while i < pattern.len() {
        match pattern[i] {
            // A backslash escapes the next byte (a dangling one is reported by match_chunk).
            b'\\' if i + 1 < pattern.len() => i += 1,
            b'[' => inrange = true,
            b']' => inrange = false,
            b'*' if !inrange => break,
            _ => {}
        }
        i += 1;
    }
    (star, &pattern[..i], &pattern[i..])
}

/// Matches `chunk` at the start of `s`; returns the rest of `s`, success and a pattern error.
fn match_chunk<'a>(mut chunk: &[u8], mut s: &'a [u8]) -> (&'a [u8], bool, Option<BadPattern>) {
    // After a failure, keep walking the chunk only to validate its syntax.
    let mut failed = false;
    while let Some(&c) = chunk.first() {
        if !failed && s.is_empty() {
            failed = true;
        }
        match c {
            b'[' => {
                let mut r = '\0';
                if !failed {
                    let (rr, n) = decode_rune(s);
                    r = rr;
                    s = &s[n..];
                }
                chunk = &chunk[1..];
                let mut negated = false;
                if chunk.first() == Some(&b'^') {
                    negated = true;
                    chunk = &chunk[1..];
                }
                let mut matched = false;
                let mut nrange = 0;
                loop {
                    if chunk.first() == Some(&b']') && nrange > 0 {
                        chunk = &chunk[1..];
                        break;
                    }
                    let (lo, rest) = match get_esc(chunk) {
                        Ok(v) => v,
                        Err(e) => return (b"", false, Some(e)),
                    };
                    chunk = rest;
                    let mut hi = lo;
                    if chunk.first() == Some(&b'-') {
                        match get_esc(&chunk[1..]) {
                            Ok((h, rest)) => {
                                hi = h;
                                chunk = rest;
                            }
                            Err(e) => return (b"", false, Some(e)),
                        }
                    }
                    if lo <= r && r <= hi {
                        matched = true;
                    }
                    nrange += 1;
                }
                if matched == negated {
                    failed = true;
                }
            }
            b'?' => {
                if !failed {
                    if s[0] == b'/' {
                        failed = true;
                    }
                    let (_, n) = decode_rune(s);
                    s = &s[n..];
                }
                chunk = &chunk[1..];
            }
            _ => {
                if c == b'\\' {
                    chunk = &chunk[1..];
                    if chunk.is_empty() {
                        return (b"", false, Some(BadPattern));
                    }
                }
                if !failed {
                    if chunk[0] != s[0] {
                        failed = true;
                    }
                    s = &s[1..];
                }
                chunk = &chunk[1..];
            }
        }
    }
    if failed {
        return (b"", false, None);
    }
    (s, true, None)
}

/// One (possibly escaped) rune of a character class.
fn get_esc(mut chunk: &[u8]) -> Result<(char, &[u8]), BadPattern> {
    match chunk.first() {
        None | Some(b'-') | Some(b']') => return Err(BadPattern),
        Some(b'\\') => {
            chunk = &chunk[1..];
            if chunk.is_empty() {
                return Err(BadPattern);
            }
        }
        _ => {}
    }
    let (r, n) = decode_rune(chunk);
    let bad_rune = r == char::REPLACEMENT_CHARACTER && n == 1;
    let rest = &chunk[n..];
    if bad_rune || rest.is_empty() {
        return Err(BadPattern);
    }
    Ok((r, rest))
}

#[cfg(test)]
mod tests {
    use super::path_match;

    fn m(p: &str, n: &str) -> Result<bool, super::BadPattern> {
        path_match(p.as_bytes(), n.as_bytes())
    }

    #[test]
    fn go_path_match_table() {
        // Cases from Go's path/match_test.go.
        assert_eq!(m("abc", "abc"), Ok(true));
        assert_eq!(m("*", "abc"), Ok(true));
        assert_eq!(m("*c", "abc"), Ok(true));
        assert_eq!(m("a*", "a"), Ok(true));
        assert_eq!(m("a*", "abc"), Ok(true));
        assert_eq!(m("a*", "ab/c"), Ok(false));
        assert_eq!(m("a*/b", "abc/b"), Ok(true));
        assert_eq!(m("a*/b", "a/c/b"), Ok(false));
        assert_eq!(m("a*b*c*d*e*/f", "axbxcxdxe/f"), Ok(true));
        assert_eq!(m("a*b*c*d*e*/f", "axbxcxdxexxx/f"), Ok(true));
        assert_eq!(m("a*b*c*d*e*/f", "axbxcxdxe/xxx/f"), Ok(false));
        assert_eq!(m("a*b*c*d*e*/f", "axbxcxdxexxx/fff"), Ok(false));
        assert_eq!(m("a*b?c*x", "abxbbxdbxebxczzx"), Ok(true));
        assert_eq!(m("a*b?c*x", "abxbbxdbxebxczzy"), Ok(false));
        assert_eq!(m("ab[c]", "abc"), Ok(true));
        assert_eq!(m("ab[b-d]", "abc"), Ok(true));
        assert_eq!(m("ab[e-g]", "abc"), Ok(false));
        assert_eq!(m("ab[^c]", "abc"), Ok(false));
        assert_eq!(m("ab[^b-d]", "abc"), Ok(false));
        assert_eq!(m("ab[^e-g]", "abc"), Ok(true));
        assert_eq!(m("a\\*b", "a*b"), Ok(true));
        assert_eq!(m("a\\*b", "ab"), Ok(false));
        assert_eq!(m("a?b", "a☺b"), Ok(true));
        assert_eq!(m("a[^a]b", "a☺b"), Ok(true));
        assert_eq!(m("a???b", "a☺b"), Ok(false));
        assert_eq!(m("a[^a][^a][^a]b", "a☺b"), Ok(false));
        assert_eq!(m("[a-ζ]*", "α"), Ok(true));
        assert_eq!(m("*[a-ζ]", "A"), Ok(false));
        assert_eq!(m("a?b", "a/b"), Ok(false));
        assert_eq!(m("a*b", "a/b"), Ok(false));
        assert_eq!(m("[\\]a]", "]"), Ok(true));
        assert_eq!(m("[\\-]", "-"), Ok(true));
        assert_eq!(m("[x\\-]", "x"), Ok(true));
        assert_eq!(m("[x\\-]", "-"), Ok(true));
        assert_eq!(m("[x\\-]", "z"), Ok(false));
        assert_eq!(m("[\\-x]", "x"), Ok(true));
        assert_eq!(m("[\\-x]", "-"), Ok(true));
        assert_eq!(m("[\\-x]", "a"), Ok(false));
        assert!(m("[]a]", "]").is_err());
        assert!(m("[-]", "-").is_err());
        assert!(m("[x-]", "x").is_err());
        assert!(m("[x-]", "-").is_err());
        assert!(m("[x-]", "z").is_err());
        assert!(m("[-x]", "x").is_err());
        assert!(m("[-x]", "-").is_err());
        assert!(m("[-x]", "a").is_err());
        assert!(m("\\", "a").is_err());
        assert_eq!(m("[a-b-c]", "a"), Err(super::BadPattern));
        assert!(m("[", "a").is_err());
        assert!(m("[^", "a").is_err());
        assert!(m("[^bc", "a").is_err());
        assert!(m("a[", "a").is_err());
        assert_eq!(m("a[", "ab"), Err(super::BadPattern));
        assert!(m("a[", "x").is_err());
        assert!(m("a/b[", "x").is_err());
        assert_eq!(m("*x", "xxx"), Ok(true));
    }
}
