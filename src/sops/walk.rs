//! Decrypts a tree in place and computes its MAC (`Tree.Decrypt`, `Tree.shouldBeEncrypted`): the
//! key path (mapping keys only) is the additional data, the comment stack drives the comment
//! regexes, and every hashed leaf feeds SHA-512 in document order.

use sha2::{Digest, Sha512};

use super::cipher::{self, Plain};
use super::error::SopsError;
use super::metadata::{Metadata, Rules};
use super::tree::{Comment, Entry, Node, Scalar};

/// `sha256("sops")`: the MAC's prefix when only encrypted values are hashed.
const MAC_ONLY_ENCRYPTED_INIT: [u8; 32] = [
    0x8a, 0x3f, 0xd2, 0xad, 0x54, 0xce, 0x66, 0x52, 0x7b, 0x10, 0x34, 0xf3, 0xd1, 0x47, 0xbe, 0x0b,
    0x0b, 0x97, 0x5b, 0x3b, 0xf4, 0x4f, 0x72, 0xc6, 0xfd, 0xad, 0xec, 0x81, 0x76, 0xf2, 0x7d, 0x69,
];

/// The outcome of checking the stored MAC.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum MacCheck {
    Verified,
    Mismatch,
    /// The stored MAC itself could not be decrypted.
    Unreadable(String),
}

struct Walker<'a> {
    rules: &'a Rules,
    mac_only_encrypted: bool,
    key: &'a [u8; 32],
    hasher: Sha512,
    /// Index of the document, for error paths in multi-document files.
    doc: usize,
    docs: usize,
}

/// Decrypts every document and checks the MAC.
pub(crate) fn decrypt_tree(
    docs: &mut [Node],
    meta: &Metadata,
    key: &[u8; 32],
) -> Result<MacCheck, SopsError> {
    let mut w = Walker {
        rules: &meta.rules,
        mac_only_encrypted: meta.mac_only_encrypted,
        key,
        hasher: Sha512::new(),
        doc: 0,
        docs: docs.len(),
    };
    if meta.mac_only_encrypted {
        w.hasher.update(MAC_ONLY_ENCRYPTED_INIT);
    }
    for (i, doc) in docs.iter_mut().enumerate() {
        w.doc = i;
        w.node(doc, &mut Vec::new(), &mut Vec::new())?;
    }
    let computed: String = w
        .hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect();
    Ok(match cipher::decrypt(&meta.mac, key, &meta.mac_aad) {
        Ok(Plain::Value(Scalar::Str(stored))) if stored == computed => MacCheck::Verified,
        Ok(_) => MacCheck::Mismatch,
        Err(cipher::CipherError::Auth) => MacCheck::Unreadable("authentication failed".into()),
        Err(cipher::CipherError::Format(m)) => MacCheck::Unreadable(m),
    })
}

impl Walker<'_> {
    fn node(
        &mut self,
        node: &mut Node,
        path: &mut Vec<String>,
        stack: &mut Vec<Vec<String>>,
    ) -> Result<(), SopsError> {
        match node {
            Node::Map(entries) => self.map(entries, path, stack),
            Node::Seq(items) => self.seq(items, path, stack),
            Node::Scalar(_) => self.leaf(node, path, stack),
            Node::Comment(c) => {
                // Only reached for a top-level comment node, which walkSlice/walkBranch handle.
                let c = c.clone();
                *node = Node::Comment(self.comment(c, path, stack));
                Ok(())
            }
        }
    }

    fn map(
        &mut self,
        entries: &mut [Entry],
        path: &mut Vec<String>,
        stack: &mut Vec<Vec<String>>,
    ) -> Result<(), SopsError> {
        stack.push(Vec::new());
        for entry in entries.iter_mut() {
            match entry {
                Entry::Comment(c) => {
                    if let Some(frame) = stack.last_mut() {
                        frame.push(c.text.clone());
                    }
                    let decrypted = self.comment(c.clone(), path, stack);
                    *c = decrypted;
                }
                Entry::Pair(k, v) => {
                    path.push(k.clone());
                    let result = self.node(v, path, stack);
                    path.pop();
                    result?;
                    if let Some(frame) = stack.last_mut() {
                        frame.clear();
                    }
                }
            }
        }
        stack.pop();
        Ok(())
    }

    fn seq(
        &mut self,
        items: &mut [Node],
        path: &mut Vec<String>,
        stack: &mut Vec<Vec<String>>,
    ) -> Result<(), SopsError> {
        stack.push(Vec::new());
        for item in items.iter_mut() {
            if let Node::Comment(c) = item {
                if let Some(frame) = stack.last_mut() {
                    frame.push(c.text.clone());
                }
                let decrypted = self.comment(c.clone(), path, stack);
                *item = Node::Comment(decrypted);
                continue;
            }
            self.node(item, path, stack)?;
            if let Some(frame) = stack.last_mut() {
                frame.clear();
            }
        }
        stack.pop();
        Ok(())
    }

    /// A comment is decrypted when the rules say so; failure keeps it as is (older sops files).
    fn comment(&mut self, c: Comment, path: &[String], stack: &[Vec<String>]) -> Comment {
        if !should_be_encrypted(self.rules, path, stack, true) {
            return c;
        }
        let primary = aad(path);
        let candidates = std::iter::once(&primary).chain(c.alt_aads.iter());
        for candidate in candidates {
            if let Ok(Plain::Comment(text)) = cipher::decrypt(c.text.trim(), self.key, candidate) {
                return Comment::new(text);
            }
        }
        c
    }

    fn leaf(
        &mut self,
        node: &mut Node,
        path: &[String],
        stack: &[Vec<String>],
    ) -> Result<(), SopsError> {
        let Node::Scalar(scalar) = node else {
            return Ok(());
        };
        // nil values are neither decrypted nor hashed (walkValue returns early).
        if *scalar == Scalar::Null {
            return Ok(());
        }
        let encrypted = should_be_encrypted(self.rules, path, stack, false);
        if encrypted {
            let Scalar::Str(text) = scalar else {
                return Err(super::error::malformed(format!(
                    "value at '{}' should be encrypted but is not a string",
                    self.display(path)
                )));
            };
            match cipher::decrypt(text, self.key, &aad(path))
                .map_err(|e| e.at(&self.display(path)))?
            {
                // A comment stored as a sequence item turns back into a comment, not hashed.
                Plain::Comment(c) => {
                    *node = Node::Comment(Comment::new(c));
                    return Ok(());
                }
                Plain::Value(v) => *scalar = v,
            }
        }
        if (!self.mac_only_encrypted || encrypted)
            && let Some(bytes) = scalar.mac_bytes()
        {
            self.hasher.update(bytes);
        }
        Ok(())
    }

    /// `a.b.c` (with the document number in multi-document files) for messages.
    fn display(&self, path: &[String]) -> String {
        let joined = if path.is_empty() {
            "<root>".to_string()
        } else {
            path.join(".")
        };
        if self.docs > 1 {
            format!("document {}: {joined}", self.doc + 1)
        } else {
            joined
        }
    }
}

