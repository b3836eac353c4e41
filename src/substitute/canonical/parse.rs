//! Reads the substituted text back as Flux does: `yaml.YAMLToJSON` (go-yaml v2 into
//! `interface{}`, then `convertToJSONableObject` and `json.Marshal`), then
//! `res.UnmarshalJSON` (`json.Unmarshal` into `map[string]interface{}`).
//!
//! granit-parser (serde-saphyr's own YAML parser) supplies events with scalar styles, so
//! plain scalars get go-yaml v2's YAML 1.1 resolution (`resolve.rs`) and quoted ones stay
//! strings. The last step turns every number into a float64, as Go's JSON decoding does;
//! integral values are returned as integers.

use super::resolve::{Resolved, resolve};
use crate::yaml::{AliasMeter, Cost, MAX_DEPTH};
use base64::Engine as _;
use granit_parser::{Event, Parser, ScalarStyle, Tag};
use serde_json::{Map, Number, Value};
use std::collections::HashMap;

/// go-yaml's decoded `interface{}` value.
#[derive(Debug, Clone)]
enum GoValue {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Str(String),
    Seq(Vec<GoValue>),
    Map(Vec<(GoValue, GoValue)>),
}

const CORE: &str = "tag:yaml.org,2002:";

/// Parses the first YAML document of `text` into a JSON value with Flux's type rules.
/// Errors carry go-yaml-like text (`yaml: line N: …`, `json: unsupported value: NaN`).
pub(crate) fn from_yaml(text: &str) -> Result<Value, String> {
    let _permit = crate::yaml::alias_permit(text);
    let mut options = granit_parser::Options::default();
    options.emit_comments = false;
    // libyaml has no 1024-character limit on simple keys.
    options.simple_key_max_lookahead = usize::MAX / 2;
    // Go's yaml accepts 10,000 levels; granit's default is 255.
    options.block_nesting_limit = MAX_DEPTH + 1;
    options.flow_nesting_limit = MAX_DEPTH + 1;
    let mut reader = Reader {
        parser: Parser::new_from_str_with_options(text, options),
        anchors: HashMap::new(),
        aliases: AliasMeter::default(),
    };
    let doc = reader.document()?;
    to_json(&doc)
}

struct Reader<'a> {
    parser: Parser<'a, granit_parser::StrInput<'a>>,
    /// Anchored values with their size: every alias copies one, charged to `aliases` first
    /// (go-yaml v2 stops "excessive aliasing" too).
    anchors: HashMap<usize, (GoValue, Cost)>,
    aliases: AliasMeter,
}

impl<'a> Reader<'a> {
    fn next(&mut self) -> Result<Event<'a>, String> {
        loop {
            match self.parser.next_event() {
                None => return Err("yaml: unexpected end of stream".into()),
                Some(Err(e)) => {
                    return Err(format!("yaml: line {}: {}", e.marker().line(), e.info()));
                }
                Some(Ok((ev, _))) if is_data(&ev) => return Ok(ev),
                // Comments and anchor metadata (feature/option dependent) carry no data.
                Some(Ok(_)) => {}
            }
        }
    }

    fn document(&mut self) -> Result<GoValue, String> {
        loop {
            match self.next()? {
                Event::StreamStart => {}
                // go-yaml v2 decodes an empty stream as nil.
                Event::StreamEnd => return Ok(GoValue::Null),
                Event::DocumentStart(..) => {
                    let ev = self.next()?;
                    // Only the first document is decoded (later ones are never read).
                    return self.node(ev, 0);
                }
                _ => return Err("yaml: unexpected event before document".into()),
            }
        }
    }

    /// One node; recursion grows the stack on demand, nesting may be [`MAX_DEPTH`] deep.
    fn node(&mut self, ev: Event<'a>, depth: usize) -> Result<GoValue, String> {
        if depth > MAX_DEPTH {
            return Err("yaml: exceeded max depth".into());
        }
        stacker::maybe_grow(256 * 1024, 4 << 20, || self.node_here(ev, depth))
    }

    fn node_here(&mut self, ev: Event<'a>, depth: usize) -> Result<GoValue, String> {
        let (value, anchor) = match ev {
            Event::Alias(id) => {
                let (value, cost) = self
                    .anchors
                    .get(&id)
                    .ok_or_else(|| "yaml: unknown anchor referenced".to_string())?;
                self.aliases
                    .charge(*cost)
                    .map_err(|e| format!("yaml: {e}"))?;
                return Ok(value.clone());
            }
            Event::Scalar(text, style, anchor, tag) => {
                (scalar(&text, style, tag.as_deref())?, anchor)
            }
            Event::SequenceStart(_, anchor, _) => {
                let mut items = Vec::new();
                loop {
                    match self.next()? {
                        Event::SequenceEnd => break,
                        ev => items.push(self.node(ev, depth + 1)?),
                    }
                }
                (GoValue::Seq(items), anchor)
            }
            Event::MappingStart(_, anchor, _) => {
                let mut entries: Vec<(GoValue, GoValue)> = Vec::new();
                loop {
                    let key_ev = self.next()?;
                    if matches!(key_ev, Event::MappingEnd) {
                        break;
                    }
                    let is_merge = matches!(&key_ev, Event::Scalar(t, ScalarStyle::Plain, _, None) if t == "<<");
                    let key = self.node(key_ev, depth + 1)?;
                    let val_ev = self.next()?;
                    let value = self.node(val_ev, depth + 1)?;
                    if is_merge {
                        merge(&mut entries, value)?;
                    } else {
                        set_entry(&mut entries, key, value)?;
                    }
                }
                (GoValue::Map(entries), anchor)
            }
            _ => return Err("yaml: unexpected event".into()),
        };
        if anchor != 0 {
            self.anchors.insert(anchor, (value.clone(), cost(&value)));
        }
        Ok(value)
    }
}

