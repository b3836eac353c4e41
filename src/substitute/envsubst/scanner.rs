//! The envsubst lexical scanner: a line-by-line port of fluxcd/pkg/envsubst `parse/scan.go`.
//!
//! The Go scanner mutates its buffer to drop escape characters (`$$` → `$`, `\/` → `/`), and
//! the parser's behaviour depends on those exact mechanics, so this is a literal port rather
//! than a re-design. Every index operation is checked, so malformed input can never panic.

/// Go's scanner uses rune 0 as its end-of-input marker (so a NUL in the text also ends it).
pub(super) const EOF: char = '\0';

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Token {
    Illegal,
    Eof,
    Ident,
    Lbrack,
    Rbrack,
}

/// Mode bits: which token kinds `scan` may recognise.
pub(super) const SCAN_IDENT: u8 = 1;
pub(super) const SCAN_LBRACK: u8 = 1 << 1;
pub(super) const SCAN_RBRACK: u8 = 1 << 2;
pub(super) const SCAN_ESCAPE: u8 = 1 << 3;

/// Escape bits: which escape characters are honoured while `SCAN_ESCAPE` is on.
pub(super) const ESC_DOLLAR: u8 = 1;
pub(super) const ESC_BACKSLASH: u8 = 1 << 1;
pub(super) const ESC_ALL: u8 = ESC_DOLLAR | ESC_BACKSLASH;

/// Decides whether rune `r` at (1-based, byte-counted) position `i` of a token is accepted.
pub(super) type AcceptFn = fn(char, usize) -> bool;

pub(super) struct Scanner {
    buf: String,
    pos: usize,
    start: usize,
    width: usize,
    pub(super) mode: u8,
    pub(super) escape_chars: u8,
    pub(super) accept: AcceptFn,
}

impl Scanner {
    pub(super) fn new(buf: &str) -> Self {
        Scanner {
            buf: buf.to_owned(),
            pos: 0,
            start: 0,
            width: 0,
            mode: 0,
            escape_chars: 0,
            accept: accept_rune,
        }
    }

    pub(super) fn read(&mut self) -> char {
        let next = self
            .buf
            .get(self.pos..)
            .and_then(|rest| rest.chars().next());
        match next {
            Some(c) => {
                self.width = c.len_utf8();
                self.pos += self.width;
                c
            }
            None => {
                self.width = 0;
                EOF
            }
        }
    }

    pub(super) fn unread(&mut self) {
        self.pos = self.pos.saturating_sub(self.width);
    }

    /// Removes the (single-byte escape) character just read; the following character then
    /// counts as consumed, which is how Go turns `$$` into `$`.
    fn skip(&mut self) {
        if self.pos > 0 && self.buf.is_char_boundary(self.pos - 1) {
            self.buf.remove(self.pos - 1);
        }
    }

    pub(super) fn peek(&mut self) -> char {
        let r = self.read();
        self.unread();
        r
    }

    /// The text of the most recently scanned token.
    pub(super) fn string(&self) -> String {
        self.buf
            .get(self.start..self.pos)
            .unwrap_or_default()
            .to_owned()
    }

    fn should_escape(&self, character: u8) -> bool {
        self.escape_chars & character != 0
    }

    pub(super) fn scan(&mut self) -> Token {
        self.start = self.pos;
        let r = self.read();
        if r == EOF {
            return Token::Eof;
        }
        if self.scan_lbrack(r) {
            return Token::Lbrack;
        }
        if self.scan_rbrack(r) {
            return Token::Rbrack;
        }
        if self.scan_ident(r) {
            return Token::Ident;
        }
        Token::Illegal
    }

    fn scan_ident(&mut self, r: char) -> bool {
        if self.mode & SCAN_IDENT == 0 {
            return false;
        }
        if self.scan_escaped(r) {
            self.skip();
        } else if !(self.accept)(r, self.pos.saturating_sub(self.start)) {
            return false;
        }
        loop {
            let r = self.read();
            if r == EOF {
                self.unread();
                break;
            }
            if self.scan_lbrack(r) {
                // Back up over `${` so the next scan sees the bracket.
                self.unread();
                self.unread();
                break;
            }
            if self.scan_escaped(r) {
                self.skip();
                continue;
            }
            if !(self.accept)(r, self.pos.saturating_sub(self.start)) {
                self.unread();
                break;
            }
        }
        true
    }

    fn scan_lbrack(&mut self, r: char) -> bool {
        if self.mode & SCAN_LBRACK == 0 {
            return false;
        }
        if r == '$' {
            if self.read() == '{' {
                return true;
            }
            self.unread();
        }
        false
    }

    fn scan_rbrack(&self, r: char) -> bool {
        self.mode & SCAN_RBRACK != 0 && r == '}'
    }

    fn scan_escaped(&mut self, r: char) -> bool {
        if self.mode & SCAN_ESCAPE == 0 {
            return false;
        }
        if r == '$' && self.should_escape(ESC_DOLLAR) && self.peek() == '$' {
            return true;
        }
        if r == '\\' && self.should_escape(ESC_BACKSLASH) {
            return matches!(self.peek(), '/' | '\\');
        }
        false
    }
}

// Accept functions, named as in Go.

pub(super) fn accept_rune(_: char, _: usize) -> bool {
    true
}

/// Go's `unicode.IsLetter || unicode.IsDigit || '_'` (Rust's Unicode classes are a close match).
pub(super) fn accept_ident(r: char, _: usize) -> bool {
    r.is_alphabetic() || r.is_numeric() || r == '_'
}

pub(super) fn accept_colon(r: char, _: usize) -> bool {
    r == ':'
}

pub(super) fn accept_one_hash(r: char, i: usize) -> bool {
    r == '#' && i == 1
}

pub(super) fn accept_not_closing(r: char, _: usize) -> bool {
    r != '}'
}

pub(super) fn accept_hash_func(r: char, i: usize) -> bool {
    r == '#' && i < 3
}

pub(super) fn accept_percent_func(r: char, i: usize) -> bool {
    r == '%' && i < 3
}

pub(super) fn accept_default_func(r: char, i: usize) -> bool {
    (i == 1 && r == ':') || (i == 2 && matches!(r, '=' | '-' | '?' | '+'))
}

pub(super) fn accept_replace_func(r: char, i: usize) -> bool {
    (i == 1 && r == '/') || (i == 2 && matches!(r, '/' | '#' | '%'))
}

pub(super) fn accept_one_equal(r: char, i: usize) -> bool {
    i == 1 && r == '='
}

pub(super) fn accept_one_colon(r: char, i: usize) -> bool {
    i == 1 && r == ':'
}

pub(super) fn reject_colon_close(r: char, _: usize) -> bool {
    r != ':' && r != '}'
}

pub(super) fn accept_slash(r: char, _: usize) -> bool {
    r == '/'
}

pub(super) fn accept_not_slash(r: char, _: usize) -> bool {
    r != '/'
}

pub(super) fn accept_casing_func(r: char, i: usize) -> bool {
    (r == ',' || r == '^') && i < 3
}