/// The additional data of a value: mapping keys joined by `:`, plus a trailing `:`.
pub(crate) fn aad(path: &[String]) -> String {
    let mut s = path.join(":");
    s.push(':');
    s
}

/// `Tree.shouldBeEncrypted`, rule for rule.
pub(crate) fn should_be_encrypted(
    rules: &Rules,
    path: &[String],
    stack: &[Vec<String>],
    is_comment: bool,
) -> bool {
    let mut encrypted = true;
    if let Some(suffix) = &rules.unencrypted_suffix
        && path.iter().any(|p| p.ends_with(suffix.as_str()))
    {
        encrypted = false;
    }
    if let Some(suffix) = &rules.encrypted_suffix {
        encrypted = path.iter().any(|p| p.ends_with(suffix.as_str()));
    }
    if let Some(re) = &rules.unencrypted_regex
        && path.iter().any(|p| re.is_match(p))
    {
        encrypted = false;
    }
    if let Some(re) = &rules.encrypted_regex {
        encrypted = path.iter().any(|p| re.is_match(p));
    }
    if let Some(re) = &rules.unencrypted_comment_regex
        && stack.iter().flatten().any(|c| re.is_match(c))
    {
        encrypted = false;
    }
    if let Some(re) = &rules.encrypted_comment_regex {
        let last = stack.len().saturating_sub(1);
        let last_len = stack.last().map_or(0, Vec::len);
        encrypted = stack.iter().enumerate().any(|(i, frame)| {
            frame.iter().enumerate().any(|(j, c)| {
                // The matching comment line itself is not encrypted.
                let is_self = is_comment && i == last && j + 1 == last_len;
                !is_self && re.is_match(c)
            })
        });
    }
    encrypted
}

#[cfg(test)]
mod tests {
    use super::*;
    use regex::Regex;

    fn p(parts: &[&str]) -> Vec<String> {
        parts.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn aad_uses_mapping_keys_only() {
        assert_eq!(aad(&p(&["data", "password"])), "data:password:");
        assert_eq!(aad(&[]), ":");
    }

    #[test]
    fn rules_match_any_path_component() {
        let rules = Rules {
            encrypted_regex: Some(Regex::new("^(data|stringData)$").unwrap()),
            ..Default::default()
        };
        assert!(should_be_encrypted(
            &rules,
            &p(&["spec", "data", "x"]),
            &[],
            false
        ));
        assert!(!should_be_encrypted(
            &rules,
            &p(&["metadata", "name"]),
            &[],
            false
        ));
        let rules = Rules {
            unencrypted_suffix: Some("_unencrypted".into()),
            ..Default::default()
        };
        assert!(!should_be_encrypted(
            &rules,
            &p(&["a_unencrypted", "b"]),
            &[],
            false
        ));
        assert!(should_be_encrypted(&rules, &p(&["a", "b"]), &[], false));
        let rules = Rules {
            encrypted_suffix: Some("_secret".into()),
            ..Default::default()
        };
        assert!(should_be_encrypted(
            &rules,
            &p(&["db", "creds_secret", "user"]),
            &[],
            false
        ));
        assert!(!should_be_encrypted(
            &rules,
            &p(&["db", "host"]),
            &[],
            false
        ));
    }

    #[test]
    fn comment_regex_skips_the_marker_line_itself() {
        let rules = Rules {
            encrypted_comment_regex: Some(Regex::new("sops:enc").unwrap()),
            ..Default::default()
        };
        let stack = vec![vec![" sops:enc".to_string()]];
        assert!(should_be_encrypted(&rules, &p(&["k"]), &stack, false));
        assert!(!should_be_encrypted(&rules, &[], &stack, true));
        assert!(!should_be_encrypted(&rules, &p(&["k"]), &[vec![]], false));
    }
}
