//! Keeps secret values out of every output.
//!
//! Secret `data`/`stringData` values become `<secret:XXXXXXXXXX>` tokens: a keyed hash (HMAC-SHA256)
//! of the value, so equal values give equal tokens and a changed value a changed token, while a
//! reader without the key cannot test guesses of a short value. Values that reached other objects
//! through substitution or decryption are replaced in the fields [`crate::taint`] marked, and
//! values a HelmRelease read from Secrets anywhere in that release's output. The key is random,
//! kept in the cache folder so snapshots stay byte-identical between runs on one machine.

use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use std::collections::BTreeSet;
use std::path::Path;

/// Values this long or longer are also replaced when they appear inside a longer string; shorter
/// ones only when they are the whole string (replacing `"1"` inside every string would be noise).
const MIN_SUBSTRING_LEN: usize = 4;

/// In free text (messages, logs), values shorter than this are replaced only where they stand
/// as a whole word: a short secret must not turn every `apps` in a message into a token.
const MIN_FREE_TEXT_LEN: usize = 8;

#[derive(Clone)]
pub struct Redactor {
    key: Vec<u8>,
    /// Longest first, so that a value containing another is replaced whole.
    values: Vec<String>,
    /// Matcher over `values` for free text, built on first use.
    text_matcher: std::sync::OnceLock<Option<aho_corasick::AhoCorasick>>,
}

impl Redactor {
    pub fn new(key: Vec<u8>) -> Redactor {
        Redactor {
            key,
            values: Vec::new(),
            text_matcher: std::sync::OnceLock::new(),
        }
    }

    /// Replaces the registered secret values in free text (a message, a log line) by their
    /// tokens.
    pub fn scrub_text(&self, text: &str) -> String {
        let matcher = self.text_matcher.get_or_init(|| {
            let patterns: Vec<&str> = self
                .values
                .iter()
                .filter(|v| v.len() >= MIN_SUBSTRING_LEN)
                .map(String::as_str)
                .collect();
            aho_corasick::AhoCorasick::builder()
                .match_kind(aho_corasick::MatchKind::LeftmostLongest)
                .build(patterns)
                .ok()
        });
        let Some(matcher) = matcher else {
            return text.to_string();
        };
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for m in matcher.find_iter(text) {
            let value = &text[m.start()..m.end()];
            let word = |i: Option<char>| i.is_none_or(|c| !c.is_alphanumeric());
            let whole =
                word(text[..m.start()].chars().next_back()) && word(text[m.end()..].chars().next());
            if value.len() < MIN_FREE_TEXT_LEN && !whole {
                continue;
            }
            out.push_str(&text[at..m.start()]);
            out.push_str(&self.token(value.as_bytes()));
            at = m.end();
        }
        out.push_str(&text[at..]);
        out
    }

    /// Loads the key from `dir/redaction.key`, creating it when missing. Falls back to a key that
    /// only lives for this run when the folder is not writable.
    pub fn with_key_in(dir: &Path) -> Redactor {
        let path = dir.join("redaction.key");
        if let Ok(k) = std::fs::read(&path)
            && k.len() >= 32
        {
            return Redactor::new(k);
        }
        let mut key = vec![0u8; 32];
        if getrandom::fill(&mut key).is_err() {
            key =
                format!("{:?}{:?}", std::time::SystemTime::now(), std::process::id()).into_bytes();
        }
        if std::fs::create_dir_all(dir).is_ok() {
            let tmp = dir.join(format!("redaction.key.{}", std::process::id()));
            if std::fs::write(&tmp, &key).is_ok() {
                let _ = std::fs::rename(&tmp, &path);
                if let Ok(k) = std::fs::read(&path) {
                    return Redactor::new(k);
                }
            }
        }
        Redactor::new(key)
    }

    /// Registers plain values that must not appear anywhere.
    pub fn add_values<I: IntoIterator<Item = String>>(&mut self, values: I) {
        self.text_matcher = std::sync::OnceLock::new();
        let mut all: BTreeSet<String> = self.values.drain(..).collect();
        all.extend(values.into_iter().filter(|v| !v.is_empty()));
        self.values = all.into_iter().collect();
        self.values
            .sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    }

    /// For text known to contain a secret (a marked field): the registered secret values found
    /// in it, so that only they are replaced; the text itself when none is.
    pub fn refine(&self, texts: &[String]) -> Vec<String> {
        let mut out = Vec::new();
        for t in texts {
            let found: Vec<&String> = self
                .values
                .iter()
                .filter(|v| v.len() >= MIN_SUBSTRING_LEN && t.contains(v.as_str()))
                .collect();
            if found.is_empty() {
                out.push(t.clone());
            } else {
                out.extend(found.into_iter().cloned());
            }
        }
        out
    }

