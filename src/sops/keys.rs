//! The age keyring: X25519 identities and where each came from, loaded the way sops does
//! (explicit files, `SOPS_AGE_KEY`, `SOPS_AGE_KEY_FILE`, then the default keys.txt).

use std::path::{Path, PathBuf};
use std::str::FromStr;

use age::x25519;

use super::error::SopsError;

/// One usable identity.
#[derive(Clone)]
pub(crate) struct KeyEntry {
    pub identity: x25519::Identity,
    pub origin: String,
}

/// age X25519 identities plus where each came from. Identity lines of kinds we cannot use
/// (post-quantum `AGE-SECRET-KEY-PQ-1…`, `AGE-PLUGIN-…`) are remembered, not rejected, so that
/// the error for a document that needs them can say so.
#[derive(Clone, Default)]
pub struct Keyring {
    pub(crate) keys: Vec<KeyEntry>,
    unsupported: Vec<String>,
}

impl std::fmt::Debug for Keyring {
    // Never print secret keys: show the public side only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("recipients", &self.describe())
            .field("unsupported", &self.unsupported)
            .finish()
    }
}

impl Keyring {
    pub fn empty() -> Self {
        Self::default()
    }

    /// Parses an age identities file: one identity per line, `#` comments and blank lines ignored.
    pub fn parse(text: &str, origin: &str) -> Result<Keyring, SopsError> {
        let mut ring = Keyring::empty();
        for (index, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if line.starts_with("AGE-SECRET-KEY-PQ-") {
                ring.unsupported
                    .push(format!("post-quantum age identity from {origin}"));
                continue;
            }
            if line.starts_with("AGE-PLUGIN-") {
                ring.unsupported
                    .push(format!("age plugin identity from {origin}"));
                continue;
            }
            let identity =
                x25519::Identity::from_str(line).map_err(|_| SopsError::BadIdentity {
                    origin: origin.to_string(),
                    line: index + 1,
                })?;
            ring.keys.push(KeyEntry {
                identity,
                origin: origin.to_string(),
            });
        }
        Ok(ring)
    }

    /// Loads keys like sops: every `--age-key-file` FILE, then `SOPS_AGE_KEY` (keys separated by
    /// newlines), then the file named by `SOPS_AGE_KEY_FILE`, then the default location
    /// `$XDG_CONFIG_HOME/sops/age/keys.txt` (else `~/.config/sops/age/keys.txt`). Only a missing
    /// default file is not an error.
    pub fn load(
        files: &[PathBuf],
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Keyring, SopsError> {
        let mut ring = Keyring::empty();
        for file in files {
            ring.extend(read_key_file(file)?);
        }
        if let Some(keys) = env("SOPS_AGE_KEY").filter(|k| !k.trim().is_empty()) {
            ring.extend(Keyring::parse(&keys, "SOPS_AGE_KEY")?);
        }
        if let Some(file) = env("SOPS_AGE_KEY_FILE").filter(|f| !f.is_empty()) {
            ring.extend(read_key_file(Path::new(&file))?);
        }
        if let Some(default) = default_key_file(env) {
            match std::fs::read_to_string(&default) {
                Ok(text) => ring.extend(Keyring::parse(&text, &default.display().to_string())?),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => {
                    return Err(SopsError::KeyFile {
                        path: default.display().to_string(),
                        source,
                    });
                }
            }
        }
        Ok(ring)
    }

    pub fn extend(&mut self, other: Keyring) {
        self.keys.extend(other.keys);
        self.unsupported.extend(other.unsupported);
    }

    /// True when there is no usable (X25519) identity.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Number of usable identities.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// `age1… (from ORIGIN)` for every usable identity, for messages and `--verbose` output.
    pub fn describe(&self) -> Vec<String> {
        self.keys
            .iter()
            .map(|k| format!("{} (from {})", k.identity.to_public(), k.origin))
            .collect()
    }

    /// The public recipients (`age1…`) of the usable identities.
    pub fn recipients(&self) -> Vec<String> {
        self.keys
            .iter()
            .map(|k| k.identity.to_public().to_string())
            .collect()
    }

    /// Identity lines that were skipped because their kind is unsupported.
    pub fn unsupported(&self) -> &[String] {
        &self.unsupported
    }
}

fn read_key_file(path: &Path) -> Result<Keyring, SopsError> {
    let text = std::fs::read_to_string(path).map_err(|source| SopsError::KeyFile {
        path: path.display().to_string(),
        source,
    })?;
    Keyring::parse(&text, &path.display().to_string())
}

fn default_key_file(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let base = match env("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env("HOME").filter(|v| !v.is_empty())?).join(".config"),
    };
    Some(base.join("sops").join("age").join("keys.txt"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "AGE-SECRET-KEY-1RH87A5Z54ZGUR9S0AS3R6WHFSEFNPLYMAKF5Z2CEU7R06VRJ0A3Q7242AM";
    const RECIPIENT: &str = "age1l44xcng8dqj32nlv6d930qvvrny05hglzcv9qpc7kxjc6902ma4qufys29";

    #[test]
    fn parses_comments_blank_lines_and_several_keys() {
        let text = format!(
            "# created: today\n\n{KEY}\n  # indented comment\n{KEY}\nAGE-SECRET-KEY-PQ-1ABC\n"
        );
        let ring = Keyring::parse(&text, "test.agekey").unwrap();
        assert_eq!(ring.len(), 2);
        assert_eq!(ring.recipients()[0], RECIPIENT);
        assert_eq!(ring.unsupported().len(), 1);
        assert!(ring.describe()[0].contains("(from test.agekey)"));
    }

    #[test]
    fn bad_line_names_origin_and_line_not_content() {
        let err = Keyring::parse("# c\nnot-a-key-SECRET\n", "keys.txt").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("keys.txt line 2"), "{msg}");
        assert!(!msg.contains("SECRET"), "{msg}");
    }

    #[test]
    fn load_order_and_missing_default_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.agekey");
        std::fs::write(&file, format!("{KEY}\n")).unwrap();
        let cfg = dir.path().join("cfg");
        let cfg_s = cfg.display().to_string();
        let env = move |name: &str| match name {
            "SOPS_AGE_KEY" => Some(format!("{KEY}\n{KEY}")),
            "XDG_CONFIG_HOME" => Some(cfg_s.clone()),
            _ => None,
        };
        let ring = Keyring::load(std::slice::from_ref(&file), &env).unwrap();
        assert_eq!(ring.len(), 3);
        assert!(ring.describe()[0].contains("a.agekey"));
        assert!(ring.describe()[2].contains("SOPS_AGE_KEY"));

        // The default location is read when present.
        std::fs::create_dir_all(cfg.join("sops/age")).unwrap();
        std::fs::write(cfg.join("sops/age/keys.txt"), KEY).unwrap();
        assert_eq!(Keyring::load(&[], &env).unwrap().len(), 3);
    }

    #[test]
    fn missing_explicit_file_is_an_error() {
        let env = |_: &str| None;
        let err = Keyring::load(&[PathBuf::from("/nonexistent/k.agekey")], &env).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/k.agekey"));
        let env = |n: &str| (n == "SOPS_AGE_KEY_FILE").then(|| "/nonexistent/x".to_string());
        assert!(Keyring::load(&[], &env).is_err());
    }
}
