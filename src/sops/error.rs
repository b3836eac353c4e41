//! Errors of the SOPS decryptor. Messages name the recipients, key types and value paths involved,
//! never secret material; callers add the file or object name.

/// Everything that can go wrong while loading keys or decrypting a SOPS document.
#[derive(Debug, thiserror::Error)]
pub enum SopsError {
    /// None of our age identities can open the data key.
    #[error("not decrypted: no key for {}", .recipients.join(", "))]
    NoMatchingKey { recipients: Vec<String> },

    /// The document can only be opened with key types we do not support (PGP, cloud KMS, Vault,
    /// post-quantum age, plugins).
    #[error("not decrypted: unsupported key type (only age X25519 keys are supported): {}", .kinds.join(", "))]
    UnsupportedKeyType { kinds: Vec<String> },

    /// AES-GCM authentication of one value failed.
    #[error(
        "cannot decrypt the value at '{path}': authentication failed (tampered or wrong data key)"
    )]
    DecryptFailed { path: String },

    /// The document or its `sops` metadata is not what sops writes.
    #[error("malformed SOPS document: {0}")]
    Malformed(String),

    /// The YAML's aliases expand beyond the budget every YAML reader applies (an alias bomb).
    #[error("malformed SOPS document: {0}")]
    ExcessiveAliasing(#[from] crate::yaml::ExcessiveAliasing),

    /// Strict mode: the recomputed MAC differs from the stored one (or cannot be read).
    #[error("MAC mismatch: {0}")]
    MacMismatch(String),

    /// An identities file or variable holds something that is not an age identity.
    #[error("invalid age identity in {origin} line {line}")]
    BadIdentity { origin: String, line: usize },

    /// A key file could not be read.
    #[error("cannot read age key file {path}: {source}")]
    KeyFile {
        path: String,
        #[source]
        source: std::io::Error,
    },

    /// A failure inside one data value of a Secret (Flux's Secret data pass).
    #[error("Secret field '{key}': {source}")]
    SecretField {
        key: String,
        #[source]
        source: Box<SopsError>,
    },
}

pub(crate) fn malformed(message: impl Into<String>) -> SopsError {
    SopsError::Malformed(message.into())
}
