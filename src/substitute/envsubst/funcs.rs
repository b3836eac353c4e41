//! The parameter-expansion functions of envsubst (`funcs.go` and `lookupFunc` in `template.go`).
//!
//! Go strings are byte strings and these functions slice at byte offsets, so they work on
//! `&[u8]`. The only deliberate difference from Go: `${N:1:-1}` panics there (slice bounds)
//! and is an error here.

use super::EnvsubstError;
use super::glob::{decode_rune, path_match};

/// Operators that tolerate an unset variable in strict mode (`isDefaultOp`).
pub(super) fn is_default_op(name: &str) -> bool {
    matches!(name, "-" | "=" | "?" | "+" | ":-" | ":=" | ":?" | ":+")
}

/// Applies operator `name` (as in Go's `lookupFunc`) to the value `s` with evaluated `args`.
pub(super) fn apply(name: &str, s: &[u8], args: &[Vec<u8>]) -> Result<Vec<u8>, EnvsubstError> {
    let arg0 = args.first().map(Vec::as_slice);
    Ok(match name {
        "," => map_first(s, to_lower_char),
        ",," => map_all(s, to_lower_char),
        "^" => map_first(s, to_upper_char),
        "^^" => map_all(s, to_upper_char),
        "#" if args.is_empty() => s.len().to_string().into_bytes(),
        "#" => trim_prefix(s, arg0, false),
        "##" => trim_prefix(s, arg0, true),
        "%" => trim_suffix(s, arg0, false),
        "%%" => trim_suffix(s, arg0, true),
        ":" => return substr(s, args),
        "/#" => replace_prefix(s, args),
        "/%" => replace_suffix(s, args),
        "/" => replace(s, args, Some(1)),
        "//" => replace(s, args, None),
        // `=`, `:=`, `:-`, `:?`, `:+` and anything unknown: default when empty.
        _ => to_default(s, args),
    })
}

/// Go's `unicode.ToLower` is a 1:1 mapping; keep the first char of Rust's full mapping
/// (only `İ` maps to more than one char, and Go maps it to `i`).
fn to_lower_char(c: char) -> char {
    c.to_lowercase().next().unwrap_or(c)
}

/// Go's `unicode.ToUpper` is 1:1; characters whose full mapping expands (`ß`) stay unchanged.
fn to_upper_char(c: char) -> char {
    let mut up = c.to_uppercase();
    match (up.next(), up.next()) {
        (Some(u), None) => u,
        _ => c,
    }
}

fn map_all(s: &[u8], f: fn(char) -> char) -> Vec<u8> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while !rest.is_empty() {
        let (c, n) = decode_rune(rest);
        out.push(f(c));
        rest = &rest[n..];
    }
    out.into_bytes()
}

fn map_first(s: &[u8], f: fn(char) -> char) -> Vec<u8> {
    if s.is_empty() {
        return Vec::new();
    }
    let (c, n) = decode_rune(s);
    let mut out = f(c).to_string().into_bytes();
    out.extend_from_slice(&s[n..]);
    out
}

fn to_default(s: &[u8], args: &[Vec<u8>]) -> Vec<u8> {
    if s.is_empty() && !args.is_empty() {
        return args.concat();
    }
    s.to_vec()
}

/// Go's `strconv.Atoi`.
fn atoi(b: &[u8]) -> Option<i64> {
    std::str::from_utf8(b).ok()?.parse::<i64>().ok()
}

fn substr(s: &[u8], args: &[Vec<u8>]) -> Result<Vec<u8>, EnvsubstError> {
    let Some(first) = args.first() else {
        return Ok(s.to_vec());
    };
    // Bash (and Go) return the string when the position cannot be parsed.
    let Some(mut pos) = atoi(first).map(i128::from) else {
        return Ok(s.to_vec());
    };
    let len = s.len() as i128;
    if pos < 0 {
        pos = (len + pos).max(0);
    }
    let Some(second) = args.get(1) else {
        return Ok(if pos < len {
            s[pos as usize..].to_vec()
        } else {
            Vec::new()
        });
    };
    let Some(length) = atoi(second).map(i128::from) else {
        return Ok(s.to_vec());
    };
    if pos + length >= len {
        return Ok(if pos < len {
            s[pos as usize..].to_vec()
        } else {
            Vec::new()
        });
    }
    if length < 0 {
        // Go slices s[pos:pos+length] here and panics.
        return Err(EnvsubstError::SubstringRange);
    }
    Ok(s[pos as usize..(pos + length) as usize].to_vec())
}

fn reverse(s: &[u8]) -> Vec<u8> {
    let mut runes = Vec::new();
    let mut rest = s;
    while !rest.is_empty() {
        let (c, n) = decode_rune(rest);
        runes.push(c);
        rest = &rest[n..];
    }
    runes.iter().rev().collect::<String>().into_bytes()
}

fn trim_suffix(s: &[u8], arg: Option<&[u8]>, longest: bool) -> Vec<u8> {
    match arg {
        None => s.to_vec(),
        Some(a) => reverse(&trim_prefix(&reverse(s), Some(&reverse(a)), longest)),
    }
}

