//! `spec.path` inside a source artifact (securejoin semantics: `..` never leaves the root).

use std::path::{Component, Path, PathBuf};

/// Cleans a Flux `spec.path` into a relative path that stays inside the artifact root.
pub fn secure_join(spec_path: &str) -> PathBuf {
    let mut parts: Vec<&std::ffi::OsStr> = Vec::new();
    for c in Path::new(spec_path).components() {
        match c {
            Component::Normal(p) => parts.push(p),
            Component::ParentDir => {
                parts.pop();
            }
            _ => {}
        }
    }
    parts.iter().collect()
}

/// How Flux's error message shows the path (`stat <path>`): relative, `./`-prefixed.
pub fn display_spec_path(rel: &Path) -> String {
    format!("./{}", rel.display())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stays_inside_root() {
        assert_eq!(secure_join("./apps/../x"), PathBuf::from("x"));
        assert_eq!(secure_join("../../etc"), PathBuf::from("etc"));
        assert_eq!(secure_join("/abs/p"), PathBuf::from("abs/p"));
        assert_eq!(secure_join(""), PathBuf::from(""));
    }
}
