//! The envsubst parser: a port of fluxcd/pkg/envsubst `parse/parse.go`.
//!
//! Only the text-level loop differs from Go: `parseAny` recursed once per token, here it
//! iterates (same result, no stack growth on large documents). Nesting of `${…}` inside
//! function arguments still recurses and is capped by `MAX_DEPTH`.

use super::EnvsubstError;
use super::scanner::{
    ESC_ALL, ESC_DOLLAR, SCAN_ESCAPE, SCAN_IDENT, SCAN_LBRACK, SCAN_RBRACK, Scanner, Token,
};
use super::scanner::{
    accept_casing_func, accept_colon, accept_default_func, accept_hash_func, accept_ident,
    accept_not_closing, accept_not_slash, accept_one_colon, accept_one_equal, accept_one_hash,
    accept_percent_func, accept_replace_func, accept_rune, accept_slash, reject_colon_close,
};

/// Deeper nesting than this is rejected instead of risking a stack overflow (Go has no limit).
const MAX_DEPTH: usize = 512;

/// A parsed template node.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Node {
    Text(String),
    /// `${param}` or `${param<name>args…}`; `name` is the operator (`:=`, `#`, `//`, …).
    Func {
        name: String,
        param: String,
        args: Vec<Node>,
    },
}

type PResult<T> = Result<T, EnvsubstError>;

pub(super) struct Parser {
    scanner: Scanner,
    depth: usize,
}

/// Parses a whole text into a flat list of nodes.
pub(super) fn parse(text: &str) -> PResult<Vec<Node>> {
    let mut p = Parser {
        scanner: Scanner::new(text),
        depth: 0,
    };
    p.parse_any()
}

impl Parser {
    fn parse_any(&mut self) -> PResult<Vec<Node>> {
        let mut nodes = Vec::new();
        loop {
            let s = &mut self.scanner;
            s.accept = accept_rune;
            s.mode = SCAN_IDENT | SCAN_LBRACK | SCAN_ESCAPE;
            s.escape_chars = ESC_DOLLAR;
            match s.scan() {
                Token::Ident => nodes.push(Node::Text(s.string())),
                Token::Eof => return Ok(nodes),
                Token::Lbrack => nodes.push(self.parse_func()?),
                _ => return Err(EnvsubstError::BadSubstitution),
            }
        }
    }

