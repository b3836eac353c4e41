//! The `Extract` copy strategy: a gzipped tarball unpacked into the destination folder, keeping
//! its inner layout (fluxcd/source-watcher `internal/builder/extract.go`, which uses fluxcd/pkg
//! `tar.Untar`). A tarball from a pull request is untrusted: entries that are absolute, climb out
//! with `..`, or are links are never written, and the unpacked size is capped.

use std::fs;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

/// The unpacked bytes one tarball may hold (fluxcd/pkg/tar's default limit is 100 MiB).
const MAX_UNTAR_BYTES: u64 = 100 << 20;

/// Why a tarball could not be unpacked.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("entry {0:?} would be written outside the destination")]
    Escapes(String),
    #[error("tarball is larger than {MAX_UNTAR_BYTES} bytes once unpacked")]
    TooLarge,
}

/// Whether source-watcher treats the file as a tarball (`.tar.gz` or `.tgz`, any case).
pub fn is_tarball(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    lower.ends_with(".tar.gz") || lower.ends_with(".tgz")
}

/// Unpacks `tarball` (gzip-compressed tar bytes) under `dest`, which is created.
pub fn untar(tarball: &[u8], dest: &Path) -> Result<(), ExtractError> {
    fs::create_dir_all(dest)?;
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(tarball));
    let mut total = 0u64;
    for entry in archive.entries()? {
        let mut entry = entry?;
        let name = entry.path()?.to_string_lossy().into_owned();
        let rel = plain(&name).ok_or_else(|| ExtractError::Escapes(name.clone()))?;
        let kind = entry.header().entry_type();
        if kind.is_dir() {
            fs::create_dir_all(dest.join(&rel))?;
        } else if kind.is_file() {
            total += entry.size();
            if total > MAX_UNTAR_BYTES {
                return Err(ExtractError::TooLarge);
            }
            let to = dest.join(&rel);
            if let Some(parent) = to.parent() {
                fs::create_dir_all(parent)?;
            }
            let mut data = Vec::new();
            entry
                .by_ref()
                .take(MAX_UNTAR_BYTES)
                .read_to_end(&mut data)?;
            if to.is_dir() {
                return Err(ExtractError::Escapes(name));
            }
            fs::write(&to, data)?;
        }
        // Links and special files are skipped: they could point out of the artifact.
    }
    Ok(())
}

/// The entry path as plain names, `./` prefixes dropped; `None` when it could escape.
fn plain(name: &str) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for c in Path::new(name).components() {
        match c {
            Component::Normal(s) => out.push(s),
            Component::CurDir => {}
            _ => return None,
        }
    }
    Some(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A gzipped tarball of `(path, content)` regular files.
    pub fn tarball(files: &[(&str, &str)]) -> Vec<u8> {
        let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let mut b = tar::Builder::new(gz);
        for (p, c) in files {
            let mut h = tar::Header::new_gnu();
            h.set_size(c.len() as u64);
            h.set_mode(0o644);
            h.set_entry_type(tar::EntryType::Regular);
            // set_path refuses `..`; write the raw name to build hostile archives too.
            h.as_old_mut().name[..p.len()].copy_from_slice(p.as_bytes());
            h.set_cksum();
            b.append(&h, c.as_bytes()).unwrap();
        }
        b.into_inner().unwrap().finish().unwrap()
    }

    #[test]
    fn unpacks_keeping_the_inner_layout() {
        let t = tempfile::tempdir().unwrap();
        untar(
            &tarball(&[("podinfo/Chart.yaml", "name: podinfo"), ("./x.yaml", "x")]),
            t.path(),
        )
        .unwrap();
        assert_eq!(
            fs::read_to_string(t.path().join("podinfo/Chart.yaml")).unwrap(),
            "name: podinfo"
        );
        assert!(t.path().join("x.yaml").is_file());
    }

    #[test]
    fn entries_climbing_out_are_refused() {
        let t = tempfile::tempdir().unwrap();
        let dest = t.path().join("d");
        let err = untar(&tarball(&[("../evil.yaml", "x")]), &dest).unwrap_err();
        assert!(matches!(err, ExtractError::Escapes(_)));
        assert!(!t.path().join("evil.yaml").exists());
    }

    #[test]
    fn tarball_names() {
        assert!(is_tarball("a/podinfo-6.7.0.TGZ"));
        assert!(is_tarball("x.tar.gz"));
        assert!(!is_tarball("x.tar"));
    }
}
