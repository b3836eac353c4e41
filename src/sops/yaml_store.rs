//! Reads YAML into SOPS trees (`stores/yaml/store.go`) from granit-parser events: raw scalar text
//! and style (resolved with go-yaml v3 rules), comments, anchors/aliases, several documents.

use std::collections::HashMap;

use serde_saphyr::granit_parser::{Event, Options, Parser, ScalarStyle};

use crate::yaml::{AliasMeter, Cost};

use super::error::{SopsError, malformed};
use super::tree::{Comment, Entry, Node, Scalar};
use super::walk::aad;
use super::yaml_resolve::resolve_plain;

/// A collection being built.
enum Frame {
    Map {
        entries: Vec<Entry>,
        key: Option<String>,
        anchor: usize,
    },
    Seq {
        items: Vec<Node>,
        anchor: usize,
    },
}

/// Parses every document of a YAML stream. Empty documents are dropped.
pub(crate) fn parse(text: &str) -> Result<Vec<Node>, SopsError> {
    let _permit = crate::yaml::alias_permit(text);
    let mut options = Options::default();
    options.emit_comments = true;
    let parser = Parser::new_from_str_with_options(text, options);
    let mut b = Builder::default();
    for event in parser {
        let (event, _span) = event.map_err(|e| malformed(format!("YAML syntax error: {e}")))?;
        b.event(event)?;
    }
    Ok(b.docs)
}

#[derive(Default)]
struct Builder {
    docs: Vec<Node>,
    stack: Vec<Frame>,
    /// Anchored nodes with their size: every alias copies one, charged to `aliases` first.
    anchors: HashMap<usize, (Node, Cost)>,
    aliases: AliasMeter,
    /// Comments seen outside any collection (before the root mapping starts).
    loose_comments: Vec<Comment>,
    /// Comments between a key and its value: they open the value's collection (go-yaml attaches
    /// them to its first key), or stay in the mapping when the value is a scalar.
    carry: Vec<Comment>,
}

impl Builder {
    fn event(&mut self, event: Event<'_>) -> Result<(), SopsError> {
        match event {
            Event::Scalar(value, style, anchor, tag) => {
                let scalar = match tag
                    .as_ref()
                    .and_then(|t| t.core_suffix().map(str::to_string))
                {
                    Some(suffix) if suffix == "str" => Scalar::Str(value.to_string()),
                    Some(_) => resolve_plain(&value),
                    None if style == ScalarStyle::Plain && tag.is_none() => resolve_plain(&value),
                    None => Scalar::Str(value.to_string()),
                };
                // Mapping keys keep their text, whatever it resolves to.
                let node = match self.stack.last() {
                    Some(Frame::Map { key: None, .. }) => {
                        Node::Scalar(Scalar::Str(value.to_string()))
                    }
                    _ => Node::Scalar(scalar),
                };
                if anchor != 0 {
                    self.anchor(anchor, &node);
                }
                self.push(node)?;
            }
            Event::Alias(id) => {
                let (node, cost) = self
                    .anchors
                    .get(&id)
                    .ok_or_else(|| malformed("YAML alias to an unknown anchor"))?;
                self.aliases.charge(*cost)?;
                let node = node.clone();
                self.push(node)?;
            }
            Event::MappingStart(_, anchor, _) => {
                let mut entries: Vec<Entry> = self.carry.drain(..).map(Entry::Comment).collect();
                if self.stack.is_empty() {
                    entries.extend(self.loose_comments.drain(..).map(Entry::Comment));
                }
                self.stack.push(Frame::Map {
                    entries,
                    key: None,
                    anchor,
                });
            }
            Event::SequenceStart(_, anchor, _) => {
                let items = self.carry.drain(..).map(Node::Comment).collect();
                self.stack.push(Frame::Seq { items, anchor });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                let (node, anchor) = match self.stack.pop() {
                    Some(Frame::Map {
                        entries, anchor, ..
                    }) => (Node::Map(entries), anchor),
                    Some(Frame::Seq { items, anchor }) => (Node::Seq(items), anchor),
                    None => return Err(malformed("unbalanced YAML collection end")),
                };
                if anchor != 0 {
                    self.anchor(anchor, &node);
                }
                self.push(node)?;
            }
            Event::Comment(text, _placement) => self.comment(text.to_string()),
            Event::DocumentStart(..) => self.anchors.clear(),
            Event::DocumentEnd => {
                // Trailing comments of a document belong to its root mapping.
                if !self.loose_comments.is_empty()
                    && let Some(Node::Map(entries)) = self.docs.last_mut()
                {
                    entries.extend(self.loose_comments.drain(..).map(Entry::Comment));
                }
                self.loose_comments.clear();
            }
            _ => {}
        }
        Ok(())
    }

    fn anchor(&mut self, id: usize, node: &Node) {
        self.anchors.insert(id, (node.clone(), cost(node)));
    }

