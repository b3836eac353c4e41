//! Tokens of Go's `text/template` with custom delimiters (Go `text/template/parse/lex.go`):
//! text, actions between the delimiters, `<<-`/`->>` trimming of the white space around an
//! action, and `/* */` comments.

use super::TemplateError;

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    Text(String),
    Open,
    Close,
    Ident(String),
    /// `.name` (the leading dot stripped).
    Field(String),
    /// `.` alone.
    Dot,
    /// `$name` (`$` alone is the root variable).
    Var(String),
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Nil,
    Pipe,
    LParen,
    RParen,
    Declare,
    Assign,
    Comma,
}

#[derive(Debug, Clone)]
pub struct Token {
    pub tok: Tok,
    pub line: usize,
    /// White space came right before this token (Go separates arguments and chains by it).
    pub spaced: bool,
}

pub fn lex(src: &str, left: &str, right: &str) -> Result<Vec<Token>, TemplateError> {
    let mut out: Vec<Token> = Vec::new();
    let mut rest = src;
    let mut line = 1;
    let mut trim_next_text = false;
    while !rest.is_empty() {
        let (text, after) = match rest.find(left) {
            Some(i) => (&rest[..i], Some(&rest[i + left.len()..])),
            None => (rest, None),
        };
        let mut text = text;
        if trim_next_text {
            text = text.trim_start_matches(is_space);
        }
        let Some(after) = after else {
            push_text(&mut out, text, line);
            break;
        };
        // `<<- ` trims the text before the action.
        let trim_left = after.starts_with('-') && after[1..].starts_with(is_space);
        if trim_left {
            text = text.trim_end_matches(is_space);
        }
        push_text(&mut out, text, line);
        line += count_lines(&rest[..rest.len() - after.len()]);
        let mut body = if trim_left { &after[2..] } else { after };
        let (inner, close_len, trim_right) = find_close(body, right, line)?;
        let action = &body[..inner];
        line = lex_action(action, &mut out, line)?;
        body = &body[inner + close_len..];
        trim_next_text = trim_right;
        rest = body;
    }
    Ok(out)
}

