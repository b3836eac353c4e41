//! A port of Helm's `--set` parser (`pkg/strvals`), which Flux uses for `valuesFrom[].targetPath`.
//!
//! Three modes: typed (`ParseInto`: `true`, `null`, integers), string (`ParseIntoString`, for quoted
//! values) and literal (`ParseLiteralInto`: the value is taken verbatim, commas included).

use serde_json::{Map, Value};

/// Helm's bounds against hostile input.
const MAX_INDEX: usize = 65536;
const MAX_NESTED_NAME_LEVEL: usize = 30;

/// How assigned values are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Typed,
    String,
    Literal,
}

/// Parses `a.b[0]=v,c=w` into `data`, as Helm's `strvals.ParseInto` family does.
pub(crate) fn parse_into(
    input: &str,
    data: &mut Map<String, Value>,
    mode: Mode,
) -> Result<(), String> {
    let mut parser = Parser {
        chars: input.chars().collect(),
        pos: 0,
        mode,
    };
    loop {
        match parser.key(data, 0) {
            Ok(()) => continue,
            Err(Stop::Eof) => return Ok(()),
            Err(Stop::Error(e)) => return Err(e),
        }
    }
}

enum Stop {
    Eof,
    Error(String),
}

fn err<T>(message: String) -> Result<T, Stop> {
    Err(Stop::Error(message))
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
    mode: Mode,
}

enum ListRead {
    List(Vec<Value>),
    NotList,
}

impl Parser {
    fn next(&mut self) -> Option<char> {
        let c = self.chars.get(self.pos).copied();
        if c.is_some() {
            self.pos += 1;
        }
        c
    }

    /// Reads until one of `stop` (consumed), honouring `\` escapes. `None` as the stop means EOF.
    fn until(&mut self, stop: &[char]) -> (String, Option<char>) {
        let mut out = String::new();
        while let Some(c) = self.next() {
            if stop.contains(&c) {
                return (out, Some(c));
            }
            if c == '\\' {
                match self.next() {
                    Some(n) => out.push(n),
                    None => return (out, None),
                }
                continue;
            }
            out.push(c);
        }
        (out, None)
    }

    fn typed(&self, raw: String) -> Value {
        if self.mode != Mode::Typed {
            return Value::String(raw);
        }
        if raw.eq_ignore_ascii_case("true") {
            return Value::Bool(true);
        }
        if raw.eq_ignore_ascii_case("false") {
            return Value::Bool(false);
        }
        if raw.eq_ignore_ascii_case("null") {
            return Value::Null;
        }
        if raw == "0" {
            return Value::from(0i64);
        }
        if !raw.is_empty()
            && !raw.starts_with('0')
            && let Ok(i) = raw.parse::<i64>()
        {
            return Value::from(i);
        }
        Value::String(raw)
    }

    /// The value after `=`: `Ok(Some)` when more assignments follow, `Ok(None)` at EOF.
    fn value(&mut self) -> Result<(Value, bool), Stop> {
        if self.mode == Mode::Literal {
            let rest: String = self.chars[self.pos..].iter().collect();
            self.pos = self.chars.len();
            return Ok((Value::String(rest), false));
        }
        match self.list()? {
            ListRead::List(items) => Ok((Value::Array(items), self.pos < self.chars.len())),
            ListRead::NotList => {
                let (raw, last) = self.until(&[',']);
                Ok((self.typed(raw), last.is_some()))
            }
        }
    }

    fn list(&mut self) -> Result<ListRead, Stop> {
        if self.chars.get(self.pos) != Some(&'{') {
            return Ok(ListRead::NotList);
        }
        self.pos += 1;
        let mut items = Vec::new();
        loop {
            let (raw, last) = self.until(&[',', '}']);
            match last {
                None => return err("list must terminate with '}'".to_string()),
                Some('}') => {
                    if self.chars.get(self.pos) == Some(&',') {
                        self.pos += 1;
                    }
                    items.push(self.typed(raw));
                    return Ok(ListRead::List(items));
                }
                Some(_) => items.push(self.typed(raw)),
            }
        }
    }

    fn key(&mut self, data: &mut Map<String, Value>, level: usize) -> Result<(), Stop> {
        let (k, last) = self.until(&['=', '[', ',', '.']);
        match last {
            None if k.is_empty() => Err(Stop::Eof),
            None => err(format!("key {k:?} has no value")),
            Some('=') => {
                if self.pos >= self.chars.len() && self.mode != Mode::Literal {
                    data.insert(k, Value::String(String::new()));
                    return Err(Stop::Eof);
                }
                let (v, more) = self.value()?;
                data.insert(k, v);
                if more { Ok(()) } else { Err(Stop::Eof) }
            }
            Some(',') => {
                data.insert(k.clone(), Value::String(String::new()));
                err(format!("key {k:?} has no value (cannot end with ,)"))
            }
            Some('.') => {
                if level + 1 > MAX_NESTED_NAME_LEVEL {
                    return err(format!(
                        "value name nested level is greater than maximum supported nested level of {MAX_NESTED_NAME_LEVEL}"
                    ));
                }
                let mut inner = match data.get(&k) {
                    Some(Value::Object(m)) => m.clone(),
                    _ => Map::new(),
                };
                let result = self.key(&mut inner, level + 1);
                if inner.is_empty() {
                    if result.is_ok() {
                        return err(format!("key map {k:?} has no value"));
                    }
                } else {
                    data.insert(k, Value::Object(inner));
                }
                result
            }
            Some(_) => {
                // '[': a list index.
                let index = self.index()?;
                let list = match data.get(&k) {
                    Some(Value::Array(a)) => a.clone(),
                    None | Some(Value::Null) => Vec::new(),
                    Some(_) => return err(format!("not a list: {k:?}")),
                };
                let (list, result) = self.list_item(list, index, level);
                data.insert(k, Value::Array(list));
                result
            }
        }
    }

