//! Keeps secret values out of every output.
//!
//! A secret value becomes a `<secret:XXXXXXXXXX>` token: a keyed hash (HMAC-SHA256) of the value
//! *and of where it was read* (`Secret/apps/db:password`, a SOPS file). The same value in the same
//! place gets the same token on every run with the same key, so diffs stay meaningful; a reader
//! without the key cannot test guesses, and a pull request that plants a guess in a Secret of its
//! own gets a token of its own, never the real secret's. Secret `data`/`stringData` values are
//! replaced whole; values that reached other objects through substitution or decryption in the
//! fields [`crate::taint`] marked; values a HelmRelease read from Secrets, and values decrypted
//! from source files before kustomize ran, wherever they appear in that owner's output. Free text
//! (messages, logs) loses every registered value and its cheap derived forms (base64, upper and
//! lower case, JSON-quoted). The key is random, kept private in the cache folder ([`key`]).

mod forms;
pub mod key;

use crate::model::SecretValue;
use base64::Engine;
use forms::{Form, Forms};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use std::collections::HashMap;
use std::path::Path;

/// Values this long or longer are also replaced when they appear inside a longer string; shorter
/// ones only when they are the whole string (replacing `"1"` inside every string would be noise).
const MIN_SUBSTRING_LEN: usize = 4;

/// In free text (messages, logs), values shorter than this are replaced only where they stand
/// as a whole word: a short secret must not turn every `apps` in a message into a token.
const MIN_FREE_TEXT_LEN: usize = 8;

/// Whether a value is long enough to be replaced wherever it appears, even where nothing says it
/// was put there (a value kustomize read from a decrypted file): `true` or `1` would not be.
pub fn distinctive(value: &str) -> bool {
    value.len() >= MIN_FREE_TEXT_LEN
}

#[derive(Clone)]
pub struct Redactor {
    key: Vec<u8>,
    /// Every registered value and derived form.
    forms: Forms,
}

impl Redactor {
    pub fn new(key: Vec<u8>) -> Redactor {
        Redactor {
            key,
            forms: Forms::default(),
        }
    }

    /// Loads the key from `dir/redaction.key`, creating it (mode 0600) when missing. Falls back
    /// to a key that only lives for this run when the folder cannot hold one.
    pub fn with_key_in(dir: &Path) -> Redactor {
        match key::load_or_create(dir) {
            Some(k) => Redactor::new(k),
            None => {
                let mut k = vec![0u8; 32];
                let _ = getrandom::fill(&mut k);
                Redactor::new(k)
            }
        }
    }

    /// Registers plain values that must not appear anywhere, with their derived forms.
    pub fn add_values<I: IntoIterator<Item = SecretValue>>(&mut self, values: I) {
        self.forms.add(values);
    }

