//! Executes a parse tree (Go `text/template/exec.go`) with `missingkey=error`, as Flux Operator
//! configures it (controlplaneio-fluxcd/flux-operator `internal/builder/resourceset.go`,
//! `newTemplate`).

use serde_json::Value;

use super::TemplateError;
use super::funcs::Funcs;
use super::parse::{Arg, Branch, Node, Pipe};
use super::value::{print, truth, type_name};

/// Ways out of a list other than its end.
enum Flow {
    Normal,
    Break,
    Continue,
}

pub struct Exec<'a> {
    pub funcs: &'a Funcs,
    pub out: String,
    vars: Vec<(String, Value)>,
}

/// A cap on range iterations, so a hostile template cannot run for ever.
const MAX_STEPS: usize = 1_000_000;

impl<'a> Exec<'a> {
    pub fn new(funcs: &'a Funcs, root: Value) -> Exec<'a> {
        Exec {
            funcs,
            out: String::new(),
            vars: vec![("$".into(), root)],
        }
    }

    pub fn run(&mut self, list: &[Node], dot: &Value) -> Result<(), TemplateError> {
        self.list(list, dot).map(|_| ())
    }

    fn list(&mut self, list: &[Node], dot: &Value) -> Result<Flow, TemplateError> {
        for n in list {
            match n {
                Node::Text(s) => self.out.push_str(s),
                Node::Action(p) => {
                    let v = self.pipe(p, dot)?;
                    if p.decl.is_empty() {
                        self.out.push_str(&print(&v));
                    }
                }
                Node::If(b) => {
                    let mark = self.vars.len();
                    let v = self.pipe(&b.pipe, dot)?;
                    let flow = if truth(&v) {
                        self.list(&b.list, dot)?
                    } else {
                        self.list(&b.else_list, dot)?
                    };
                    self.vars.truncate(mark);
                    if !matches!(flow, Flow::Normal) {
                        return Ok(flow);
                    }
                }
                Node::With(b) => {
                    let mark = self.vars.len();
                    let v = self.pipe(&b.pipe, dot)?;
                    let flow = if truth(&v) {
                        self.list(&b.list, &v)?
                    } else {
                        self.list(&b.else_list, dot)?
                    };
                    self.vars.truncate(mark);
                    if !matches!(flow, Flow::Normal) {
                        return Ok(flow);
                    }
                }
                Node::Range(b) => self.range(b, dot)?,
                Node::Break => return Ok(Flow::Break),
                Node::Continue => return Ok(Flow::Continue),
            }
        }
        Ok(Flow::Normal)
    }

    fn range(&mut self, b: &Branch, dot: &Value) -> Result<(), TemplateError> {
        let mark = self.vars.len();
        let decl = b.pipe.decl.clone();
        let mut pipe = b.pipe.clone();
        pipe.decl.clear();
        let v = self.pipe(&pipe, dot)?;
        let items: Vec<(Value, Value)> = match &v {
            Value::Array(a) => a
                .iter()
                .enumerate()
                .map(|(i, x)| (super::value::int(i as i64), x.clone()))
                .collect(),
            Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                keys.into_iter()
                    .map(|k| (Value::String(k.clone()), m[k].clone()))
                    .collect()
            }
            Value::Number(n) if n.is_i64() => (0..n.as_i64().unwrap_or(0).max(0))
                .map(|i| (super::value::int(i), super::value::int(i)))
                .collect(),
            Value::Null => Vec::new(),
            other => {
                return Err(TemplateError::at(
                    b.pipe.line,
                    format!("range can't iterate over {}", print(other)),
                ));
            }
        };
        if items.len() > MAX_STEPS {
            return Err(TemplateError::at(b.pipe.line, "range is too long"));
        }
        if items.is_empty() {
            self.list(&b.else_list, dot)?;
            self.vars.truncate(mark);
            return Ok(());
        }
        for (k, elem) in items {
            self.vars.truncate(mark);
            match decl.as_slice() {
                [v] => self.vars.push((v.clone(), elem.clone())),
                [i, v] => {
                    self.vars.push((i.clone(), k));
                    self.vars.push((v.clone(), elem.clone()));
                }
                _ => {}
            }
            if let Flow::Break = self.list(&b.list, &elem)? {
                break;
            }
        }
        self.vars.truncate(mark);
        Ok(())
    }

