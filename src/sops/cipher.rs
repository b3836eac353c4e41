//! sops' value cipher (`aes/cipher.go`): `ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]`, AES-256-GCM with
//! a 32-byte nonce, the key path as additional data, and the typed plaintext encodings.

use std::sync::LazyLock;

use aes_gcm::aead::consts::U32;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::aes::Aes256;
use aes_gcm::{AesGcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use regex::Regex;

use super::error::{SopsError, malformed};
use super::timefmt;
use super::tree::Scalar;

/// AES-256-GCM with Go's `NewGCMWithNonceSize(32)`.
type SopsGcm = AesGcm<Aes256, U32>;

static ENC_RE: LazyLock<Regex> = LazyLock::new(|| {
    // Same pattern as sops (`encre`); base64 never contains commas, so the greedy groups split right.
    Regex::new(r"^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]").expect("static regex")
});

/// A decrypted value: a typed scalar, or a comment (`type:comment`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Plain {
    Value(Scalar),
    Comment(String),
}

/// True when `s` has the shape of a sops-encrypted value.
pub(crate) fn is_enc(s: &str) -> bool {
    ENC_RE.is_match(s)
}

/// Why a decryption failed: a format problem or a GCM authentication failure.
#[derive(Debug)]
pub(crate) enum CipherError {
    Format(String),
    Auth,
}

impl CipherError {
    /// The error for the value at `path` (shown with dots).
    pub fn at(self, path: &str) -> SopsError {
        match self {
            CipherError::Format(m) => malformed(format!("value at '{path}': {m}")),
            CipherError::Auth => SopsError::DecryptFailed {
                path: path.to_string(),
            },
        }
    }
}

/// Decrypts one `ENC[…]` string with the data key and additional data (`a:b:` path string).
/// The empty string stays empty, as in sops.
pub(crate) fn decrypt(value: &str, key: &[u8; 32], aad: &str) -> Result<Plain, CipherError> {
    if value.is_empty() {
        return Ok(Plain::Value(Scalar::Str(String::new())));
    }
    let caps = ENC_RE
        .captures(value)
        .ok_or_else(|| CipherError::Format("not an ENC[AES256_GCM,…] value".into()))?;
    let b64 = |i: usize, what: &str| {
        STANDARD
            .decode(&caps[i])
            .map_err(|e| CipherError::Format(format!("bad base64 in {what}: {e}")))
    };
    let mut data = b64(1, "data")?;
    let iv = b64(2, "iv")?;
    let tag = b64(3, "tag")?;
    if iv.len() != 32 {
        return Err(CipherError::Format(format!(
            "iv is {} bytes, expected 32",
            iv.len()
        )));
    }
    if tag.len() != 16 {
        return Err(CipherError::Format(format!(
            "tag is {} bytes, expected 16",
            tag.len()
        )));
    }
    data.extend_from_slice(&tag);
    let cipher = SopsGcm::new_from_slice(key)
        .map_err(|_| CipherError::Format("bad data key length".into()))?;
    let plain = cipher
        .decrypt(
            Nonce::<U32>::from_slice(&iv),
            Payload {
                msg: &data,
                aad: aad.as_bytes(),
            },
        )
        .map_err(|_| CipherError::Auth)?;
    typed(plain, &caps[4])
}

/// Converts decrypted bytes according to the `type:` tag (Go `strconv` parsing rules).
fn typed(plain: Vec<u8>, kind: &str) -> Result<Plain, CipherError> {
    let text = || {
        String::from_utf8(plain.clone())
            .map_err(|_| CipherError::Format(format!("{kind} value is not UTF-8")))
    };
    let bad = |t: &str| CipherError::Format(format!("cannot parse decrypted {kind} value {t:?}"));
    Ok(Plain::Value(match kind {
        // A Go string may hold any bytes; keep non-UTF-8 payloads (binary files) as bytes.
        "str" => match String::from_utf8(plain) {
            Ok(s) => Scalar::Str(s),
            Err(e) => Scalar::Bytes(e.into_bytes()),
        },
        "bytes" => Scalar::Bytes(plain),
        "int" => {
            let t = text()?;
            Scalar::Int(t.parse::<i64>().map_err(|_| bad(&t))?)
        }
        "float" => {
            let t = text()?;
            Scalar::Float(parse_go_float(&t).ok_or_else(|| bad(&t))?)
        }
        "bool" => {
            let t = text()?;
            Scalar::Bool(match t.as_str() {
                "1" | "t" | "T" | "TRUE" | "true" | "True" => true,
                "0" | "f" | "F" | "FALSE" | "false" | "False" => false,
                _ => return Err(bad(&t)),
            })
        }
        "time" => {
            let t = text()?;
            let parsed = timefmt::parse_rfc3339(&t).ok_or_else(|| bad(&t))?;
            Scalar::Time {
                canonical: parsed.rfc3339_nano(),
                raw: t,
            }
        }
        "comment" => return Ok(Plain::Comment(text()?)),
        other => return Err(CipherError::Format(format!("unknown value type '{other}'"))),
    }))
}