fn push_text(out: &mut Vec<Token>, text: &str, line: usize) {
    if !text.is_empty() {
        out.push(Token {
            tok: Tok::Text(text.to_string()),
            line,
            spaced: false,
        });
    }
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn count_lines(s: &str) -> usize {
    s.matches('\n').count()
}

/// Finds the closing delimiter outside quoted strings; returns the action length, the length of
/// the closing marker and whether it trims (` ->>`).
fn find_close(body: &str, right: &str, line: usize) -> Result<(usize, usize, bool), TemplateError> {
    let bytes = body.as_bytes();
    let mut i = 0;
    let mut quote: Option<u8> = None;
    while i < bytes.len() {
        let b = bytes[i];
        if let Some(q) = quote {
            if b == b'\\' && q != b'`' {
                i += 1;
            } else if b == q {
                quote = None;
            }
        } else if b == b'"' || b == b'`' || b == b'\'' {
            quote = Some(b);
        } else if body[i..].starts_with(right) {
            let trim = i >= 2 && bytes[i - 1] == b'-' && is_space(bytes[i - 2] as char);
            return Ok(if trim {
                (i - 2, right.len() + 2, true)
            } else {
                (i, right.len(), false)
            });
        }
        i += 1;
    }
    Err(TemplateError::at(line, "unclosed action"))
}

fn lex_action(action: &str, out: &mut Vec<Token>, mut line: usize) -> Result<usize, TemplateError> {
    let trimmed = action.trim_matches(is_space);
    if trimmed.starts_with("/*") {
        if !trimmed.ends_with("*/") {
            return Err(TemplateError::at(line, "unclosed comment"));
        }
        return Ok(line + count_lines(action));
    }
    out.push(Token {
        tok: Tok::Open,
        line,
        spaced: false,
    });
    let chars: Vec<char> = action.chars().collect();
    let mut i = 0;
    let mut spaced = false;
    while i < chars.len() {
        let c = chars[i];
        if is_space(c) {
            line += usize::from(c == '\n');
            spaced = true;
            i += 1;
            continue;
        }
        let (tok, n) = action_token(&chars[i..], line)?;
        out.push(Token { tok, line, spaced });
        spaced = false;
        // Only raw strings span lines.
        line += chars[i..i + n].iter().filter(|&&c| c == '\n').count();
        i += n;
    }
    out.push(Token {
        tok: Tok::Close,
        line,
        spaced,
    });
    Ok(line)
}

/// The token that starts `chars` (not white space) and its length in chars.
fn action_token(chars: &[char], line: usize) -> Result<(Tok, usize), TemplateError> {
    let c = chars[0];
    let next = chars.get(1).copied();
    let next_is_digit = next.is_some_and(|d| d.is_ascii_digit());
    if let Some(p) = punct(c, next) {
        return Ok(p);
    }
    Ok(match c {
        '"' | '`' => {
            let (s, n) = lex_string(chars, line)?;
            (Tok::Str(s), n)
        }
        '\'' => {
            let end = chars[1..]
                .iter()
                .position(|&c| c == '\'')
                .ok_or_else(|| TemplateError::at(line, "unterminated character constant"))?;
            let body: String = chars[1..1 + end].iter().collect();
            let ch = unescape(&body, line)?.chars().next().unwrap_or('\0');
            (Tok::Int(ch as i64), end + 2)
        }
        '.' if !next_is_digit => {
            let n = word_len(&chars[1..]);
            let tok = if n == 0 {
                Tok::Dot
            } else {
                Tok::Field(chars[1..1 + n].iter().collect())
            };
            (tok, 1 + n)
        }
        '$' => {
            let n = word_len(&chars[1..]);
            (Tok::Var(chars[..1 + n].iter().collect()), 1 + n)
        }
        c if c.is_ascii_digit() || (matches!(c, '-' | '+' | '.') && next_is_digit) => {
            let n = number_len(chars);
            let text: String = chars[..n].iter().collect();
            (number(&text, line)?, n)
        }
        c if c.is_alphabetic() || c == '_' => {
            let n = word_len(chars);
            let w: String = chars[..n].iter().collect();
            let tok = match w.as_str() {
                "true" => Tok::Bool(true),
                "false" => Tok::Bool(false),
                "nil" => Tok::Nil,
                _ => Tok::Ident(w),
            };
            (tok, n)
        }
        other => {
            return Err(TemplateError::at(
                line,
                format!("unexpected {other:?} in command"),
            ));
        }
    })
}

/// A punctuation token and its length.
fn punct(c: char, next: Option<char>) -> Option<(Tok, usize)> {
    Some(match c {
        '|' => (Tok::Pipe, 1),
        '(' => (Tok::LParen, 1),
        ')' => (Tok::RParen, 1),
        ',' => (Tok::Comma, 1),
        ':' if next == Some('=') => (Tok::Declare, 2),
        '=' => (Tok::Assign, 1),
        _ => return None,
    })
}

/// Length of a number literal: digits, letters (hex, `e`), `.`, `_`, and a sign only first or
/// right after an exponent marker.
fn number_len(chars: &[char]) -> usize {
    let mut n = 1;
    while let Some(&c) = chars.get(n) {
        let sign_ok = matches!(c, '+' | '-') && matches!(chars[n - 1], 'e' | 'E' | 'p' | 'P');
        if !(c.is_ascii_alphanumeric() || c == '.' || c == '_' || sign_ok) {
            break;
        }
        n += 1;
    }
    n
}

fn word_len(chars: &[char]) -> usize {
    chars
        .iter()
        .take_while(|c| c.is_alphanumeric() || **c == '_')
        .count()
}

fn number(text: &str, line: usize) -> Result<Tok, TemplateError> {
    let bad = || TemplateError::at(line, format!("bad number syntax: {text:?}"));
    let clean = text.replace('_', "");
    let (neg, digits) = match clean.strip_prefix('-') {
        Some(d) => (true, d.to_string()),
        None => (false, clean.trim_start_matches('+').to_string()),
    };
    let radix = |p: &str, r: u32| i64::from_str_radix(p, r).ok();
    let int = if let Some(h) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        radix(h, 16)
    } else if let Some(o) = digits
        .strip_prefix("0o")
        .or_else(|| digits.strip_prefix("0O"))
    {
        radix(o, 8)
    } else if let Some(b) = digits
        .strip_prefix("0b")
        .or_else(|| digits.strip_prefix("0B"))
    {
        radix(b, 2)
    } else if digits.len() > 1
        && digits.starts_with('0')
        && digits.chars().all(|c| c.is_ascii_digit())
    {
        radix(&digits[1..], 8)
    } else {
        digits.parse::<i64>().ok()
    };
    if let Some(v) = int {
        return Ok(Tok::Int(if neg { -v } else { v }));
    }
    let f: f64 = digits.parse().map_err(|_| bad())?;
    Ok(Tok::Float(if neg { -f } else { f }))
}

