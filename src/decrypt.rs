//! The decryption stage of a Kustomization build: SOPS files before kustomize runs, and
//! SOPS-encrypted objects after, as kustomize-controller's decryptor does.
//!
//! An object we have no key for is still rendered, with placeholders instead of values, and
//! reported; a wrong or tampered file is an error. Every decrypted value is remembered so that
//! redaction can keep it out of every output.

use crate::kustomize::generate::find_kustomization_file;
use crate::model::SecretValue;
use crate::object;
use crate::sops::{self, FileFormat, Keyring, SopsError};
use crate::workspace::replace_file;
use crate::yaml;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

mod plain_values;

const DECRYPT_ANNOTATION: &str = "kustomize.toolkit.fluxcd.io/decrypt";
/// Flux decrypts source files up to this size.
const MAX_ENCRYPTED_FILE: u64 = 5 << 20;

/// Keys and policy for decryption, shared by every build of a run.
#[derive(Default)]
pub struct DecryptContext {
    pub keys: Keyring,
    /// Every value decrypted in the run, from files and objects, also by builds that failed
    /// afterwards (their errors may quote it): the run registers them all for redaction.
    decrypted: std::sync::Mutex<Vec<SecretValue>>,
}

impl DecryptContext {
    /// Loads age identities from `--age-key-file`s, `SOPS_AGE_KEY`, `SOPS_AGE_KEY_FILE` and the
    /// sops default key file.
    pub fn load(files: &[PathBuf]) -> Result<DecryptContext, SopsError> {
        let keys = Keyring::load(files, &|k| std::env::var(k).ok())?;
        Ok(DecryptContext {
            keys,
            decrypted: Default::default(),
        })
    }

    fn remember(&self, values: &[SecretValue]) {
        let mut all = self.decrypted.lock().unwrap_or_else(|p| p.into_inner());
        all.extend(values.iter().cloned());
    }

    /// Every value decrypted so far, sorted, once each.
    pub fn decrypted_values(&self) -> Vec<SecretValue> {
        let mut all = self
            .decrypted
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        all.sort();
        all.dedup();
        all
    }
}

/// Why decryption failed, naming the file or object.
#[derive(Debug, thiserror::Error)]
pub enum DecryptError {
    /// A source file (generator input, patch) could not be read or decrypted.
    #[error("error decrypting sources: {file}: {cause}")]
    Source { file: String, cause: String },
    /// A kustomization file along the way could not be read.
    #[error("error decrypting sources: {file}: {cause}")]
    Kustomization { file: String, cause: String },
    /// A built object could not be decrypted with the keys it has.
    #[error("decryption failed for '{object}': {source}")]
    Object {
        object: String,
        #[source]
        source: SopsError,
    },
    /// kustomize-controller refuses to apply an encrypted Secret without `spec.decryption`.
    #[error(
        "{object} is SOPS encrypted, configuring decryption is required for this secret to be reconciled"
    )]
    NotConfigured { object: String },
}

/// What decrypting one object produced besides the object.
#[derive(Debug, Default)]
pub struct ObjectDecryption {
    pub warning: Option<String>,
    /// The object stays encrypted: who could open it (`age1…`, or the key types).
    pub needs_key: Option<String>,
    /// Plain values that were encrypted, with where (for redaction).
    pub secret_values: Vec<SecretValue>,
}

/// What decrypting a build's source files did.
#[derive(Debug, Default)]
pub struct DecryptedSources {
    pub warnings: Vec<String>,
    /// Something was decrypted (the build's output must not be cached).
    pub decrypted: bool,
    /// The plain values, with the file each came from (for redaction).
    pub values: Vec<SecretValue>,
}

/// `DecryptSources`: decrypts, in the private copy, the files the kustomization in `dir` (and
/// the local folders it includes) read through secretGenerator and patches.
pub fn decrypt_sources(
    ctx: &DecryptContext,
    dir: &Path,
    root: &Path,
) -> Result<DecryptedSources, DecryptError> {
    let mut out = DecryptedSources::default();
    let mut seen = BTreeSet::new();
    visit(ctx, dir, root, &mut seen, &mut out)?;
    Ok(out)
}