/// `trimShortest`/`trimLongest`: try prefixes from longest to shortest (byte offsets).
fn trim_prefix(s: &[u8], arg: Option<&[u8]>, longest: bool) -> Vec<u8> {
    let Some(pattern) = arg else {
        return s.to_vec();
    };
    let mut shortest: &[u8] = b"";
    for i in 0..s.len() {
        let prefix = &s[..s.len() - i];
        match path_match(pattern, prefix) {
            Err(_) => return s.to_vec(),
            Ok(true) if longest => return s[prefix.len()..].to_vec(),
            Ok(true) => shortest = prefix,
            Ok(false) => {}
        }
    }
    s[shortest.len()..].to_vec()
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Go's `strings.Replace(s, old, new, n)` (n = None means all).
fn go_replace(s: &[u8], old: &[u8], new: &[u8], n: Option<usize>) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut done = 0usize;
    let mut rest = s;
    if old.is_empty() {
        // An empty `old` matches at the start and after each rune.
        loop {
            if n.is_some_and(|n| done >= n) {
                out.extend_from_slice(rest);
                return out;
            }
            out.extend_from_slice(new);
            done += 1;
            if rest.is_empty() {
                return out;
            }
            let (_, w) = decode_rune(rest);
            out.extend_from_slice(&rest[..w]);
            rest = &rest[w..];
        }
    }
    while let Some(i) = find(rest, old) {
        if n.is_some_and(|n| done >= n) {
            break;
        }
        out.extend_from_slice(&rest[..i]);
        out.extend_from_slice(new);
        rest = &rest[i + old.len()..];
        done += 1;
    }
    out.extend_from_slice(rest);
    out
}

fn replace(s: &[u8], args: &[Vec<u8>], n: Option<usize>) -> Vec<u8> {
    match args {
        [] => s.to_vec(),
        [old] => go_replace(s, old, b"", n),
        [old, new, ..] => go_replace(s, old, new, n),
    }
}

fn replace_prefix(s: &[u8], args: &[Vec<u8>]) -> Vec<u8> {
    match args {
        [old, new] if s.starts_with(old) => go_replace(s, old, new, Some(1)),
        _ => s.to_vec(),
    }
}

fn replace_suffix(s: &[u8], args: &[Vec<u8>]) -> Vec<u8> {
    match args {
        [old, new] if s.ends_with(old) => {
            let mut out = s[..s.len() - old.len()].to_vec();
            out.extend_from_slice(new);
            out
        }
        _ => s.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ap(name: &str, s: &str, args: &[&str]) -> String {
        let args: Vec<Vec<u8>> = args.iter().map(|a| a.as_bytes().to_vec()).collect();
        String::from_utf8(apply(name, s.as_bytes(), &args).unwrap()).unwrap()
    }

    #[test]
    fn substring_follows_go() {
        assert_eq!(ap(":", "abcdef", &["2"]), "cdef");
        assert_eq!(ap(":", "abcdef", &["2", "3"]), "cde");
        assert_eq!(ap(":", "abcdef", &["-2"]), "ef");
        assert_eq!(ap(":", "abcdef", &["-20"]), "abcdef");
        assert_eq!(ap(":", "abcdef", &["10"]), "");
        assert_eq!(ap(":", "abcdef", &["2", "100"]), "cdef");
        assert_eq!(ap(":", "abcdef", &[" -2"]), "abcdef");
        assert_eq!(ap(":", "abcdef", &["x", "1"]), "abcdef");
        assert_eq!(ap(":", "abcdef", &["1", "x"]), "abcdef");
        assert_eq!(ap(":", "abcdef", &["+1", "2"]), "bc");
        let args = vec![b"1".to_vec(), b"-1".to_vec()];
        assert_eq!(
            apply(":", b"abcdef", &args),
            Err(EnvsubstError::SubstringRange)
        );
        let args = vec![
            b"9223372036854775807".to_vec(),
            b"9223372036854775807".to_vec(),
        ];
        assert_eq!(apply(":", b"abc", &args), Ok(Vec::new()));
    }

    #[test]
    fn trims_and_replacements() {
        assert_eq!(ap("#", "hello", &["*l"]), "lo");
        assert_eq!(ap("##", "hello", &["*l"]), "o");
        assert_eq!(ap("%", "hello", &["l*"]), "hel");
        assert_eq!(ap("%%", "hello", &["l*"]), "he");
        assert_eq!(ap("#", "hello", &["["]), "hello");
        assert_eq!(ap("#", "a/b/c", &["*/"]), "b/c");
        assert_eq!(ap("/", "abcb", &["b", "X"]), "aXcb");
        assert_eq!(ap("//", "abcb", &["b", "X"]), "aXcX");
        assert_eq!(ap("//", "abcb", &["b"]), "ac");
        assert_eq!(ap("//", "ab", &["", "-"]), "-a-b-");
        assert_eq!(ap("/", "ab", &["", "-"]), "-ab");
        assert_eq!(ap("/#", "hello", &["he", "HE"]), "HEllo");
        assert_eq!(ap("/#", "hello", &["lo", "LO"]), "hello");
        assert_eq!(ap("/%", "hello", &["lo", "LO"]), "helLO");
        assert_eq!(ap("/%", "hello", &["lo"]), "hello");
    }

    #[test]
    fn case_and_length() {
        assert_eq!(ap("^", "hello", &[]), "Hello");
        assert_eq!(ap("^^", "hello", &[]), "HELLO");
        assert_eq!(ap(",", "HELLO", &[]), "hELLO");
        assert_eq!(ap(",,", "HELLO", &[]), "hello");
        assert_eq!(ap("^^", "straße", &[]), "STRAßE");
        assert_eq!(ap("#", "héllo", &[]), "6");
        assert_eq!(ap("^,", "", &["d"]), "d");
    }
}