    /// The token of `plain` read at `origin`.
    pub fn token(&self, origin: &str, plain: &[u8]) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        // Length-prefixed, so no (origin, value) pair can be confused with another.
        mac.update(&(origin.len() as u64).to_be_bytes());
        mac.update(origin.as_bytes());
        mac.update(plain);
        let digest = mac.finalize().into_bytes();
        format!("<secret:{}>", hex::encode(&digest[..5]))
    }

    /// Replaces the registered secret values (and their derived forms) in free text by their
    /// tokens, each bound to the origin it was registered with.
    pub fn scrub_text(&self, text: &str) -> String {
        self.scrub_text_for(text, &[])
    }

    /// [`Self::scrub_text`] for a message of an owner that read `own`: a value it read itself
    /// gets the token of where it read it, so that its message never shows the token another
    /// owner's secret has (which would confirm that the two values are equal).
    pub fn scrub_text_for(&self, text: &str, own: &[SecretValue]) -> String {
        let text = forms::scrub_age_identities(text, |m| self.token("age identity", m.as_bytes()));
        let own = preferred_origins(own);
        let Some(matcher) = self.forms.matcher() else {
            return text;
        };
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for m in matcher.find_iter(&text) {
            let form = self.forms.matched(m.pattern());
            let word = |i: Option<char>| i.is_none_or(|c| !c.is_alphanumeric());
            let whole =
                word(text[..m.start()].chars().next_back()) && word(text[m.end()..].chars().next());
            if m.len() < MIN_FREE_TEXT_LEN && !whole {
                continue;
            }
            out.push_str(&text[at..m.start()]);
            out.push_str(&self.token_of(form, &own));
            at = m.end();
        }
        out.push_str(&text[at..]);
        out
    }

    /// For texts known to contain a secret (values a HelmRelease read, marked fields): the
    /// registered secret values found in each, so that only they are replaced; the text itself
    /// when none is. What is found keeps the origin of the text it was found in.
    pub fn refine(&self, texts: &[SecretValue]) -> Vec<SecretValue> {
        let mut out = Vec::new();
        for t in texts {
            let found: Vec<SecretValue> = self
                .forms
                .values_in(&t.value, MIN_SUBSTRING_LEN)
                .map(|v| SecretValue::new(t.origin.clone(), v))
                .collect();
            if found.is_empty() {
                out.push(t.clone());
            } else {
                out.extend(found);
            }
        }
        out.sort();
        out.dedup();
        out
    }

    /// Redacts one object in place: Secret values, and the fields marked as holding secrets.
    pub fn redact_object(&self, obj: &mut Value) {
        self.redact_object_with(obj, &[], &[]);
    }

    /// Like [`Self::redact_object`]; `own` are the values the object's owner read (their origins
    /// win in its marked fields), and `anywhere` values are replaced wherever they appear in the
    /// object (values a HelmRelease read from Secrets, values kustomize read from decrypted
    /// files: where a chart or kustomize puts them is not known).
    pub fn redact_object_with(
        &self,
        obj: &mut Value,
        own: &[SecretValue],
        anywhere: &[SecretValue],
    ) {
        self.for_owner(own, anywhere).redact(obj);
    }

    /// [`Self::redact_object_with`] for every object of one owner, its forms prepared once.
    pub fn for_owner<'a>(
        &'a self,
        own: &'a [SecretValue],
        anywhere: &[SecretValue],
    ) -> OwnerRedaction<'a> {
        let mut forms = Forms::default();
        forms.add(anywhere.iter().cloned());
        OwnerRedaction {
            redactor: self,
            prefer: preferred_origins(own),
            anywhere: forms,
        }
    }

    /// Removes the internal marks without redacting (`--show-secrets`).
    pub fn reveal(obj: &mut Value) {
        crate::taint::take(obj);
    }

    fn redact_secret_data(&self, obj: &mut Value, ns: &str, name: &str) {
        let Some(map) = obj.as_object_mut() else {
            return;
        };
        for field in ["data", "stringData"] {
            let Some(Value::Object(data)) = map.get_mut(field) else {
                continue;
            };
            for (k, v) in data.iter_mut() {
                let plain = match (field, v.as_str()) {
                    ("data", Some(s)) => base64::engine::general_purpose::STANDARD
                        .decode(s.trim())
                        .unwrap_or_else(|_| s.as_bytes().to_vec()),
                    (_, Some(s)) => s.as_bytes().to_vec(),
                    (_, None) => v.to_string().into_bytes(),
                };
                let origin = SecretValue::object_origin("Secret", ns, name, k);
                *v = Value::String(self.token(&origin, &plain));
            }
        }
    }

    fn token_of(&self, form: &Form, prefer: &HashMap<&str, &str>) -> String {
        let origin = prefer
            .get(form.secret.value.as_str())
            .copied()
            .unwrap_or(&form.secret.origin);
        self.token(origin, form.secret.value.as_bytes())
    }

    /// Replaces the scope's values in every leaf under `v`. In a marked field, a leaf that
    /// contains a value too short to replace safely is replaced whole.
    fn scrub(&self, v: &mut Value, scope: &Scope) {
        match v {
            Value::String(s) => {
                if let Some(r) = self.replace_in(s, scope) {
                    *s = r;
                }
            }
            Value::Number(_) | Value::Bool(_) => {
                let text = match v {
                    Value::Number(n) => n.to_string(),
                    _ => v.to_string(),
                };
                let token = match (scope.forms.exact(&text), scope.marked) {
                    (Some(form), _) => Some(self.token_of(form, scope.prefer)),
                    (None, Some(at)) => Some(self.token(at, text.as_bytes())),
                    (None, None) => None,
                };
                if let Some(t) = token {
                    *v = Value::String(t);
                }
            }
            Value::Array(a) => a.iter_mut().for_each(|x| self.scrub(x, scope)),
            Value::Object(m) => m.values_mut().for_each(|x| self.scrub(x, scope)),
            Value::Null => {}
        }
    }

    fn replace_in(&self, s: &str, scope: &Scope) -> Option<String> {
        let mut out: Option<String> = None;
        for form in scope.forms.iter() {
            let current = out.as_deref().unwrap_or(s);
            if current == form.text {
                return Some(self.token_of(form, scope.prefer));
            }
            if !current.contains(form.text.as_str()) {
                continue;
            }
            if form.text.len() >= MIN_SUBSTRING_LEN {
                let token = self.token_of(form, scope.prefer);
                out = Some(current.replace(form.text.as_str(), &token));
            } else if let Some(at) = scope.marked {
                return Some(self.token(at, s.as_bytes()));
            }
        }
        out
    }
}

/// Redacts the objects of one owner (see [`Redactor::for_owner`]).
pub struct OwnerRedaction<'a> {
    redactor: &'a Redactor,
    prefer: HashMap<&'a str, &'a str>,
    anywhere: Forms,
}

impl OwnerRedaction<'_> {
    pub fn redact(&self, obj: &mut Value) {
        let r = self.redactor;
        let marks = crate::taint::take(obj);
        let (kind, ns, name) = identity(obj);
        if kind == "Secret" {
            r.redact_secret_data(obj, &ns, &name);
        }
        for pointer in &marks {
            let at = SecretValue::object_origin(&kind, &ns, &name, pointer);
            if let Some(v) = obj.pointer_mut(pointer) {
                let scope = Scope {
                    forms: &r.forms,
                    prefer: &self.prefer,
                    marked: Some(&at),
                };
                r.scrub(v, &scope);
            }
        }
        if !self.anywhere.is_empty() {
            let scope = Scope {
                forms: &self.anywhere,
                prefer: &HashMap::new(),
                marked: None,
            };
            r.scrub(obj, &scope);
        }
    }
}

/// What one scrubbing pass replaces: `forms`, with the owner's origins preferred; `marked`: the
/// origin of a marked field (its short values hide the whole leaf).
struct Scope<'a> {
    forms: &'a Forms,
    prefer: &'a HashMap<&'a str, &'a str>,
    marked: Option<&'a str>,
}

/// For each value an owner read, the (smallest, so stable) origin it read it from.
fn preferred_origins(own: &[SecretValue]) -> HashMap<&str, &str> {
    let mut out: HashMap<&str, &str> = HashMap::new();
    for s in own {
        let e = out.entry(s.value.as_str()).or_insert(s.origin.as_str());
        if s.origin.as_str() < *e {
            *e = s.origin.as_str();
        }
    }
    out
}

fn identity(obj: &Value) -> (String, String, String) {
    let text = |p: &str| {
        obj.pointer(p)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    (
        text("/kind"),
        text("/metadata/namespace"),
        text("/metadata/name"),
    )
}

#[cfg(test)]
mod tests;