    /// Adds a finished node to the innermost open collection, or ends a document.
    fn push(&mut self, node: Node) -> Result<(), SopsError> {
        let carried: Vec<Comment> = self.carry.drain(..).collect();
        if let Some(Frame::Map { entries, .. }) = self.stack.last_mut() {
            entries.extend(carried.into_iter().map(Entry::Comment));
        }
        match self.stack.last_mut() {
            None => match node {
                Node::Scalar(Scalar::Null) => {}
                Node::Map(_) => self.docs.push(node),
                _ => {
                    return Err(malformed(
                        "a SOPS YAML document must be a mapping at the top level",
                    ));
                }
            },
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                Some(k) => entries.push(Entry::Pair(k, node)),
                None => match node {
                    Node::Scalar(Scalar::Str(k)) => *key = Some(k),
                    _ => return Err(malformed("complex YAML mapping keys are not supported")),
                },
            },
        }
        Ok(())
    }

    /// Places a comment in the innermost collection. go-yaml may attach it one level deeper or
    /// shallower than the event order suggests, so the candidate additional-data strings of every
    /// enclosing level are kept for decryption.
    fn comment(&mut self, text: String) {
        let mut path: Vec<String> = Vec::new();
        for frame in &self.stack[..self.stack.len().saturating_sub(1)] {
            if let Frame::Map { key: Some(k), .. } = frame {
                path.push(k.clone());
            }
        }
        let mut alt = Vec::new();
        if let Some(Frame::Map { key: Some(k), .. }) = self.stack.last() {
            let mut deeper = path.clone();
            deeper.push(k.clone());
            alt.push(aad(&deeper));
        }
        for n in (0..=path.len()).rev() {
            alt.push(aad(&path[..n]));
        }
        let comment = Comment {
            text,
            alt_aads: alt,
        };
        match self.stack.last_mut() {
            None => self.loose_comments.push(comment),
            Some(Frame::Seq { items, .. }) => items.push(Node::Comment(comment)),
            Some(Frame::Map { key: Some(_), .. }) => self.carry.push(comment),
            Some(Frame::Map { entries, .. }) => entries.push(Entry::Comment(comment)),
        }
    }
}

/// The size of a node, counted without recursion (nesting may be deep).
fn cost(node: &Node) -> Cost {
    let mut total = Cost::default();
    let mut todo = vec![node];
    while let Some(node) = todo.pop() {
        total = total.plus(match node {
            Node::Scalar(Scalar::Str(s)) => Cost::scalar(s),
            Node::Scalar(Scalar::Bytes(b)) => Cost {
                nodes: 1,
                bytes: b.len(),
            },
            Node::Comment(c) => Cost::scalar(&c.text),
            Node::Scalar(_) => Cost::scalar(""),
            Node::Seq(items) => {
                todo.extend(items);
                Cost::scalar("")
            }
            Node::Map(entries) => {
                for entry in entries {
                    match entry {
                        Entry::Pair(key, value) => {
                            total = total.plus(Cost::scalar(key));
                            todo.push(value);
                        }
                        Entry::Comment(c) => total = total.plus(Cost::scalar(&c.text)),
                    }
                }
                Cost::scalar("")
            }
        });
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_documents_comments_and_types() {
        let docs = parse("# top\na: 0755\nb: '0755'\nc:\n  - x\n  # in list\n  - &y {k: v}\nd: *y\n---\n---\ne: 1\n").unwrap();
        assert_eq!(docs.len(), 2);
        let Node::Map(entries) = &docs[0] else {
            panic!()
        };
        assert!(matches!(&entries[0], Entry::Comment(c) if c.text == " top"));
        assert_eq!(docs[0].get("a"), Some(&Node::Scalar(Scalar::Int(493))));
        assert_eq!(
            docs[0].get("b"),
            Some(&Node::Scalar(Scalar::Str("0755".into())))
        );
        let Some(Node::Seq(items)) = docs[0].get("c") else {
            panic!()
        };
        assert!(matches!(&items[1], Node::Comment(c) if c.text == " in list"));
        assert_eq!(docs[0].get("d"), Some(&items[2]));
    }

    /// Nine aliases of nine aliases …: 9^9 strings from 400 bytes.
    pub(crate) fn alias_bomb() -> String {
        let mut text = String::from("a0: &a0 [lol]\n");
        for i in 1..10 {
            let refs = vec![format!("*a{}", i - 1); 9].join(", ");
            text.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
        }
        text
    }

    #[test]
    fn an_alias_bomb_is_an_error() {
        let err = parse(&alias_bomb()).unwrap_err();
        assert!(matches!(err, SopsError::ExcessiveAliasing(_)), "{err}");
        assert!(err.to_string().contains("excessive aliasing"), "{err}");
    }

    #[test]
    fn modest_aliases_pass() {
        // Each level is used nine times but the last one only once: 9^5 nodes, well in budget.
        let text = alias_bomb().replace("a9: &a9", "#").replace("a8: &a8", "#");
        let text = text.replace("a7: &a7", "#").replace("a6: &a6", "#");
        assert!(parse(&text).is_ok());
    }

    #[test]
    fn rejects_non_mapping_documents_and_bad_syntax() {
        assert!(parse("- a\n- b\n").is_err());
        assert!(parse("a: [1, 2\nb: c").is_err());
        assert!(parse("? [a]\n: b\n").is_err());
    }
}
