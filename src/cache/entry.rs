//! The byte format of one cache entry: a fixed header, then the (maybe deflated) value.
//!
//! ```text
//! magic "FXC2" | codec u8 | value length u64 LE | payload length u64 LE | SHA-256(key | value) | payload
//! ```
//! The header lets a reader reject a truncated or damaged file (a crash mid-write, a full disk, a
//! hand edit) instead of serving it: the payload length must match the file size exactly, and the
//! decoded value must match both its length and its checksum. The checksum covers the entry's
//! key too, so a whole, valid entry copied or renamed to another key's path (a foreign entry:
//! another release's render, another chart's ref) is a miss, never the wrong value.

use std::io::{Read, Write};

use flate2::Compression;
use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;
use sha2::{Digest, Sha256};

use super::key::Key;

const MAGIC: &[u8; 4] = b"FXC2";
const HEADER_LEN: usize = 4 + 1 + 8 + 8 + 32;

const CODEC_RAW: u8 = 0;
const CODEC_DEFLATE: u8 = 1;

/// Values smaller than this are stored raw: deflate saves next to nothing on them.
const COMPRESS_MIN: usize = 1024;

/// Encodes a value. Rendered YAML deflates to a fraction of its size at the fastest level, so
/// larger values are compressed unless that does not save at least an eighth.
pub fn encode(key: &Key, value: &[u8]) -> Vec<u8> {
    let checksum = checksum(key, value);
    let compressed = if value.len() >= COMPRESS_MIN {
        deflate(value).filter(|c| c.len() < value.len() - value.len() / 8)
    } else {
        None
    };
    let (codec, payload) = match &compressed {
        Some(c) => (CODEC_DEFLATE, c.as_slice()),
        None => (CODEC_RAW, value),
    };
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
    out.extend_from_slice(MAGIC);
    out.push(codec);
    out.extend_from_slice(&(value.len() as u64).to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&checksum);
    out.extend_from_slice(payload);
    out
}

fn deflate(value: &[u8]) -> Option<Vec<u8>> {
    let mut encoder = DeflateEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(value).ok()?;
    encoder.finish().ok()
}

/// SHA-256 of the key, then the value.
fn checksum(key: &Key, value: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(key.as_bytes());
    hasher.update(value);
    hasher.finalize().into()
}

/// Decodes the entry of `key`; `None` when anything about it is wrong.
pub fn decode(key: &Key, bytes: &[u8]) -> Option<Vec<u8>> {
    let header = bytes.get(..HEADER_LEN)?;
    if &header[..4] != MAGIC {
        return None;
    }
    let codec = header[4];
    let value_len = usize::try_from(u64::from_le_bytes(header[5..13].try_into().ok()?)).ok()?;
    let payload_len = usize::try_from(u64::from_le_bytes(header[13..21].try_into().ok()?)).ok()?;
    let stored = &header[21..HEADER_LEN];
    let payload = &bytes[HEADER_LEN..];
    if payload.len() != payload_len {
        return None;
    }
    let value = match codec {
        CODEC_RAW => payload.to_vec(),
        CODEC_DEFLATE => {
            // Never inflate past the declared size: a damaged header must not exhaust memory.
            let mut out = Vec::with_capacity(value_len.min(payload_len.saturating_mul(16)));
            let limit = (value_len as u64).saturating_add(1);
            let mut decoder = DeflateDecoder::new(payload).take(limit);
            decoder.read_to_end(&mut out).ok()?;
            out
        }
        _ => return None,
    };
    if value.len() != value_len || checksum(key, &value).as_slice() != stored {
        return None;
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::super::key::KeyBuilder;
    use super::*;

    fn k() -> Key {
        KeyBuilder::new("test").text("n", "one").finish()
    }

    #[test]
    fn an_entry_of_another_key_is_refused() {
        let other = KeyBuilder::new("test").text("n", "two").finish();
        let encoded = encode(&other, b"another release's render");
        assert_eq!(decode(&k(), &encoded), None);
        assert_eq!(
            decode(&other, &encoded).as_deref(),
            Some(&b"another release's render"[..])
        );
    }

    #[test]
    fn round_trip_small_and_large() {
        let small = b"hello".to_vec();
        assert_eq!(decode(&k(), &encode(&k(), &small)), Some(small));
        let large = "apiVersion: v1\nkind: ConfigMap\n".repeat(500).into_bytes();
        let encoded = encode(&k(), &large);
        assert_eq!(encoded[4], CODEC_DEFLATE);
        assert!(encoded.len() < large.len() / 4);
        assert_eq!(decode(&k(), &encoded), Some(large));
        assert_eq!(decode(&k(), &encode(&k(), b"")), Some(Vec::new()));
    }

    #[test]
    fn incompressible_is_stored_raw() {
        let noise: Vec<u8> = (0..128u32)
            .flat_map(|i| Sha256::digest(i.to_le_bytes()))
            .collect();
        let encoded = encode(&k(), &noise);
        assert_eq!(encoded[4], CODEC_RAW);
        assert_eq!(decode(&k(), &encoded), Some(noise));
    }

    #[test]
    fn damage_is_detected() {
        let value = "kind: Deployment\n".repeat(200).into_bytes();
        let encoded = encode(&k(), &value);
        // Truncated anywhere.
        for cut in [0, 3, HEADER_LEN - 1, HEADER_LEN, encoded.len() - 1] {
            assert_eq!(decode(&k(), &encoded[..cut]), None, "cut at {cut}");
        }
        // Extra trailing bytes.
        let mut longer = encoded.clone();
        longer.push(0);
        assert_eq!(decode(&k(), &longer), None);
        // A flipped bit anywhere never yields a different value (a flip in deflate's final
        // padding bits may still decode to the original, which the checksum confirms).
        for at in 0..encoded.len() {
            let mut bad = encoded.clone();
            bad[at] ^= 0x40;
            let decoded = decode(&k(), &bad);
            assert!(
                decoded.is_none() || decoded.as_ref() == Some(&value),
                "flip at {at}"
            );
            if at < HEADER_LEN {
                assert!(decoded.is_none(), "header flip at {at}");
            }
        }
    }
}
