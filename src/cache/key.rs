//! Cache keys: SHA-256 over a canonical, labelled sequence of parts.
//!
//! `std::hash::Hash` is not used on purpose: its output may change between Rust releases, and a
//! key must stay the same across fluxsim builds for the on-disk cache to be reusable. Every part
//! is written as `tag, len(label), label, len(value), value` (lengths as u64 little-endian), so two
//! different part sequences can never produce the same byte stream.

use std::fmt;
use std::fs::File;
use std::io;
use std::path::Path;

use sha2::{Digest, Sha256};

/// A 32-byte SHA-256 content address. Shown as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key([u8; 32]);

impl Key {
    /// The raw digest.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// 64 lowercase hex digits.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses 64 hex digits; `None` for anything else.
    pub fn from_hex(text: &str) -> Option<Key> {
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(text, &mut bytes).ok()?;
        Some(Key(bytes))
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Key({})", self.to_hex())
    }
}

/// Part tags: a text and a byte string with the same content must still differ.
const TAG_DOMAIN: u8 = b'D';
const TAG_TEXT: u8 = b'T';
const TAG_BYTES: u8 = b'B';
const TAG_U64: u8 = b'U';
const TAG_BOOL: u8 = b'b';
const TAG_KEY: u8 = b'K';
const TAG_JSON: u8 = b'J';
const TAG_FILE: u8 = b'F';

/// Builds a [`Key`] from labelled parts. The order of parts matters.
///
/// ```text
/// let key = KeyBuilder::new("kustomize-build")
///     .text("kustomize-version", "5.8.1")
///     .json("kustomization", &top)
///     .key("files", &digest_files(root, &read_set.files)?)
///     .finish();
/// ```
#[derive(Clone)]
pub struct KeyBuilder {
    hasher: Sha256,
}

impl KeyBuilder {
    /// Starts a key in a domain (what the key is for), so keys of different kinds never collide.
    pub fn new(domain: &str) -> KeyBuilder {
        let builder = KeyBuilder {
            hasher: Sha256::new(),
        };
        builder.part(TAG_DOMAIN, "domain", domain.as_bytes())
    }

    fn part(mut self, tag: u8, label: &str, value: &[u8]) -> KeyBuilder {
        self.hasher.update([tag]);
        self.hasher.update((label.len() as u64).to_le_bytes());
        self.hasher.update(label.as_bytes());
        self.hasher.update((value.len() as u64).to_le_bytes());
        self.hasher.update(value);
        self
    }

    /// A UTF-8 string.
    pub fn text(self, label: &str, value: &str) -> KeyBuilder {
        self.part(TAG_TEXT, label, value.as_bytes())
    }

    /// Raw bytes.
    pub fn bytes(self, label: &str, value: &[u8]) -> KeyBuilder {
        self.part(TAG_BYTES, label, value)
    }

    /// An integer (fixed-width little-endian).
    pub fn u64(self, label: &str, value: u64) -> KeyBuilder {
        self.part(TAG_U64, label, &value.to_le_bytes())
    }

    /// A flag.
    pub fn bool(self, label: &str, value: bool) -> KeyBuilder {
        self.part(TAG_BOOL, label, &[u8::from(value)])
    }

    /// Another key (for example a [`digest_files`](super::digest_files) result).
    pub fn key(self, label: &str, value: &Key) -> KeyBuilder {
        self.part(TAG_KEY, label, &value.0)
    }

    /// A JSON value in its compact serialization. Object keys keep their order, so two maps that
    /// differ only in key order give different keys: a needless miss, never a wrong hit.
    pub fn json(self, label: &str, value: &serde_json::Value) -> KeyBuilder {
        // Serializing a Value into a Vec cannot fail; an empty fallback would still be labelled.
        let bytes = serde_json::to_vec(value).unwrap_or_default();
        self.part(TAG_JSON, label, &bytes)
    }

    /// The SHA-256 of a file's content (its path is not part of the key; add it with `text`).
    pub fn file_digest(self, label: &str, path: &Path) -> io::Result<KeyBuilder> {
        let digest = sha256_file(path)?;
        Ok(self.part(TAG_FILE, label, &digest))
    }

    /// The finished key.
    pub fn finish(self) -> Key {
        Key(self.hasher.finalize().into())
    }
}

/// Streams a file through SHA-256 without holding it in memory.
pub(crate) fn sha256_file(path: &Path) -> io::Result<[u8; 32]> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    io::copy(&mut file, &mut hasher)?;
    Ok(hasher.finalize().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_parts_same_key() {
        let a = KeyBuilder::new("t").text("a", "1").u64("n", 2).finish();
        let b = KeyBuilder::new("t").text("a", "1").u64("n", 2).finish();
        assert_eq!(a, b);
    }

    #[test]
    fn boundaries_and_tags_matter() {
        let a = KeyBuilder::new("t").text("a", "bc").finish();
        let b = KeyBuilder::new("t").text("ab", "c").finish();
        let c = KeyBuilder::new("t").bytes("a", b"bc").finish();
        let d = KeyBuilder::new("u").text("a", "bc").finish();
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
    }

    /// Pins the encoding: if this changes, every bucket name must be bumped.
    #[test]
    fn stable_across_releases() {
        let key = KeyBuilder::new("fluxsim-test")
            .text("label", "value")
            .finish();
        assert_eq!(
            key.to_hex(),
            "8795beca502fe0e38d18bc253ee46abe7447638e3175e6b194be3fe8923d47e1"
        );
    }

    #[test]
    fn hex_round_trip() {
        let key = KeyBuilder::new("t").finish();
        assert_eq!(Key::from_hex(&key.to_hex()), Some(key));
        assert_eq!(Key::from_hex("zz"), None);
    }

    #[test]
    fn file_digest_reads_content() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, "one").unwrap();
        let a = KeyBuilder::new("t")
            .file_digest("f", &path)
            .unwrap()
            .finish();
        std::fs::write(&path, "two").unwrap();
        let b = KeyBuilder::new("t")
            .file_digest("f", &path)
            .unwrap()
            .finish();
        assert_ne!(a, b);
        assert!(
            KeyBuilder::new("t")
                .file_digest("f", &dir.path().join("missing"))
                .is_err()
        );
    }
}
