//! Keeps secret values out of every output.
//!
//! Secret `data`/`stringData` values become `<secret:XXXXXXXXXX>` tokens: a keyed hash (HMAC-SHA256)
//! of the value, so equal values give equal tokens and a changed value a changed token, while a
//! reader without the key cannot test guesses of a short value. Values that reached other objects
//! through substitution (or chart values) are replaced wherever they landed. The key is random,
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

#[derive(Clone)]
pub struct Redactor {
    key: Vec<u8>,
    /// Longest first, so that a value containing another is replaced whole.
    values: Vec<String>,
}

impl Redactor {
    pub fn new(key: Vec<u8>) -> Redactor {
        Redactor {
            key,
            values: Vec::new(),
        }
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
        let mut all: BTreeSet<String> = self.values.drain(..).collect();
        all.extend(values.into_iter().filter(|v| !v.is_empty()));
        self.values = all.into_iter().collect();
        self.values
            .sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    }

    pub fn token(&self, plain: &[u8]) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        mac.update(plain);
        let digest = mac.finalize().into_bytes();
        format!("<secret:{}>", hex::encode(&digest[..5]))
    }

    /// Redacts one object in place.
    pub fn redact_object(&self, obj: &mut Value) {
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
        if !self.values.is_empty() {
            self.scrub(obj);
        }
    }

    fn scrub(&self, v: &mut Value) {
        match v {
            Value::String(s) => {
                if let Some(r) = self.replace_in(s) {
                    *s = r;
                }
            }
            Value::Number(n) => {
                let text = n.to_string();
                if self.values.contains(&text) {
                    *v = Value::String(self.token(text.as_bytes()));
                }
            }
            Value::Bool(b) => {
                let text = b.to_string();
                if self.values.contains(&text) {
                    *v = Value::String(self.token(text.as_bytes()));
                }
            }
            Value::Array(a) => a.iter_mut().for_each(|x| self.scrub(x)),
            Value::Object(m) => m.values_mut().for_each(|x| self.scrub(x)),
            Value::Null => {}
        }
    }

    fn replace_in(&self, s: &str) -> Option<String> {
        let mut out: Option<String> = None;
        for value in &self.values {
            let current = out.as_deref().unwrap_or(s);
            if current == value {
                return Some(self.token(value.as_bytes()));
            }
            if value.len() >= MIN_SUBSTRING_LEN && current.contains(value.as_str()) {
                out = Some(current.replace(value.as_str(), &self.token(value.as_bytes())));
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
    fn substituted_values_are_scrubbed() {
        let mut r = Redactor::new(b"k".repeat(32));
        r.add_values(["hunter2".to_string(), "42".to_string()]);
        let mut cm = json!({"kind":"ConfigMap","data":{"url":"postgres://u:hunter2@db","port":42,"n":"x42x"}});
        r.redact_object(&mut cm);
        let text = cm.to_string();
        assert!(!text.contains("hunter2"), "{text}");
        assert!(cm["data"]["port"].as_str().unwrap().starts_with("<secret:"));
        assert_eq!(cm["data"]["n"], "x42x");
    }
}