    fn pipe(&mut self, p: &Pipe, dot: &Value) -> Result<Value, TemplateError> {
        let mut last: Option<Value> = None;
        for cmd in &p.cmds {
            last = Some(self.command(cmd, dot, last, p.line)?);
        }
        let v = last.unwrap_or(Value::Null);
        for name in &p.decl {
            if p.assign {
                let slot = self.vars.iter_mut().rev().find(|(n, _)| n == name);
                match slot {
                    Some(s) => s.1 = v.clone(),
                    None => {
                        return Err(TemplateError::at(
                            p.line,
                            format!("undefined variable: {name}"),
                        ));
                    }
                }
            } else {
                self.vars.push((name.clone(), v.clone()));
            }
        }
        Ok(v)
    }

    fn command(
        &mut self,
        cmd: &[Arg],
        dot: &Value,
        piped: Option<Value>,
        line: usize,
    ) -> Result<Value, TemplateError> {
        match &cmd[0] {
            Arg::Func(name) => {
                let mut args = Vec::new();
                for a in &cmd[1..] {
                    args.push(self.arg(a, dot, line)?);
                }
                args.extend(piped);
                self.call(name, args, line)
            }
            first => {
                if cmd.len() > 1 || piped.is_some() {
                    return Err(TemplateError::at(
                        line,
                        "can't give argument to non-function",
                    ));
                }
                self.arg(first, dot, line)
            }
        }
    }

    fn call(&mut self, name: &str, args: Vec<Value>, line: usize) -> Result<Value, TemplateError> {
        self.funcs
            .call(name, args)
            .map_err(|e| TemplateError::at(line, format!("error calling {name}: {e}")))
    }

    fn arg(&mut self, a: &Arg, dot: &Value, line: usize) -> Result<Value, TemplateError> {
        Ok(match a {
            Arg::Dot => dot.clone(),
            Arg::Field(fields) => fields_of(dot.clone(), fields, line)?,
            Arg::Var(name, fields) => {
                let v = self
                    .vars
                    .iter()
                    .rev()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.clone())
                    .ok_or_else(|| {
                        TemplateError::at(line, format!("undefined variable {name:?}"))
                    })?;
                fields_of(v, fields, line)?
            }
            Arg::Func(name) => self.call(name, Vec::new(), line)?,
            Arg::Chain(base, fields) => {
                let v = self.arg(base, dot, line)?;
                fields_of(v, fields, line)?
            }
            Arg::Pipe(p) => {
                let mark = self.vars.len();
                let v = self.pipe(p, dot)?;
                self.vars.truncate(mark);
                v
            }
            Arg::Str(s) => Value::String(s.clone()),
            Arg::Int(i) => super::value::int(*i),
            Arg::Float(f) => super::value::float(*f),
            Arg::Bool(b) => Value::Bool(*b),
            Arg::Nil => Value::Null,
        })
    }
}

/// `.a.b` on a value: map keys, with `missingkey=error`.
fn fields_of(mut v: Value, fields: &[String], line: usize) -> Result<Value, TemplateError> {
    for f in fields {
        v = match v {
            Value::Object(mut m) => m.remove(f).ok_or_else(|| {
                TemplateError::at(line, format!("map has no entry for key {f:?}"))
            })?,
            Value::Null => {
                return Err(TemplateError::at(
                    line,
                    format!("nil data; no entry for key {f:?}"),
                ));
            }
            other => {
                return Err(TemplateError::at(
                    line,
                    format!("can't evaluate field {f} in type {}", type_name(&other)),
                ));
            }
        };
    }
    Ok(v)
}
