//! In-process SOPS decryption with age keys, as Flux kustomize-controller does it (no `sops`
//! program at run time).
//!
//! * [`Keyring`] loads age X25519 identities (files, `SOPS_AGE_KEY`, `SOPS_AGE_KEY_FILE`, default).
//! * [`decrypt_document`] decrypts a whole resource with JSON-store semantics (Flux marshals the
//!   built resource to JSON); [`decrypt_secret_data`] is Flux's pass over `Secret.data` values
//!   that hold whole sops files; [`decrypt_file`] decrypts a file in any sops format (the
//!   `secretGenerator`/patch pass before `kustomize build`).
//! * The MAC is always computed. Flux does not check it, so a mismatch is a warning
//!   ([`Decrypted::mac_verified`] is false) unless [`DecryptOptions::strict_mac`] is set.
//!
//! Layout: `keys` (keyring), `metadata` (the `sops` block), `datakey` + `shamir` (data key),
//! `cipher` (ENC values), `walk` (tree decryption, encryption rules, MAC), `tree` (the shared
//! tree), `yaml_store`/`yaml_resolve`/`yaml_emit`, `flat_stores` (dotenv, INI), `engine`
//! (load/decrypt/emit per format), `flux` (Flux's rules), `timefmt` (Go time layouts).

mod cipher;
mod datakey;
mod engine;
mod error;
mod flat_stores;
mod flux;
mod keys;
mod metadata;
mod shamir;
mod timefmt;
mod tree;
mod walk;
mod yaml_emit;
mod yaml_resolve;
mod yaml_store;

use serde_json::Value;

pub use error::SopsError;
pub use flux::{
    PLACEHOLDER, decrypt_secret_data, decrypt_secret_data_with, format_for_path, is_encrypted,
    marker_bytes, marker_format, placeholder_document,
};
pub use keys::Keyring;

/// The sops file formats (stores).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileFormat {
    Yaml,
    Json,
    Dotenv,
    Ini,
    /// Any other file: stored as a JSON envelope `{"data": "ENC[…]", "sops": …}`; the plaintext is
    /// the raw file.
    Binary,
}

/// Decryption options.
#[derive(Debug, Clone, Default)]
pub struct DecryptOptions {
    /// Turn a MAC mismatch into [`SopsError::MacMismatch`] instead of a warning.
    pub strict_mac: bool,
}

impl DecryptOptions {
    pub fn strict() -> Self {
        DecryptOptions { strict_mac: true }
    }
}

/// A decrypted resource.
#[derive(Debug, Clone, PartialEq)]
pub struct Decrypted {
    pub value: Value,
    pub mac_verified: bool,
    pub warnings: Vec<String>,
}

/// A decrypted file, in the requested output format.
#[derive(Debug, Clone, PartialEq)]
pub struct DecryptedFile {
    pub bytes: Vec<u8>,
    pub mac_verified: bool,
    pub warnings: Vec<String>,
}

/// Decrypts a whole resource with JSON-store semantics (what Flux does for any object with a
/// top-level `sops.mac`): the `sops` key is removed, values get their stored types back.
pub fn decrypt_document(doc: &Value, keys: &Keyring) -> Result<Decrypted, SopsError> {
    decrypt_document_with(doc, keys, &DecryptOptions::default())
}

/// [`decrypt_document`], but a MAC mismatch is an error.
pub fn decrypt_document_strict(doc: &Value, keys: &Keyring) -> Result<Decrypted, SopsError> {
    decrypt_document_with(doc, keys, &DecryptOptions::strict())
}

/// [`decrypt_document`] with options.
pub fn decrypt_document_with(
    doc: &Value,
    keys: &Keyring,
    opts: &DecryptOptions,
) -> Result<Decrypted, SopsError> {
    let mut loaded = engine::json_loaded(doc)?;
    let outcome = engine::decrypt(&mut loaded, keys, opts)?;
    let value = loaded
        .docs
        .first()
        .map(tree::Node::to_json)
        .unwrap_or(Value::Null);
    Ok(Decrypted {
        value,
        mac_verified: outcome.mac_verified,
        warnings: outcome.warnings,
    })
}

/// Decrypts a whole file stored in `input` format and writes it in `output` format (binary
/// output is the raw plaintext). Multi-document YAML keeps all documents (YAML output only).
pub fn decrypt_file(
    bytes: &[u8],
    input: FileFormat,
    output: FileFormat,
    keys: &Keyring,
) -> Result<DecryptedFile, SopsError> {
    decrypt_file_with(bytes, input, output, keys, &DecryptOptions::default())
}

/// [`decrypt_file`] with options.
pub fn decrypt_file_with(
    bytes: &[u8],
    input: FileFormat,
    output: FileFormat,
    keys: &Keyring,
    opts: &DecryptOptions,
) -> Result<DecryptedFile, SopsError> {
    let mut loaded = engine::load(bytes, input)?;
    let outcome = engine::decrypt(&mut loaded, keys, opts)?;
    let bytes = engine::emit(&loaded.docs, output)?;
    Ok(DecryptedFile {
        bytes,
        mac_verified: outcome.mac_verified,
        warnings: outcome.warnings,
    })
}

/// Where the fixtures live (tests read them by path).
#[cfg(test)]
pub(crate) fn testdata_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/sops")
}

#[cfg(test)]
mod tests_fixtures;
#[cfg(test)]
mod tests_vectors;
