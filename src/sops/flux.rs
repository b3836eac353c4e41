//! Flux kustomize-controller's rules around SOPS (`internal/decryptor/decryptor.go`): which
//! resources are encrypted, format from file or key names, marker bytes, the Secret data pass.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use super::cipher;
use super::error::SopsError;
use super::keys::Keyring;
use super::metadata::recipient_labels;
use super::{DecryptOptions, FileFormat, decrypt_file_with};

/// What every encrypted leaf becomes in a document no key can open.
/// What an encrypted value becomes without a key: valid where it stands (no `: `, so it can be
/// substituted into YAML; base64-encoded where the field is base64).
pub const PLACEHOLDER: &str = "encrypted-no-key";

/// Flux's `isSOPSEncryptedResource`: a top-level `sops.mac` that is a non-empty string.
pub fn is_encrypted(doc: &Value) -> bool {
    doc.get("sops")
        .and_then(|s| s.get("mac"))
        .and_then(Value::as_str)
        .is_some_and(|m| !m.is_empty())
}

/// Flux's `formatForPath`: `.dockerconfigjson` is JSON, then sops' extension rules
/// (`.yaml`/`.yml`, `.json`, `.env`, `.ini`), anything else binary.
pub fn format_for_path(path: &str) -> FileFormat {
    if path.ends_with(".dockerconfigjson") || path.ends_with(".json") {
        FileFormat::Json
    } else if path.ends_with(".yaml") || path.ends_with(".yml") {
        FileFormat::Yaml
    } else if path.ends_with(".env") {
        FileFormat::Dotenv
    } else if path.ends_with(".ini") {
        FileFormat::Ini
    } else {
        FileFormat::Binary
    }
}

/// The marker bytes Flux uses to spot a sops document of a format.
pub fn marker_bytes(format: FileFormat) -> &'static [u8] {
    match format {
        FileFormat::Yaml => b"mac: ENC[",
        FileFormat::Json | FileFormat::Binary => b"\"mac\": \"ENC[",
        FileFormat::Dotenv => b"sops_mac=ENC[",
        FileFormat::Ini => b"[sops]",
    }
}

