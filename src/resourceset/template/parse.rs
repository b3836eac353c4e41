//! The parse tree of a template (Go `text/template/parse/parse.go`, `node.go`): text, actions,
//! `if`/`else if`/`else`, `range` (with `break`/`continue`), `with`/`else with`, variables and
//! pipelines. Function names are checked at parse time, as Go does.

use super::TemplateError;
use super::lex::{Tok, Token};

#[derive(Debug, Clone)]
pub enum Node {
    Text(String),
    Action(Pipe),
    If(Branch),
    With(Branch),
    Range(Branch),
    Break,
    Continue,
}

#[derive(Debug, Clone)]
pub struct Branch {
    pub pipe: Pipe,
    pub list: Vec<Node>,
    pub else_list: Vec<Node>,
}

#[derive(Debug, Clone)]
pub struct Pipe {
    pub line: usize,
    pub decl: Vec<String>,
    pub assign: bool,
    pub cmds: Vec<Vec<Arg>>,
}

#[derive(Debug, Clone)]
pub enum Arg {
    Dot,
    /// `.a.b` on dot.
    Field(Vec<String>),
    /// `$x.a.b`.
    Var(String, Vec<String>),
    /// A function name.
    Func(String),
    /// `(pipe).a` or `func.a`: fields of an evaluated operand.
    Chain(Box<Arg>, Vec<String>),
    Pipe(Box<Pipe>),
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Nil,
}

struct Parser<'a> {
    toks: &'a [Token],
    pos: usize,
    is_func: &'a dyn Fn(&str) -> bool,
    range_depth: usize,
}

/// What ended a list: `end`, `else` (with the rest of its action unread), or the input.
enum Stop {
    End,
    Else,
    Eof,
}

