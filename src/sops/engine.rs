//! Loads a document in one of sops' formats, decrypts it with a keyring, checks the MAC, and
//! writes the plaintext in any format (sops' LoadEncryptedFile → Decrypt → EmitPlainFile).

use serde_json::Value;

use super::error::{SopsError, malformed};
use super::keys::Keyring;
use super::metadata::Metadata;
use super::tree::{Node, Scalar};
use super::walk::{MacCheck, decrypt_tree};
use super::{DecryptOptions, FileFormat, flat_stores, yaml_emit, yaml_store};

/// The warning added when the MAC does not match (Flux does not check it).
pub(crate) const MAC_IGNORED: &str = "Flux ignores it: kustomize-controller does not verify SOPS MACs, e.g. after kustomize edited the object";

/// Parsed documents and their `sops` metadata (not yet interpreted).
pub(crate) struct Loaded {
    pub docs: Vec<Node>,
    pub meta: Value,
}

/// Reads an encrypted file. Binary files are JSON envelopes and load like JSON.
pub(crate) fn load(bytes: &[u8], format: FileFormat) -> Result<Loaded, SopsError> {
    let text = || {
        std::str::from_utf8(bytes).map_err(|_| malformed("the encrypted file is not UTF-8 text"))
    };
    match format {
        FileFormat::Yaml => {
            let mut docs = yaml_store::parse(text()?)?;
            let meta = docs
                .first()
                .and_then(|d| d.get("sops"))
                .map(Node::to_json)
                .ok_or_else(|| malformed("sops metadata not found (no top-level `sops` key)"))?;
            for doc in &mut docs {
                doc.remove("sops");
            }
            Ok(Loaded { docs, meta })
        }
        FileFormat::Json | FileFormat::Binary => {
            let value: Value = serde_json::from_slice(bytes)
                .map_err(|e| malformed(format!("invalid JSON: {e}")))?;
            json_loaded(&value)
        }
        FileFormat::Dotenv => {
            let (doc, meta) = flat_stores::dotenv_load(text()?)?;
            Ok(Loaded {
                docs: vec![doc],
                meta,
            })
        }
        FileFormat::Ini => {
            let (doc, meta) = flat_stores::ini_load(text()?)?;
            Ok(Loaded {
                docs: vec![doc],
                meta,
            })
        }
    }
}

/// A JSON document as the JSON store loads it: a top-level object, `sops` taken out.
pub(crate) fn json_loaded(value: &Value) -> Result<Loaded, SopsError> {
    let obj = value
        .as_object()
        .ok_or_else(|| malformed("a SOPS JSON document must be an object at the top level"))?;
    let meta = obj
        .get("sops")
        .cloned()
        .ok_or_else(|| malformed("sops metadata not found (no top-level `sops` key)"))?;
    let mut doc = Node::from_json(value);
    doc.remove("sops");
    Ok(Loaded {
        docs: vec![doc],
        meta,
    })
}

/// MAC outcome of a decryption.
pub(crate) struct Outcome {
    pub mac_verified: bool,
    pub warnings: Vec<String>,
}

/// Decrypts the loaded documents in place.
pub(crate) fn decrypt(
    loaded: &mut Loaded,
    keys: &Keyring,
    opts: &DecryptOptions,
) -> Result<Outcome, SopsError> {
    let meta = Metadata::from_json(&loaded.meta)?;
    let key = super::datakey::data_key(&meta, keys)?;
    let check = decrypt_tree(&mut loaded.docs, &meta, &key)?;
    let problem = match check {
        MacCheck::Verified => {
            return Ok(Outcome {
                mac_verified: true,
                warnings: Vec::new(),
            });
        }
        MacCheck::Mismatch => "MAC mismatch".to_string(),
        MacCheck::Unreadable(why) => format!("MAC could not be decrypted ({why})"),
    };
    if opts.strict_mac {
        return Err(SopsError::MacMismatch(problem));
    }
    Ok(Outcome {
        mac_verified: false,
        warnings: vec![format!("{problem} ({MAC_IGNORED})")],
    })
}

/// Writes decrypted documents in `format`.
pub(crate) fn emit(docs: &[Node], format: FileFormat) -> Result<Vec<u8>, SopsError> {
    let single = || match docs {
        [doc] => Ok(doc),
        _ => Err(malformed(format!(
            "cannot write {} documents as {format:?}",
            docs.len()
        ))),
    };
    Ok(match format {
        FileFormat::Yaml => yaml_emit::emit(docs).into_bytes(),
        FileFormat::Json => {
            let value = single()?.to_json();
            let mut out = Vec::new();
            let fmt = serde_json::ser::PrettyFormatter::with_indent(b"\t");
            let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
            serde::Serialize::serialize(&value, &mut ser)
                .map_err(|e| malformed(format!("JSON output: {e}")))?;
            out.push(b'\n');
            out
        }
        FileFormat::Dotenv => flat_stores::dotenv_emit(single()?)?.into_bytes(),
        FileFormat::Ini => flat_stores::ini_emit(single()?)?.into_bytes(),
        FileFormat::Binary => match single()?.get("data") {
            Some(Node::Scalar(Scalar::Str(s))) => s.clone().into_bytes(),
            Some(Node::Scalar(Scalar::Bytes(b))) => b.clone(),
            _ => {
                return Err(malformed(
                    "binary output needs a top-level string `data` key",
                ));
            }
        },
    })
}