/// The size of a value, counted without recursion.
fn cost(value: &GoValue) -> Cost {
    let mut total = Cost::default();
    let mut todo = vec![value];
    while let Some(value) = todo.pop() {
        total = total.plus(match value {
            GoValue::Str(s) => Cost::scalar(s),
            GoValue::Seq(items) => {
                todo.extend(items);
                Cost::scalar("")
            }
            GoValue::Map(entries) => {
                todo.extend(entries.iter().flat_map(|(k, v)| [k, v]));
                Cost::scalar("")
            }
            _ => Cost::scalar(""),
        });
    }
    total
}

fn is_data(ev: &Event<'_>) -> bool {
    matches!(
        ev,
        Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart(..)
            | Event::DocumentEnd
            | Event::Alias(_)
            | Event::UnresolvedAlias(_)
            | Event::Scalar(..)
            | Event::SequenceStart(..)
            | Event::SequenceEnd
            | Event::MappingStart(..)
            | Event::MappingEnd
    )
}

/// Go map assignment: a repeated key replaces the earlier value.
fn set_entry(
    entries: &mut Vec<(GoValue, GoValue)>,
    key: GoValue,
    value: GoValue,
) -> Result<(), String> {
    if matches!(key, GoValue::Map(_) | GoValue::Seq(_)) {
        return Err("yaml: invalid map key".into());
    }
    match entries.iter_mut().find(|(k, _)| same_key(k, &key)) {
        Some(slot) => slot.1 = value,
        None => entries.push((key, value)),
    }
    Ok(())
}

fn same_key(a: &GoValue, b: &GoValue) -> bool {
    match (a, b) {
        (GoValue::Null, GoValue::Null) => true,
        (GoValue::Bool(x), GoValue::Bool(y)) => x == y,
        (GoValue::Int(x), GoValue::Int(y)) => x == y,
        (GoValue::Uint(x), GoValue::Uint(y)) => x == y,
        (GoValue::Float(x), GoValue::Float(y)) => x == y,
        (GoValue::Str(x), GoValue::Str(y)) => x == y,
        _ => false,
    }
}

/// go-yaml v2 `d.merge`: `<<: map` or `<<: [map, …]` (earlier maps win in a list).
fn merge(entries: &mut Vec<(GoValue, GoValue)>, value: GoValue) -> Result<(), String> {
    let bad = || "yaml: map merge requires map or sequence of maps as the value".to_string();
    match value {
        GoValue::Map(m) => m
            .into_iter()
            .try_for_each(|(k, v)| set_entry(entries, k, v)),
        GoValue::Seq(items) => {
            for item in items.into_iter().rev() {
                let GoValue::Map(m) = item else {
                    return Err(bad());
                };
                m.into_iter()
                    .try_for_each(|(k, v)| set_entry(entries, k, v))?;
            }
            Ok(())
        }
        _ => Err(bad()),
    }
}

