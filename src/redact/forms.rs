//! The texts redaction looks for: each registered secret value and the forms a chart or a tool
//! commonly turns it into (base64 with and without padding, upper and lower case, JSON-quoted).

use super::{MIN_FREE_TEXT_LEN, MIN_SUBSTRING_LEN};
use crate::model::SecretValue;
use base64::Engine;
use std::collections::HashMap;
use std::sync::{LazyLock, OnceLock};

/// One text to find and the secret it stands for.
#[derive(Clone, Debug)]
pub struct Form {
    pub text: String,
    pub secret: SecretValue,
    /// A transform of the value, not the value itself.
    pub derived: bool,
}

/// Registered forms, longest first, one per text.
#[derive(Clone, Default)]
pub struct Forms {
    forms: Vec<Form>,
    by_text: HashMap<String, usize>,
    /// Matcher over the forms long enough for free text, with the index of each pattern's form;
    /// built on first use.
    matcher: OnceLock<Option<(aho_corasick::AhoCorasick, Vec<usize>)>>,
}

impl Forms {
    pub fn add<I: IntoIterator<Item = SecretValue>>(&mut self, values: I) {
        let mut all: Vec<Form> = std::mem::take(&mut self.forms);
        for v in values.into_iter().filter(|v| !v.value.is_empty()) {
            all.extend(forms_of(v));
        }
        // One form per text: the value itself before a transform of another value, then the
        // smallest origin, so the choice does not depend on the order values came in.
        all.sort_by(|a, b| {
            (b.text.len(), &a.text, a.derived, &a.secret).cmp(&(
                a.text.len(),
                &b.text,
                b.derived,
                &b.secret,
            ))
        });
        all.dedup_by(|b, a| a.text == b.text);
        self.by_text = all
            .iter()
            .enumerate()
            .map(|(i, f)| (f.text.clone(), i))
            .collect();
        self.forms = all;
        self.matcher = OnceLock::new();
    }

    pub fn is_empty(&self) -> bool {
        self.forms.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Form> {
        self.forms.iter()
    }

    pub fn exact(&self, text: &str) -> Option<&Form> {
        self.by_text.get(text).map(|&i| &self.forms[i])
    }

    /// Registered values (not derived forms) of at least `min` bytes found inside `text`.
    pub fn values_in<'a>(&'a self, text: &'a str, min: usize) -> impl Iterator<Item = String> + 'a {
        self.forms
            .iter()
            .filter(move |f| !f.derived && f.text.len() >= min && text.contains(f.text.as_str()))
            .map(|f| f.secret.value.clone())
    }

    pub fn matcher(&self) -> Option<&aho_corasick::AhoCorasick> {
        let built = self.matcher.get_or_init(|| {
            let index: Vec<usize> = (0..self.forms.len())
                .filter(|&i| self.forms[i].text.len() >= MIN_SUBSTRING_LEN)
                .collect();
            if index.is_empty() {
                return None;
            }
            let patterns = index.iter().map(|&i| self.forms[i].text.as_str());
            aho_corasick::AhoCorasick::builder()
                .match_kind(aho_corasick::MatchKind::LeftmostLongest)
                .build(patterns)
                .ok()
                .map(|m| (m, index))
        });
        built.as_ref().map(|(m, _)| m)
    }

    /// The form of a pattern [`Self::matcher`] found.
    pub fn matched(&self, pattern: aho_corasick::PatternID) -> &Form {
        let (_, index) = self
            .matcher
            .get()
            .and_then(Option::as_ref)
            .unwrap_or_else(|| unreachable!("a match comes from the built matcher"));
        &self.forms[index[pattern.as_usize()]]
    }
}

/// A value and its derived forms. Transforms of short values are left out: the upper case of a
/// four-letter secret would hide ordinary words.
fn forms_of(secret: SecretValue) -> Vec<Form> {
    let v = secret.value.as_str();
    let mut texts = Vec::new();
    if v.len() >= MIN_SUBSTRING_LEN {
        let b64 = base64::engine::general_purpose::STANDARD;
        texts.push(b64.encode(v));
        texts.push(base64::engine::general_purpose::STANDARD_NO_PAD.encode(v));
        if let Ok(q) = serde_json::to_string(v) {
            texts.push(q[1..q.len() - 1].to_string());
        }
    }
    if v.len() >= MIN_FREE_TEXT_LEN {
        texts.push(v.to_uppercase());
        texts.push(v.to_lowercase());
    }
    texts.retain(|t| t != v);
    texts.sort();
    texts.dedup();
    let mut out: Vec<Form> = texts
        .into_iter()
        .map(|text| Form {
            text,
            secret: secret.clone(),
            derived: true,
        })
        .collect();
    out.push(Form {
        text: secret.value.clone(),
        secret,
        derived: false,
    });
    out
}

/// Replaces age identities (`AGE-SECRET-KEY-1…`), which no run registers but an error about a
/// key file might quote, by `token(identity)`.
pub fn scrub_age_identities(text: &str, token: impl Fn(&str) -> String) -> String {
    static IDENTITY: LazyLock<Option<regex::Regex>> =
        LazyLock::new(|| regex::Regex::new(r"AGE-SECRET-KEY-(?:PQ-)?1[0-9A-Za-z]+").ok());
    match IDENTITY.as_ref() {
        Some(re) if text.contains("AGE-SECRET-KEY-") => re
            .replace_all(text, |c: &regex::Captures| token(&c[0]))
            .into_owned(),
        _ => text.to_string(),
    }
}