/// Flux's `detectFormatFromMarkerBytes`. JSON and binary share a marker; JSON is returned (both
/// load with the JSON store).
pub fn marker_format(bytes: &[u8]) -> Option<FileFormat> {
    [
        FileFormat::Yaml,
        FileFormat::Json,
        FileFormat::Dotenv,
        FileFormat::Ini,
    ]
    .into_iter()
    .find(|f| contains(bytes, marker_bytes(*f)))
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Flux's Secret data pass: for a `Secret` without top-level `sops`, every base64 `data` value
/// that holds a sops document (by marker) is decrypted, written in the format of the data key's
/// extension, and base64-encoded again. `None` when nothing was encrypted (the Secret passes
/// through unchanged); values that are not base64 are skipped, as Flux does.
pub fn decrypt_secret_data(secret: &Value, keys: &Keyring) -> Result<Option<Value>, SopsError> {
    decrypt_secret_data_with(secret, keys, &DecryptOptions::default()).map(|r| r.map(|(v, _)| v))
}

/// [`decrypt_secret_data`] with options; also returns the warnings (MAC mismatches).
pub fn decrypt_secret_data_with(
    secret: &Value,
    keys: &Keyring,
    opts: &DecryptOptions,
) -> Result<Option<(Value, Vec<String>)>, SopsError> {
    if secret.get("kind").and_then(Value::as_str) != Some("Secret") || secret.get("sops").is_some()
    {
        return Ok(None);
    }
    let Some(data) = secret.get("data").and_then(Value::as_object) else {
        return Ok(None);
    };
    let mut out = secret.clone();
    let mut warnings = Vec::new();
    let mut changed = false;
    for (key, value) in data {
        let Some(decoded) = value.as_str().and_then(|s| STANDARD.decode(s).ok()) else {
            continue;
        };
        let Some(input) = marker_format(&decoded) else {
            continue;
        };
        let field_err = |e: SopsError| SopsError::SecretField {
            key: key.clone(),
            source: Box::new(e),
        };
        let file = decrypt_file_with(&decoded, input, format_for_path(key), keys, opts)
            .map_err(field_err)?;
        warnings.extend(
            file.warnings
                .into_iter()
                .map(|w| format!("Secret field '{key}': {w}")),
        );
        out["data"][key] = Value::String(STANDARD.encode(&file.bytes));
        changed = true;
    }
    Ok(changed.then_some((out, warnings)))
}

/// For a document no key opens: the same shape with every encrypted string replaced by
/// [`PLACEHOLDER`] and `sops` removed, plus the recipients/keys that could open it.
pub fn placeholder_document(doc: &Value) -> (Value, Vec<String>) {
    let recipients = doc.get("sops").map(recipient_labels).unwrap_or_default();
    let mut out = doc.clone();
    if let Some(obj) = out.as_object_mut() {
        obj.remove("sops");
    }
    replace_encrypted(&mut out);
    (out, recipients)
}

fn replace_encrypted(v: &mut Value) {
    match v {
        Value::String(s) if cipher::is_enc(s) => *s = PLACEHOLDER.to_string(),
        Value::Array(items) => {
            // Encrypted comments stored as sequence items are not data: drop them.
            items.retain(|i| {
                !i.as_str()
                    .is_some_and(|s| cipher::is_enc(s) && s.ends_with(",type:comment]"))
            });
            items.iter_mut().for_each(replace_encrypted);
        }
        Value::Object(map) => map.values_mut().for_each(replace_encrypted),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn formats_from_names_and_markers() {
        assert_eq!(format_for_path("secret.yaml"), FileFormat::Yaml);
        assert_eq!(format_for_path("a.yml"), FileFormat::Yaml);
        assert_eq!(format_for_path(".dockerconfigjson"), FileFormat::Json);
        assert_eq!(format_for_path("x.json"), FileFormat::Json);
        assert_eq!(format_for_path("app.env"), FileFormat::Dotenv);
        assert_eq!(format_for_path("s.ini"), FileFormat::Ini);
        assert_eq!(format_for_path("key"), FileFormat::Binary);
        assert_eq!(
            marker_format(b"x\nsops:\n  mac: ENC[AES"),
            Some(FileFormat::Yaml)
        );
        assert_eq!(
            marker_format(b"{\"mac\": \"ENC[AES"),
            Some(FileFormat::Json)
        );
        assert_eq!(marker_format(b"sops_mac=ENC[AES"), Some(FileFormat::Dotenv));
        assert_eq!(marker_format(b"[sops]\nmac = x"), Some(FileFormat::Ini));
        assert_eq!(marker_format(b"plain"), None);
    }

    #[test]
    fn encrypted_detection() {
        assert!(is_encrypted(&json!({"sops": {"mac": "ENC[x]"}})));
        assert!(!is_encrypted(&json!({"sops": {"mac": ""}})));
        assert!(!is_encrypted(&json!({"sops": {}})));
        assert!(!is_encrypted(&json!({"kind": "Secret"})));
    }

    #[test]
    fn placeholder_keeps_shape() {
        let enc = "ENC[AES256_GCM,data:AA==,iv:AA==,tag:AA==,type:str]";
        let com = "ENC[AES256_GCM,data:AA==,iv:AA==,tag:AA==,type:comment]";
        let doc = json!({"a": enc, "b": "plain", "l": [enc, com], "sops": {"age": [{"recipient": "age1x", "enc": "E"}], "pgp": [{"fp": "F"}]}});
        let (out, recipients) = placeholder_document(&doc);
        assert_eq!(
            out,
            json!({"a": PLACEHOLDER, "b": "plain", "l": [PLACEHOLDER]})
        );
        assert_eq!(recipients, vec!["pgp F".to_string(), "age1x".to_string()]);
    }

    #[test]
    fn plain_secret_passes_through() {
        let s = json!({"kind": "Secret", "data": {"a": "aGVsbG8=", "bad": "%%%"}});
        assert!(
            decrypt_secret_data(&s, &Keyring::empty())
                .unwrap()
                .is_none()
        );
        assert!(
            decrypt_secret_data(&json!({"kind": "ConfigMap"}), &Keyring::empty())
                .unwrap()
                .is_none()
        );
    }
}