/// go-yaml v2 `d.scalar` for an `interface{}` target.
fn scalar(text: &str, style: ScalarStyle, tag: Option<&Tag>) -> Result<GoValue, String> {
    let Some(tag) = tag else {
        return Ok(match style {
            ScalarStyle::Plain => from_resolved(resolve(text), text),
            _ => GoValue::Str(text.to_string()),
        });
    };
    if tag.handle() != CORE {
        // Local and custom tags are not resolvable: the text stays a string.
        return Ok(GoValue::Str(text.to_string()));
    }
    let suffix = tag.suffix().to_string();
    let resolved = resolve(text);
    let rtag = match &resolved {
        Resolved::Str | Resolved::Merge => "str",
        Resolved::Null => "null",
        Resolved::Bool(_) => "bool",
        Resolved::Int(_) | Resolved::Uint(_) => "int",
        Resolved::Float(_) => "float",
        Resolved::Timestamp => "timestamp",
    };
    match suffix.as_str() {
        "str" => Ok(GoValue::Str(text.to_string())),
        "binary" => base64::engine::general_purpose::STANDARD
            .decode(text.split_whitespace().collect::<String>())
            .map(|b| GoValue::Str(String::from_utf8_lossy(&b).into_owned()))
            .map_err(|_| "yaml: !!binary value contains invalid base64 data".to_string()),
        "float" if rtag == "int" => Ok(match resolved {
            Resolved::Int(i) => GoValue::Float(i as f64),
            Resolved::Uint(u) => GoValue::Float(u as f64),
            _ => GoValue::Str(text.to_string()),
        }),
        "bool" | "int" | "float" | "timestamp" if suffix != rtag => Err(format!(
            "yaml: cannot decode !!{rtag} `{text}` as a !!{suffix}"
        )),
        "bool" | "int" | "float" | "timestamp" => Ok(from_resolved(resolved, text)),
        // `!!null`, `!!map`, … on a scalar: not resolvable, the text stays a string.
        _ => Ok(GoValue::Str(text.to_string())),
    }
}

fn from_resolved(r: Resolved, text: &str) -> GoValue {
    match r {
        Resolved::Null => GoValue::Null,
        Resolved::Bool(b) => GoValue::Bool(b),
        Resolved::Int(i) => GoValue::Int(i),
        Resolved::Uint(u) => GoValue::Uint(u),
        Resolved::Float(f) => GoValue::Float(f),
        Resolved::Str | Resolved::Timestamp | Resolved::Merge => GoValue::Str(text.to_string()),
    }
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 64)` for error messages.
fn go_float_name(f: f64) -> String {
    if f.is_nan() {
        "NaN".into()
    } else if f > 0.0 {
        "+Inf".into()
    } else {
        "-Inf".into()
    }
}

/// `convertToJSONableObject` + `json.Marshal` + `json.Unmarshal` into `interface{}`.
fn to_json(v: &GoValue) -> Result<Value, String> {
    stacker::maybe_grow(256 * 1024, 4 << 20, || to_json_here(v))
}

fn to_json_here(v: &GoValue) -> Result<Value, String> {
    Ok(match v {
        GoValue::Null => Value::Null,
        GoValue::Bool(b) => Value::Bool(*b),
        GoValue::Int(i) => go_number(*i as f64),
        GoValue::Uint(u) => go_number(*u as f64),
        GoValue::Float(f) if !f.is_finite() => {
            return Err(format!("json: unsupported value: {}", go_float_name(*f)));
        }
        GoValue::Float(f) => go_number(*f),
        GoValue::Str(s) => Value::String(s.clone()),
        GoValue::Seq(items) => Value::Array(items.iter().map(to_json).collect::<Result<_, _>>()?),
        GoValue::Map(entries) => {
            let mut m = Map::new();
            for (k, v) in entries {
                m.insert(key_string(k, v)?, to_json(v)?);
            }
            Value::Object(m)
        }
    })
}

/// Go decodes every JSON number as float64; integral values are kept as integers here.
fn go_number(f: f64) -> Value {
    if f.fract() == 0.0 && f.abs() < 9.2e18 {
        Value::Number(Number::from(f as i64))
    } else {
        Number::from_f64(f).map_or(Value::Null, Value::Number)
    }
}

/// The key conversion of `convertToJSONableObject`.
fn key_string(k: &GoValue, v: &GoValue) -> Result<String, String> {
    Ok(match k {
        GoValue::Str(s) => s.clone(),
        GoValue::Int(i) => i.to_string(),
        GoValue::Bool(b) => b.to_string(),
        GoValue::Float(f) if f.is_nan() => ".nan".into(),
        GoValue::Float(f) if f.is_infinite() => if *f > 0.0 { ".inf" } else { "-.inf" }.into(),
        // go-yaml formats float keys with 32-bit precision.
        GoValue::Float(f) => format!("{}", *f as f32),
        other => {
            let ty = match other {
                GoValue::Uint(_) => "uint64",
                GoValue::Null => "<nil>",
                _ => "interface {}",
            };
            return Err(format!(
                "unsupported map key of type: {ty}, key: {k:?}, value: {v:?}"
            ));
        }
    })
}