fn visit(
    ctx: &DecryptContext,
    dir: &Path,
    root: &Path,
    seen: &mut BTreeSet<PathBuf>,
    out: &mut DecryptedSources,
) -> Result<(), DecryptError> {
    if !seen.insert(dir.to_path_buf()) {
        return Ok(());
    }
    let Some(file) = find_kustomization_file(dir) else {
        return Ok(());
    };
    let failed = |cause: String| DecryptError::Kustomization {
        file: crate::kustomize::generate::display(&file, root),
        cause,
    };
    let text = std::fs::read_to_string(&file).map_err(|e| failed(e.to_string()))?;
    let kus = yaml::parse_one(&text).map_err(|e| failed(e.to_string()))?;
    let list = |key: &str| -> Vec<Value> {
        kus.get(key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let strings = |v: &Value, key: &str| -> Vec<String> {
        v.get(key)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    for generator in list("secretGenerator") {
        for entry in strings(&generator, "files") {
            let (key, path) = entry.split_once('=').unwrap_or((&entry, &entry));
            let format = sops::format_for_path(key);
            decrypt_file_in_place(ctx, &dir.join(path), format, root, out)?;
        }
        for env in strings(&generator, "envs") {
            let format = match sops::format_for_path(&env) {
                FileFormat::Binary => FileFormat::Dotenv,
                f => f,
            };
            decrypt_file_in_place(ctx, &dir.join(&env), format, root, out)?;
        }
    }
    for patch in list("patches") {
        if let Some(p) = patch.get("path").and_then(Value::as_str) {
            let format = sops::format_for_path(p);
            decrypt_file_in_place(ctx, &dir.join(p), format, root, out)?;
        }
    }
    for key in ["resources", "components"] {
        for entry in list(key) {
            let Some(p) = entry.as_str() else { continue };
            if p.contains("://") {
                continue;
            }
            let sub = dir.join(p);
            if sub.is_dir() && sub.starts_with(root) {
                visit(ctx, &sub, root, seen, out)?;
            }
        }
    }
    Ok(())
}

fn decrypt_file_in_place(
    ctx: &DecryptContext,
    path: &Path,
    format: FileFormat,
    root: &Path,
    out: &mut DecryptedSources,
) -> Result<(), DecryptError> {
    let shown = crate::kustomize::generate::display(path, root);
    let failed = |cause: String| DecryptError::Source {
        file: shown.clone(),
        cause,
    };
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(()); // kustomize reports missing files itself
    };
    if !meta.is_file() || meta.len() > MAX_ENCRYPTED_FILE {
        return Ok(());
    }
    let bytes = std::fs::read(path).map_err(|e| failed(e.to_string()))?;
    let marker = sops::marker_bytes(format);
    if !bytes.windows(marker.len()).any(|w| w == marker) {
        return Ok(());
    }
    match sops::decrypt_file(&bytes, format, format, &ctx.keys) {
        Ok(plain) => {
            // Registered before anything can fail: kustomize's error may quote the file.
            let values = plain_values::of_file(&shown, format, &bytes, &plain.bytes);
            ctx.remember(&values);
            out.values.extend(values);
            let shown_warning = |w: String| format!("{shown}: {w}");
            out.warnings
                .extend(plain.warnings.into_iter().map(shown_warning));
            replace_file(path, &plain.bytes).map_err(|e| failed(e.to_string()))?;
            out.decrypted = true;
            Ok(())
        }
        Err(e @ (SopsError::NoMatchingKey { .. } | SopsError::UnsupportedKeyType { .. })) => {
            // Without a key the file stays encrypted; kustomize still builds, values unknown.
            out.warnings.push(format!("{shown}: {e}"));
            Ok(())
        }
        Err(e) => Err(failed(e.to_string())),
    }
}

/// `DecryptResource` for one built object, in place. `origin`: the file it came from, which
/// names a document whose very identity is encrypted.
pub fn decrypt_object(
    ctx: &DecryptContext,
    obj: &mut Value,
    decryption: bool,
    origin: Option<&str>,
) -> Result<ObjectDecryption, DecryptError> {
    let mut result = ObjectDecryption::default();
    if annotation_disabled(obj) {
        return Ok(result);
    }
    let is_secret = object::kind(obj) == "Secret" && object::api_version(obj) == "v1";
    let key = crate::model::ObjectKey::of(obj);
    if sops::is_encrypted(obj) {
        if !decryption {
            if is_secret {
                return Err(DecryptError::NotConfigured {
                    object: key.to_string(),
                });
            }
            return Ok(result);
        }
        match sops::decrypt_document(obj, &ctx.keys) {
            Ok(d) => {
                // No MAC warning here: kustomize re-serializes objects, so the MAC of a built
                // object rarely matches, which is why Flux does not check it.
                result.secret_values = plain_values::of_object(obj, &d.value);
                ctx.remember(&result.secret_values);
                let mut value = d.value;
                if !is_secret {
                    // Secrets are redacted whole; other kinds in the fields that were encrypted.
                    let texts: Vec<String> = result
                        .secret_values
                        .iter()
                        .map(|v| v.value.clone())
                        .collect();
                    let marks = crate::taint::changed_paths(obj, &value, &texts);
                    crate::taint::mark(&mut value, &marks);
                }
                *obj = value;
            }
            Err(e @ (SopsError::NoMatchingKey { .. } | SopsError::UnsupportedKeyType { .. })) => {
                let (mut placeholder, _) = sops::placeholder_document(obj);
                let named = name_unknown_identity(&mut placeholder, origin);
                valid_placeholders(&mut placeholder);
                let key = if named {
                    format!(
                        "{} (its kind and name are encrypted)",
                        origin.unwrap_or("a document")
                    )
                } else {
                    key.to_string()
                };
                result.needs_key = Some(needs(&e));
                crate::taint::mark_no_key(&mut placeholder, &needs(&e));
                *obj = placeholder;
                result.warning = Some(format!("{key} {e}"));
            }
            Err(source) => {
                return Err(DecryptError::Object {
                    object: object::flux_resource_id(obj),
                    source,
                });
            }
        }
        return Ok(result);
    }
    if is_secret && decryption {
        match sops::decrypt_secret_data(obj, &ctx.keys) {
            Ok(Some(v)) => {
                result.secret_values = plain_values::of_object(obj, &v);
                ctx.remember(&result.secret_values);
                *obj = v;
            }
            Ok(None) => {}
            Err(e @ (SopsError::NoMatchingKey { .. } | SopsError::UnsupportedKeyType { .. })) => {
                result.needs_key = Some(needs(&e));
                crate::taint::mark_no_key(obj, &needs(&e));
                result.warning = Some(format!("{key} {e}"));
            }
            Err(source) => {
                return Err(DecryptError::Object {
                    object: object::flux_resource_id(obj),
                    source,
                });
            }
        }
    }
    Ok(result)
}

/// Who could open a document (the keys its recipients are encrypted to).
fn needs(e: &SopsError) -> String {
    match e {
        SopsError::NoMatchingKey { recipients } => recipients.join(", "),
        SopsError::UnsupportedKeyType { kinds } => kinds.join(", "),
        other => other.to_string(),
    }
}

/// A document whose apiVersion, kind or name were encrypted too gets an identity from its file,
/// so it never collides with another (`EncryptedDocument` `<file>`). Returns whether it did.
fn name_unknown_identity(doc: &mut Value, origin: Option<&str>) -> bool {
    let placeholder =
        |ptr: &str| doc.pointer(ptr).and_then(Value::as_str) == Some(sops::PLACEHOLDER);
    let hidden =
        placeholder("/apiVersion") || placeholder("/kind") || placeholder("/metadata/name");
    if !hidden {
        return false;
    }
    let file = origin.unwrap_or("unknown-file");
    let name: String = file
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    if let Some(map) = doc.as_object_mut() {
        map.insert("apiVersion".into(), Value::String("fluxsim.dev/v1".into()));
        map.insert("kind".into(), Value::String("EncryptedDocument".into()));
    }
    object::set_metadata_entry(doc, "annotations", "fluxsim.dev/encrypted-file", file);
    if let Some(meta) = doc.pointer_mut("/metadata").and_then(Value::as_object_mut) {
        meta.insert(
            "name".into(),
            Value::String(name.trim_matches('-').to_string()),
        );
        if meta.get("namespace").and_then(Value::as_str) == Some(sops::PLACEHOLDER) {
            meta.remove("namespace");
        }
    }
    true
}

/// A Secret's `data` holds base64: its placeholders are encoded so that nothing reading it
/// (Flux's apply, substituteFrom, valuesFrom) fails on "not valid base64".
fn valid_placeholders(doc: &mut Value) {
    use base64::Engine;
    if object::kind(doc) != "Secret" {
        return;
    }
    let encoded = base64::engine::general_purpose::STANDARD.encode(sops::PLACEHOLDER);
    if let Some(Value::Object(data)) = doc.get_mut("data") {
        for v in data.values_mut() {
            if v.as_str() == Some(sops::PLACEHOLDER) {
                *v = Value::String(encoded.clone());
            }
        }
    }
}

fn annotation_disabled(obj: &Value) -> bool {
    object::annotations(obj)
        .and_then(|a| a.get(DECRYPT_ANNOTATION))
        .and_then(Value::as_str)
        .is_some_and(|v| v.eq_ignore_ascii_case("disabled"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn encrypted_secret_without_decryption_is_an_error() {
        let mut s = json!({"apiVersion":"v1","kind":"Secret","metadata":{"name":"a","namespace":"n"},
            "data":{"k":"ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]"},"sops":{"mac":"ENC[x]"}});
        let ctx = DecryptContext::default();
        let e = decrypt_object(&ctx, &mut s, false, None).unwrap_err();
        assert!(
            e.to_string().contains("configuring decryption is required"),
            "{e}"
        );
    }
}