/// Go `strconv.ParseFloat(s, 64)` for the forms sops writes (plus Inf/NaN spellings).
fn parse_go_float(s: &str) -> Option<f64> {
    match s.to_ascii_lowercase().trim_start_matches('+') {
        "inf" | "infinity" => {
            return Some(if s.starts_with('-') {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            });
        }
        "-inf" | "-infinity" => return Some(f64::NEG_INFINITY),
        "nan" => return Some(f64::NAN),
        _ => {}
    }
    s.parse::<f64>().ok()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use aes_gcm::aead::AeadCore;

    /// Encrypts like sops does (for unit tests of the decryptor only).
    pub(crate) fn encrypt(plain: &[u8], key: &[u8; 32], aad: &str, kind: &str) -> String {
        let cipher = SopsGcm::new_from_slice(key).unwrap();
        let nonce = SopsGcm::generate_nonce(&mut aes_gcm::aead::OsRng);
        let mut out = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plain,
                    aad: aad.as_bytes(),
                },
            )
            .unwrap();
        let tag = out.split_off(out.len() - 16);
        format!(
            "ENC[AES256_GCM,data:{},iv:{},tag:{},type:{kind}]",
            STANDARD.encode(out),
            STANDARD.encode(nonce),
            STANDARD.encode(tag)
        )
    }

    #[test]
    fn typed_round_trips() {
        let key = [7u8; 32];
        let cases: &[(&[u8], &str, Plain)] = &[
            (b"hello", "str", Plain::Value(Scalar::Str("hello".into()))),
            (b"-42", "int", Plain::Value(Scalar::Int(-42))),
            (
                b"1000000000000000000000",
                "float",
                Plain::Value(Scalar::Float(1e21)),
            ),
            (b"True", "bool", Plain::Value(Scalar::Bool(true))),
            (b"False", "bool", Plain::Value(Scalar::Bool(false))),
            (b" note", "comment", Plain::Comment(" note".into())),
            (
                &[0xff, 0x00],
                "str",
                Plain::Value(Scalar::Bytes(vec![0xff, 0])),
            ),
        ];
        for (plain, kind, expected) in cases {
            let enc = encrypt(plain, &key, "a:b:", kind);
            assert_eq!(&decrypt(&enc, &key, "a:b:").unwrap(), expected, "{kind}");
        }
        let enc = encrypt(b"2024-01-02T00:00:00Z", &key, "", "time");
        assert!(matches!(
            decrypt(&enc, &key, ""),
            Ok(Plain::Value(Scalar::Time { .. }))
        ));
    }

    #[test]
    fn wrong_aad_or_key_is_an_auth_failure() {
        let key = [7u8; 32];
        let enc = encrypt(b"x", &key, "a:", "str");
        assert!(matches!(decrypt(&enc, &key, "b:"), Err(CipherError::Auth)));
        assert!(matches!(
            decrypt(&enc, &[8u8; 32], "a:"),
            Err(CipherError::Auth)
        ));
        let err = decrypt(&enc, &key, "b:").unwrap_err().at("b");
        assert!(
            err.to_string().contains("tampered or wrong data key"),
            "{err}"
        );
    }

    #[test]
    fn format_errors() {
        let key = [7u8; 32];
        assert!(matches!(
            decrypt("ENC[AES256_GCM,data:!!,iv:x,tag:y,type:str]", &key, ""),
            Err(CipherError::Format(_))
        ));
        assert!(matches!(
            decrypt("plain", &key, ""),
            Err(CipherError::Format(_))
        ));
        assert_eq!(
            decrypt("", &key, "").unwrap(),
            Plain::Value(Scalar::Str(String::new()))
        );
        let enc = encrypt(b"x", &key, "", "weird");
        assert!(matches!(
            decrypt(&enc, &key, ""),
            Err(CipherError::Format(_))
        ));
    }
}