    fn parse_func(&mut self) -> PResult<Node> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(EnvsubstError::BadSubstitution);
        }
        let node = self.parse_func_inner();
        self.depth -= 1;
        node
    }

    fn parse_func_inner(&mut self) -> PResult<Node> {
        // Turn on all escape characters.
        self.scanner.escape_chars = ESC_ALL;
        if self.scanner.peek() == '#' {
            return self.parse_len_func();
        }
        self.scanner.accept = accept_ident;
        self.scanner.mode = SCAN_IDENT;
        let name = match self.scanner.scan() {
            Token::Ident => self.scanner.string(),
            _ => return Err(EnvsubstError::ParseVariableName),
        };
        match self.scanner.peek() {
            ':' => return self.parse_default_or_substr(name),
            '=' => return self.parse_default_func(name),
            ',' | '^' => return self.parse_casing_func(name),
            '/' => return self.parse_replace_func(name),
            '#' => return self.parse_remove_func(name, accept_hash_func),
            '%' => return self.parse_remove_func(name, accept_percent_func),
            _ => {}
        }
        self.scanner.accept = accept_ident;
        self.scanner.mode = SCAN_RBRACK;
        match self.scanner.scan() {
            Token::Rbrack => Ok(Node::Func {
                name: String::new(),
                param: name,
                args: Vec::new(),
            }),
            _ => Err(EnvsubstError::MissingClosingBrace),
        }
    }

    /// One function argument: literal text or a nested `${…}`.
    fn parse_param(&mut self, accept: super::scanner::AcceptFn, mode: u8) -> PResult<Node> {
        self.scanner.accept = accept;
        self.scanner.mode = mode | SCAN_LBRACK;
        match self.scanner.scan() {
            Token::Lbrack => self.parse_func(),
            Token::Ident | Token::Rbrack => Ok(Node::Text(self.scanner.string())),
            _ => Err(EnvsubstError::ParseFuncSubstitution),
        }
    }

    /// Scans the operator token with `accept`, or fails with `err`.
    fn scan_operator(
        &mut self,
        accept: super::scanner::AcceptFn,
        err: EnvsubstError,
    ) -> PResult<String> {
        self.scanner.accept = accept;
        self.scanner.mode = SCAN_IDENT;
        match self.scanner.scan() {
            Token::Ident => Ok(self.scanner.string()),
            _ => Err(err),
        }
    }

    fn parse_default_or_substr(&mut self, name: String) -> PResult<Node> {
        self.scanner.read();
        let r = self.scanner.peek();
        self.scanner.unread();
        match r {
            '=' | '-' | '?' | '+' => self.parse_default_func(name),
            _ => self.parse_substr_func(name),
        }
    }

    /// `${param:offset}` and `${param:offset:length}`.
    fn parse_substr_func(&mut self, param: String) -> PResult<Node> {
        let name = self.scan_operator(accept_one_colon, EnvsubstError::BadSubstitution)?;
        let mut args = vec![self.parse_param(reject_colon_close, SCAN_IDENT)?];
        // Expect a delimiter or the closing brace.
        self.scanner.accept = accept_colon;
        self.scanner.mode = SCAN_IDENT | SCAN_RBRACK;
        match self.scanner.scan() {
            Token::Rbrack => return Ok(Node::Func { name, param, args }),
            Token::Ident => {}
            _ => return Err(EnvsubstError::BadSubstitution),
        }
        args.push(self.parse_param(accept_not_closing, SCAN_IDENT)?);
        self.consume_rbrack()?;
        Ok(Node::Func { name, param, args })
    }

    /// `${param#word}`, `${param##word}`, `${param%word}`, `${param%%word}`.
    fn parse_remove_func(
        &mut self,
        param: String,
        accept: super::scanner::AcceptFn,
    ) -> PResult<Node> {
        let name = self.scan_operator(accept, EnvsubstError::BadSubstitution)?;
        let args = vec![self.parse_param(accept_not_closing, SCAN_IDENT)?];
        self.consume_rbrack()?;
        Ok(Node::Func { name, param, args })
    }

    /// `${param/pattern/string}` and the `//`, `/#`, `/%` variants.
    fn parse_replace_func(&mut self, param: String) -> PResult<Node> {
        let name = self.scan_operator(accept_replace_func, EnvsubstError::BadSubstitution)?;
        let mut args = vec![self.parse_param(accept_not_slash, SCAN_IDENT | SCAN_ESCAPE)?];
        // Expect the `/` delimiter.
        self.scan_operator(accept_slash, EnvsubstError::BadSubstitution)?;
        if self.scanner.peek() == '}' {
            self.consume_rbrack()?;
            return Ok(Node::Func { name, param, args });
        }
        args.push(self.parse_param(accept_not_closing, SCAN_IDENT | SCAN_ESCAPE)?);
        self.consume_rbrack()?;
        Ok(Node::Func { name, param, args })
    }

    /// `${param=word}`, `${param:=word}`, `${param:-word}`, `${param:?word}`, `${param:+word}`.
    fn parse_default_func(&mut self, param: String) -> PResult<Node> {
        let accept = if self.scanner.peek() == '=' {
            accept_one_equal
        } else {
            accept_default_func
        };
        let name = self.scan_operator(accept, EnvsubstError::ParseDefaultFunction)?;
        let mut args = Vec::new();
        // The default ends at the first `}` (nested `${…}` consume their own).
        loop {
            if self.scanner.peek() == '}' {
                self.consume_rbrack()?;
                return Ok(Node::Func { name, param, args });
            }
            args.push(self.parse_param(accept_not_closing, SCAN_IDENT)?);
        }
    }

    /// `${param,}`, `${param,,}`, `${param^}`, `${param^^}`.
    fn parse_casing_func(&mut self, param: String) -> PResult<Node> {
        let name = self.scan_operator(accept_casing_func, EnvsubstError::BadSubstitution)?;
        self.consume_rbrack()?;
        Ok(Node::Func {
            name,
            param,
            args: Vec::new(),
        })
    }

    /// `${#param}`.
    fn parse_len_func(&mut self) -> PResult<Node> {
        let name = self.scan_operator(accept_one_hash, EnvsubstError::BadSubstitution)?;
        let param = self.scan_operator(accept_ident, EnvsubstError::BadSubstitution)?;
        self.consume_rbrack()?;
        Ok(Node::Func {
            name,
            param,
            args: Vec::new(),
        })
    }

    fn consume_rbrack(&mut self) -> PResult<()> {
        self.scanner.mode = SCAN_RBRACK;
        if self.scanner.scan() != Token::Rbrack {
            return Err(EnvsubstError::BadSubstitution);
        }
        Ok(())
    }
}