    pub fn token(&self, plain: &[u8]) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        mac.update(plain);
        let digest = mac.finalize().into_bytes();
        format!("<secret:{}>", hex::encode(&digest[..5]))
    }

    /// Redacts one object in place: Secret values, and the fields marked as holding secrets.
    pub fn redact_object(&self, obj: &mut Value) {
        self.redact_object_with(obj, &[]);
    }

    /// Like [`Self::redact_object`], and also replaces `extra` values anywhere in the object
    /// (values a HelmRelease read from Secrets: where a chart puts them is not known).
    pub fn redact_object_with(&self, obj: &mut Value, extra: &[String]) {
        let marks = crate::taint::take(obj);
        let is_secret = obj.get("kind").and_then(Value::as_str) == Some("Secret");
        if is_secret && let Some(map) = obj.as_object_mut() {
            if let Some(Value::Object(data)) = map.get_mut("data") {
                for v in data.values_mut() {
                    let plain = match v.as_str() {
                        Some(s) => base64::engine::general_purpose::STANDARD
                            .decode(s.trim())
                            .unwrap_or_else(|_| s.as_bytes().to_vec()),
                        None => v.to_string().into_bytes(),
                    };
                    *v = Value::String(self.token(&plain));
                }
            }
            if let Some(Value::Object(data)) = map.get_mut("stringData") {
                for v in data.values_mut() {
                    let plain = v
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string());
                    *v = Value::String(self.token(plain.as_bytes()));
                }
            }
        }
        for pointer in &marks {
            if let Some(v) = obj.pointer_mut(pointer) {
                self.scrub(v, &self.values, true);
            }
        }
        if !extra.is_empty() {
            let mut extra: Vec<String> = extra.iter().filter(|v| !v.is_empty()).cloned().collect();
            extra.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
            extra.dedup();
            self.scrub(obj, &extra, false);
        }
    }

    /// Removes the internal marks without redacting (`--show-secrets`).
    pub fn reveal(obj: &mut Value) {
        crate::taint::take(obj);
    }

    /// Replaces `values` in every leaf under `v`. In a marked field (`marked`), a leaf that
    /// contains a value too short to replace safely is replaced whole.
    fn scrub(&self, v: &mut Value, values: &[String], marked: bool) {
        match v {
            Value::String(s) => {
                if let Some(r) = self.replace_in(s, values, marked) {
                    *s = r;
                }
            }
            Value::Number(n) => {
                let text = n.to_string();
                if marked || values.contains(&text) {
                    *v = Value::String(self.token(text.as_bytes()));
                }
            }
            Value::Bool(b) => {
                let text = b.to_string();
                if marked || values.contains(&text) {
                    *v = Value::String(self.token(text.as_bytes()));
                }
            }
            Value::Array(a) => a.iter_mut().for_each(|x| self.scrub(x, values, marked)),
            Value::Object(m) => m.values_mut().for_each(|x| self.scrub(x, values, marked)),
            Value::Null => {}
        }
    }

    fn replace_in(&self, s: &str, values: &[String], marked: bool) -> Option<String> {
        let mut out: Option<String> = None;
        for value in values {
            let current = out.as_deref().unwrap_or(s);
            if current == value {
                return Some(self.token(value.as_bytes()));
            }
            if !current.contains(value.as_str()) {
                continue;
            }
            if value.len() >= MIN_SUBSTRING_LEN {
                out = Some(current.replace(value.as_str(), &self.token(value.as_bytes())));
            } else if marked {
                return Some(self.token(s.as_bytes()));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_become_stable_keyed_tokens() {
        let r = Redactor::new(b"k".repeat(32));
        let mut a =
            json!({"kind":"Secret","data":{"x":"aHVudGVyMg=="},"stringData":{"y":"hunter2"}});
        r.redact_object(&mut a);
        assert_eq!(a["data"]["x"], a["stringData"]["y"]);
        assert!(a["data"]["x"].as_str().unwrap().starts_with("<secret:"));
        let other = Redactor::new(b"z".repeat(32));
        assert_ne!(other.token(b"hunter2"), r.token(b"hunter2"));
    }

    #[test]
    fn only_marked_fields_are_scrubbed() {
        let mut r = Redactor::new(b"k".repeat(32));
        r.add_values(["hunter2".to_string(), "42".to_string()]);
        let mut cm = json!({"kind":"ConfigMap","metadata":{"name":"c"},
            "data":{"url":"postgres://u:hunter2@db","port":42,"n":"x42x","other":"hunter2 elsewhere"}});
        crate::taint::mark(
            &mut cm,
            &["/data/url".into(), "/data/port".into(), "/data/n".into()],
        );
        r.redact_object(&mut cm);
        assert!(!cm["data"]["url"].as_str().unwrap().contains("hunter2"));
        assert!(cm["data"]["port"].as_str().unwrap().starts_with("<secret:"));
        // A short value inside a marked field hides the whole field.
        assert!(cm["data"]["n"].as_str().unwrap().starts_with("<secret:"));
        // Unmarked fields are left alone, and the marks are gone.
        assert_eq!(cm["data"]["other"], "hunter2 elsewhere");
        assert!(cm["metadata"].get("annotations").is_none());
    }

    #[test]
    fn free_text_is_scrubbed() {
        let mut r = Redactor::new(b"k".repeat(32));
        r.add_values(["hunter2".to_string(), "correct-horse-battery".to_string()]);
        let t = r.scrub_text("auth failed for hunter2; key correct-horse-battery!; hunter22");
        assert!(
            !t.contains("hunter2;") && !t.contains("correct-horse"),
            "{t}"
        );
        // A short value inside a longer word is left alone.
        assert!(t.ends_with("hunter22"), "{t}");
    }

    #[test]
    fn release_values_are_scrubbed_everywhere_in_its_objects() {
        let r = Redactor::new(b"k".repeat(32));
        let mut d = json!({"kind":"Deployment","spec":{"env":[{"value":"tok-123456"}]}});
        r.redact_object_with(&mut d, &["tok-123456".to_string()]);
        assert!(!d.to_string().contains("tok-123456"));
    }
}
