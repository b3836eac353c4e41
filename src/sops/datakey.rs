//! Recovers the 32-byte data key (`Metadata.GetDataKeyWithKeyServices`): one part per key group,
//! age keys tried first, parts recombined with Shamir when there is more than one group.

use std::io::Read;

use age::armor::ArmoredReader;

use super::error::{SopsError, malformed};
use super::keys::Keyring;
use super::metadata::{MasterKey, Metadata};
use super::shamir;

/// Why one group gave no part.
#[derive(Default)]
struct GroupFailure {
    /// X25519 age recipients we hold no identity for.
    age_recipients: Vec<String>,
    /// Keys of kinds we cannot use.
    unsupported: Vec<String>,
}

/// The data key of a document, or an error naming the recipients or key types that would open it.
pub(crate) fn data_key(meta: &Metadata, keys: &Keyring) -> Result<[u8; 32], SopsError> {
    let mut parts = Vec::new();
    let mut failures = Vec::new();
    for group in &meta.key_groups {
        match group_part(group, keys) {
            Ok(part) => parts.push(part),
            Err(f) => failures.push(f),
        }
    }
    let key = if meta.key_groups.len() > 1 {
        // sops needs `shamir_threshold` parts (and combine needs at least two).
        let needed = meta.shamir_threshold.max(2);
        if parts.len() < needed {
            return Err(failure_error(failures));
        }
        shamir::combine(&parts)
            .map_err(|e| malformed(format!("cannot combine Shamir key parts: {e}")))?
    } else {
        match parts.pop() {
            Some(p) => p,
            None => return Err(failure_error(failures)),
        }
    };
    key.try_into()
        .map_err(|k: Vec<u8>| malformed(format!("data key is {} bytes, expected 32", k.len())))
}

fn failure_error(failures: Vec<GroupFailure>) -> SopsError {
    let mut recipients = Vec::new();
    let mut kinds = Vec::new();
    for f in failures {
        recipients.extend(f.age_recipients);
        kinds.extend(f.unsupported);
    }
    dedup(&mut recipients);
    dedup(&mut kinds);
    if recipients.is_empty() {
        SopsError::UnsupportedKeyType { kinds }
    } else {
        SopsError::NoMatchingKey { recipients }
    }
}

fn dedup(v: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    v.retain(|s| seen.insert(s.clone()));
}

/// The part of one key group: the first age key one of our identities opens.
fn group_part(group: &[MasterKey], keys: &Keyring) -> Result<Vec<u8>, GroupFailure> {
    let mut failure = GroupFailure::default();
    for key in group {
        match key {
            MasterKey::Age { recipient, enc } => {
                if !recipient.starts_with("age1") || recipient.starts_with("age1pq1") {
                    failure.unsupported.push(describe_age(recipient));
                    continue;
                }
                match unwrap_age(enc, keys) {
                    Some(part) => return Ok(part),
                    None => failure.age_recipients.push(recipient.clone()),
                }
            }
            MasterKey::Other { label } => failure.unsupported.push(label.clone()),
        }
    }
    Err(failure)
}

fn describe_age(recipient: &str) -> String {
    let short: String = recipient.chars().take(24).collect();
    let kind = if recipient.starts_with("age1pq1") {
        "post-quantum age"
    } else if recipient.starts_with("ssh-") {
        "age ssh"
    } else {
        "age plugin"
    };
    if short.len() < recipient.len() {
        format!("{kind} {short}…")
    } else {
        format!("{kind} {short}")
    }
}

/// Opens the armored age file with our identities; `None` if none matches or it is unreadable.
fn unwrap_age(enc: &str, keys: &Keyring) -> Option<Vec<u8>> {
    if keys.keys.is_empty() {
        return None;
    }
    let decryptor = age::Decryptor::new(ArmoredReader::new(enc.as_bytes())).ok()?;
    let identities = keys.keys.iter().map(|k| &k.identity as &dyn age::Identity);
    let mut reader = decryptor.decrypt(identities).ok()?;
    let mut out = Vec::new();
    reader.read_to_end(&mut out).ok()?;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sops_mock_data_key() {
        // getsops/sops age/keysource_test.go: the mock identity opens a file containing `data`.
        let dir = crate::sops::testdata_dir().join("vectors/getsops-sops");
        let ids = std::fs::read_to_string(dir.join("mock-identity.txt")).unwrap();
        let enc = std::fs::read_to_string(dir.join("mock-encrypted-datakey.age")).unwrap();
        let ring = Keyring::parse(&ids, "mock").unwrap();
        assert_eq!(unwrap_age(&enc, &ring).unwrap(), b"data");
        assert!(unwrap_age(&enc, &Keyring::empty()).is_none());
    }
}
