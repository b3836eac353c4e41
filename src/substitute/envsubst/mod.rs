//! The envsubst engine of Flux (fluxcd/pkg/envsubst v1.7, a fork of drone/envsubst).
//!
//! Only `${…}` is recognised; `$$` is an escape for `$` everywhere. The scanner and parser
//! are literal ports because Flux's quirks (`${A:+x}` acting like `:-`, `${B-x}` being an
//! error, defaults ending at the first `}`) fall out of their exact mechanics.

mod funcs;
mod glob;
mod parse;
mod scanner;

#[cfg(test)]
mod tests;

use parse::Node;

/// An envsubst failure; the messages are Go's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvsubstError {
    #[error("bad substitution")]
    BadSubstitution,
    #[error("missing closing brace")]
    MissingClosingBrace,
    #[error("unable to parse variable name")]
    ParseVariableName,
    #[error("unable to parse substitution within function")]
    ParseFuncSubstitution,
    #[error("unable to parse default function")]
    ParseDefaultFunction,
    #[error("variable not set (strict mode): {0:?}")]
    VariableNotSet(String),
    /// `${N:1:-1}`: Go panics with "slice bounds out of range"; we report it instead.
    #[error("substring offset/length out of range (Go envsubst panics here)")]
    SubstringRange,
}

/// Substitutes `${…}` expressions in `text`.
///
/// `lookup` returns a variable's value, or `None` when it is unset. In non-strict mode an
/// unset variable behaves as the empty string (Flux's mapping reports every name as existing);
/// in strict mode it is an error unless the operator is a default (`:=`, `:-`, `=`, …).
/// Bytes that a byte-offset operation leaves invalid are replaced with U+FFFD.
pub fn envsubst(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    strict: bool,
) -> Result<String, EnvsubstError> {
    let out = envsubst_bytes(text, lookup, strict)?;
    Ok(match String::from_utf8(out) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}

/// Like [`envsubst`], returning raw bytes exactly as Go would (possibly invalid UTF-8).
pub(crate) fn envsubst_bytes(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    strict: bool,
) -> Result<Vec<u8>, EnvsubstError> {
    let nodes = parse::parse(text)?;
    let mut out = Vec::with_capacity(text.len());
    for node in &nodes {
        eval(node, lookup, strict, &mut out)?;
    }
    Ok(out)
}

fn eval(
    node: &Node,
    lookup: &dyn Fn(&str) -> Option<String>,
    strict: bool,
    out: &mut Vec<u8>,
) -> Result<(), EnvsubstError> {
    match node {
        Node::Text(t) => out.extend_from_slice(t.as_bytes()),
        Node::Func { name, param, args } => {
            // Go evaluates every argument before looking at the variable itself.
            let mut values = Vec::with_capacity(args.len());
            for arg in args {
                let mut buf = Vec::new();
                eval(arg, lookup, strict, &mut buf)?;
                values.push(buf);
            }
            let value = match lookup(param) {
                Some(v) => v,
                None if strict && !funcs::is_default_op(name) => {
                    return Err(EnvsubstError::VariableNotSet(param.clone()));
                }
                None => String::new(),
            };
            out.extend_from_slice(&funcs::apply(name, value.as_bytes(), &values)?);
        }
    }
    Ok(())
}