/// A quoted (`"…"`, with Go escapes) or raw (`` `…` ``) string; returns it and its length.
fn lex_string(chars: &[char], line: usize) -> Result<(String, usize), TemplateError> {
    let q = chars[0];
    let mut i = 1;
    while i < chars.len() {
        if chars[i] == '\\' && q == '"' {
            i += 2;
            continue;
        }
        if chars[i] == '\n' && q == '"' {
            break;
        }
        if chars[i] == q {
            let body: String = chars[1..i].iter().collect();
            let s = if q == '`' {
                body
            } else {
                unescape(&body, line)?
            };
            return Ok((s, i + 1));
        }
        i += 1;
    }
    Err(TemplateError::at(line, "unterminated quoted string"))
}

fn unescape(s: &str, line: usize) -> Result<String, TemplateError> {
    let mut out = String::new();
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let e = it
            .next()
            .ok_or_else(|| TemplateError::at(line, "bad escape"))?;
        match e {
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            'a' => out.push('\x07'),
            'b' => out.push('\x08'),
            'f' => out.push('\x0c'),
            'v' => out.push('\x0b'),
            '\\' | '"' | '\'' => out.push(e),
            'x' | 'u' | 'U' => {
                let n = match e {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let hex: String = it.by_ref().take(n).collect();
                let v = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32);
                out.push(v.ok_or_else(|| TemplateError::at(line, "bad escape"))?);
            }
            _ => {
                return Err(TemplateError::at(
                    line,
                    format!("unknown escape sequence \\{e}"),
                ));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        lex(s, "<<", ">>")
            .unwrap()
            .into_iter()
            .map(|t| t.tok)
            .collect()
    }

    #[test]
    fn text_actions_and_trimming() {
        assert_eq!(
            toks("a  <<- .x ->>  b"),
            vec![
                Tok::Text("a".into()),
                Tok::Open,
                Tok::Field("x".into()),
                Tok::Close,
                Tok::Text("b".into())
            ]
        );
        assert_eq!(
            toks("<<-3>>"),
            vec![Tok::Open, Tok::Int(-3), Tok::Close],
            "no space: a number"
        );
        assert_eq!(
            toks("x<</* c */>>y"),
            vec![Tok::Text("x".into()), Tok::Text("y".into())]
        );
    }

    #[test]
    fn operands() {
        assert_eq!(
            toks(r#"<< inputs.a | default "x>>" $v 1.5 0x10 'a' true nil >>"#),
            vec![
                Tok::Open,
                Tok::Ident("inputs".into()),
                Tok::Field("a".into()),
                Tok::Pipe,
                Tok::Ident("default".into()),
                Tok::Str("x>>".into()),
                Tok::Var("$v".into()),
                Tok::Float(1.5),
                Tok::Int(16),
                Tok::Int(97),
                Tok::Bool(true),
                Tok::Nil,
                Tok::Close
            ]
        );
    }

    #[test]
    fn lines_are_counted_and_errors_located() {
        let t = lex("a\nb\n<< .x >>", "<<", ">>").unwrap();
        assert_eq!(t[1].line, 3);
        let e = lex("a\n<< .x", "<<", ">>").unwrap_err();
        assert_eq!(e.line, 2);
    }
}