    fn index(&mut self) -> Result<usize, Stop> {
        let (raw, last) = self.until(&[']']);
        if last.is_none() {
            return err(format!("error parsing index: {raw:?}"));
        }
        let i: i64 = raw
            .parse()
            .map_err(|e| Stop::Error(format!("error parsing index: {e}")))?;
        if i < 0 {
            return err(format!("negative {i} index not allowed"));
        }
        let i = i as usize;
        if i >= MAX_INDEX {
            return err(format!(
                "index of {i} is greater than maximum supported index of {MAX_INDEX}"
            ));
        }
        Ok(i)
    }

    fn list_item(
        &mut self,
        mut list: Vec<Value>,
        i: usize,
        level: usize,
    ) -> (Vec<Value>, Result<(), Stop>) {
        let (k, last) = self.until(&['[', '.', '=']);
        if !k.is_empty() {
            return (
                list,
                err(format!("unexpected data at end of array index: {k:?}")),
            );
        }
        match last {
            None => (list, Err(Stop::Eof)),
            Some('=') => {
                if self.pos >= self.chars.len() && self.mode != Mode::Literal {
                    set_index(&mut list, i, Value::String(String::new()));
                    return (list, Ok(()));
                }
                match self.value() {
                    Ok((v, more)) => {
                        set_index(&mut list, i, v);
                        (list, if more { Ok(()) } else { Err(Stop::Eof) })
                    }
                    Err(e) => (list, Err(e)),
                }
            }
            Some('[') => {
                let next = match self.index() {
                    Ok(n) => n,
                    Err(e) => return (list, Err(e)),
                };
                let current = match list.get(i) {
                    Some(Value::Array(a)) => a.clone(),
                    _ => Vec::new(),
                };
                let (inner, result) = self.list_item(current, next, level);
                set_index(&mut list, i, Value::Array(inner));
                (list, result)
            }
            Some(_) => {
                let mut inner = match list.get(i) {
                    Some(Value::Object(m)) => m.clone(),
                    _ => Map::new(),
                };
                let result = self.key(&mut inner, level);
                set_index(&mut list, i, Value::Object(inner));
                (list, result)
            }
        }
    }
}

fn set_index(list: &mut Vec<Value>, i: usize, value: Value) {
    if list.len() <= i {
        list.resize(i + 1, Value::Null);
    }
    list[i] = value;
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(input: &str, mode: Mode) -> Result<Value, String> {
        let mut m = Map::new();
        parse_into(input, &mut m, mode)?;
        Ok(Value::Object(m))
    }

    #[test]
    fn typed_values() {
        assert_eq!(
            parse("a.b=true,c=10,d=010,e=null,f=x\\,y,g=0", Mode::Typed).unwrap(),
            json!({"a":{"b":true},"c":10,"d":"010","e":null,"f":"x,y","g":0})
        );
    }

    #[test]
    fn escaped_dots_lists_and_indexes() {
        assert_eq!(
            parse("a\\.b=1,l={x,y},i[1].n=z", Mode::Typed).unwrap(),
            json!({"a.b":1,"l":["x","y"],"i":[null,{"n":"z"}]})
        );
    }

    #[test]
    fn string_and_literal_modes() {
        assert_eq!(parse("a=true", Mode::String).unwrap(), json!({"a":"true"}));
        assert_eq!(
            parse("a.b=x,y=z\nw", Mode::Literal).unwrap(),
            json!({"a":{"b":"x,y=z\nw"}})
        );
    }

    #[test]
    fn comma_splits_into_assignments() {
        assert_eq!(
            parse("a=x,b=y", Mode::Typed).unwrap(),
            json!({"a":"x","b":"y"})
        );
        assert!(parse("a=x,y", Mode::Typed).is_err());
        assert_eq!(parse("a=", Mode::Typed).unwrap(), json!({"a":""}));
    }

    #[test]
    fn merges_into_existing_maps() {
        let mut m = json!({"a":{"keep":1}}).as_object().cloned().unwrap();
        parse_into("a.b=2", &mut m, Mode::Typed).unwrap();
        assert_eq!(Value::Object(m), json!({"a":{"keep":1,"b":2}}));
    }
}
