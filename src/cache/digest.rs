//! Hashing the files of a read set: (path, content) pairs in the given order, into one [`Key`].

use std::io;
use std::path::{Path, PathBuf};

use super::key::{Key, KeyBuilder};

/// SHA-256 over every `(path, content)` pair of `files` (relative to `root`), in order. A file
/// that cannot be read is an error: the caller treats it as a cache miss.
pub fn digest_files(root: &Path, files: &[PathBuf]) -> io::Result<Key> {
    let mut builder = KeyBuilder::new("fluxsim-files-v1").u64("count", files.len() as u64);
    for file in files {
        builder = builder
            .bytes("path", file.as_os_str().as_encoded_bytes())
            .file_digest("content", &root.join(file))
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", root.join(file).display())))?;
    }
    Ok(builder.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_path_and_order_matter() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("a"), "1").unwrap();
        std::fs::write(root.join("b"), "2").unwrap();
        let ab = [PathBuf::from("a"), PathBuf::from("b")];
        let first = digest_files(root, &ab).unwrap();
        assert_eq!(first, digest_files(root, &ab).unwrap());
        let ba = [PathBuf::from("b"), PathBuf::from("a")];
        assert_ne!(first, digest_files(root, &ba).unwrap());
        std::fs::write(root.join("b"), "3").unwrap();
        assert_ne!(first, digest_files(root, &ab).unwrap());
        // Swapping contents between paths changes the digest too.
        std::fs::write(root.join("a"), "3").unwrap();
        std::fs::write(root.join("b"), "1").unwrap();
        assert_ne!(first, digest_files(root, &ab).unwrap());
        let missing = digest_files(root, &[PathBuf::from("c")]).unwrap_err();
        assert!(missing.to_string().contains("c"));
    }
}