pub fn parse(toks: &[Token], is_func: &dyn Fn(&str) -> bool) -> Result<Vec<Node>, TemplateError> {
    let mut p = Parser {
        toks,
        pos: 0,
        is_func,
        range_depth: 0,
    };
    let (list, stop) = p.list()?;
    match stop {
        Stop::Eof => Ok(list),
        _ => Err(p.err(format!(
            "unexpected {}",
            if matches!(stop, Stop::End) {
                "{{end}}"
            } else {
                "{{else}}"
            }
        ))),
    }
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.toks.get(self.pos)
    }
    fn next(&mut self) -> Option<Token> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }
    fn line(&self) -> usize {
        self.toks
            .get(self.pos.min(self.toks.len().saturating_sub(1)))
            .map_or(1, |t| t.line)
    }
    fn err(&self, msg: impl Into<String>) -> TemplateError {
        TemplateError::at(self.line(), msg)
    }
    fn expect(&mut self, want: Tok, ctx: &str) -> Result<(), TemplateError> {
        match self.next() {
            Some(t) if t.tok == want => Ok(()),
            _ => Err(self.err(format!("unexpected token in {ctx}"))),
        }
    }
    fn keyword(&self) -> Option<&str> {
        match self.toks.get(self.pos + 1) {
            Some(Token {
                tok: Tok::Ident(w), ..
            }) => Some(w.as_str()),
            _ => None,
        }
    }

    fn list(&mut self) -> Result<(Vec<Node>, Stop), TemplateError> {
        let mut out = Vec::new();
        while let Some(t) = self.peek() {
            match &t.tok {
                Tok::Text(s) => {
                    out.push(Node::Text(s.clone()));
                    self.pos += 1;
                }
                Tok::Open => {
                    let kw = self.keyword().map(str::to_string);
                    match kw.as_deref() {
                        Some("end") => {
                            self.pos += 2;
                            self.expect(Tok::Close, "end")?;
                            return Ok((out, Stop::End));
                        }
                        Some("else") => {
                            self.pos += 2;
                            return Ok((out, Stop::Else));
                        }
                        Some(k @ ("if" | "with" | "range")) => {
                            let k = k.to_string();
                            self.pos += 2;
                            out.push(self.branch(&k)?);
                        }
                        Some(k @ ("break" | "continue")) => {
                            if self.range_depth == 0 {
                                return Err(self.err(format!("{{{{{k}}}}} outside {{{{range}}}}")));
                            }
                            let brk = k == "break";
                            self.pos += 2;
                            self.expect(Tok::Close, "break")?;
                            out.push(if brk { Node::Break } else { Node::Continue });
                        }
                        Some(k @ ("define" | "template" | "block")) => {
                            return Err(self.err(format!("{{{{{k}}}}} is not supported")));
                        }
                        _ => {
                            self.pos += 1;
                            let pipe = self.pipeline(true)?;
                            out.push(Node::Action(pipe));
                        }
                    }
                }
                _ => return Err(self.err("unexpected token")),
            }
        }
        Ok((out, Stop::Eof))
    }

    fn branch(&mut self, kind: &str) -> Result<Node, TemplateError> {
        let pipe = self.pipeline(kind == "range" || kind == "if" || kind == "with")?;
        if kind == "range" {
            self.range_depth += 1;
        }
        let (list, stop) = self.list()?;
        if kind == "range" {
            self.range_depth -= 1;
        }
        let else_list = match stop {
            Stop::End => Vec::new(),
            Stop::Eof => return Err(self.err(format!("unexpected EOF in {{{{{kind}}}}}"))),
            Stop::Else => {
                // `else if …` / `else with …` chain into a nested branch that shares our `end`.
                match self.peek().map(|t| &t.tok) {
                    Some(Tok::Ident(k)) if (k == "if" || k == "with") && kind != "range" => {
                        let k = k.clone();
                        self.pos += 1;
                        vec![self.branch(&k)?]
                    }
                    _ => {
                        self.expect(Tok::Close, "else")?;
                        let (l, stop) = self.list()?;
                        if !matches!(stop, Stop::End) {
                            return Err(
                                self.err(format!("expected end; found else in {{{{{kind}}}}}"))
                            );
                        }
                        l
                    }
                }
            }
        };
        let b = Branch {
            pipe,
            list,
            else_list,
        };
        Ok(match kind {
            "if" => Node::If(b),
            "with" => Node::With(b),
            _ => Node::Range(b),
        })
    }

    /// A pipeline up to the closing delimiter (or `)` when nested), with an optional
    /// `$x :=`/`$x =`/`$i, $v :=` declaration.
    fn pipeline(&mut self, allow_decl: bool) -> Result<Pipe, TemplateError> {
        let line = self.line();
        let mut decl = Vec::new();
        let mut assign = false;
        if allow_decl {
            let save = self.pos;
            let mut vars = Vec::new();
            while let Some(Token {
                tok: Tok::Var(v), ..
            }) = self.peek().cloned()
            {
                self.pos += 1;
                vars.push(v);
                match self.peek().map(|t| &t.tok) {
                    Some(Tok::Comma) if vars.len() == 1 => self.pos += 1,
                    Some(Tok::Declare) => {
                        self.pos += 1;
                        decl = vars;
                        break;
                    }
                    Some(Tok::Assign) => {
                        self.pos += 1;
                        decl = vars;
                        assign = true;
                        break;
                    }
                    _ => break,
                }
            }
            if decl.is_empty() {
                self.pos = save;
            }
        }
        let mut cmds = Vec::new();
        loop {
            let cmd = self.command()?;
            if cmd.is_empty() {
                return Err(self.err("missing value for command"));
            }
            cmds.push(cmd);
            match self.next().map(|t| t.tok) {
                Some(Tok::Pipe) => continue,
                Some(Tok::Close) | Some(Tok::RParen) => break,
                _ => return Err(self.err("unexpected token in pipeline")),
            }
        }
        Ok(Pipe {
            line,
            decl,
            assign,
            cmds,
        })
    }

    fn command(&mut self) -> Result<Vec<Arg>, TemplateError> {
        let mut args = Vec::new();
        while let Some(t) = self.peek() {
            if matches!(t.tok, Tok::Pipe | Tok::Close | Tok::RParen) {
                break;
            }
            if !args.is_empty() && !t.spaced {
                return Err(self.err("missing space between arguments"));
            }
            args.push(self.operand()?);
        }
        Ok(args)
    }

    fn operand(&mut self) -> Result<Arg, TemplateError> {
        let t = self.next().ok_or_else(|| self.err("unexpected EOF"))?;
        let term = match t.tok {
            Tok::Dot => Arg::Dot,
            Tok::Field(f) => {
                let mut fields = vec![f];
                fields.extend(self.fields());
                return Ok(Arg::Field(fields));
            }
            Tok::Var(v) => return Ok(Arg::Var(v, self.fields())),
            Tok::Ident(name) => {
                if !(self.is_func)(&name) {
                    return Err(TemplateError::at(
                        t.line,
                        format!("function {name:?} not defined"),
                    ));
                }
                Arg::Func(name)
            }
            Tok::LParen => Arg::Pipe(Box::new(self.pipeline(false)?)),
            Tok::Str(s) => Arg::Str(s),
            Tok::Int(i) => Arg::Int(i),
            Tok::Float(f) => Arg::Float(f),
            Tok::Bool(b) => Arg::Bool(b),
            Tok::Nil => Arg::Nil,
            _ => return Err(TemplateError::at(t.line, "unexpected token in operand")),
        };
        let fields = self.fields();
        Ok(if fields.is_empty() {
            term
        } else {
            Arg::Chain(Box::new(term), fields)
        })
    }

    /// Field names directly attached (no space) to the previous operand.
    fn fields(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        while let Some(Token {
            tok: Tok::Field(f),
            spaced: false,
            ..
        }) = self.peek()
        {
            out.push(f.clone());
            self.pos += 1;
        }
        out
    }
}
