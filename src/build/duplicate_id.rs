//! kustomize's "may not add resource with an already registered id" names only the file that
//! added the object a second time. The files a build reads are known, so the message also names
//! every file that defines that id: both sources of the duplicate.

use std::path::{Path, PathBuf};

use crate::object;

/// `message` with the files defining its duplicate id appended, when it is that error and the
/// id is found in `files` (relative to `root`).
pub(super) fn name_sources(message: &str, root: &Path, files: &[PathBuf]) -> Option<String> {
    let id = message
        .split("already registered id: ")
        .nth(1)?
        .split(['\'', ' ', '\n'])
        .next()?;
    let (kind, name, namespace) = parse_id(id)?;
    let mut defined: Vec<String> = Vec::new();
    for file in files {
        let is_yaml = file
            .extension()
            .is_some_and(|e| e == "yaml" || e == "yml" || e == "json");
        if !is_yaml
            || crate::cache::KUSTOMIZATION_FILE_NAMES
                .iter()
                .any(|k| file.ends_with(k))
        {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(root.join(file)) else {
            continue;
        };
        let Ok(docs) = crate::yaml::parse_documents(&text) else {
            continue;
        };
        let matches = docs.iter().any(|doc| {
            object::kind(doc) == kind
                && object::name(doc) == name
                && namespace.is_none_or(|ns| object::namespace(doc).is_none_or(|n| n == ns))
        });
        if matches {
            defined.push(file.display().to_string());
        }
    }
    (defined.len() >= 2).then(|| format!("{message} (defined in {})", defined.join(" and ")))
}

/// `ConfigMap.v1.[noGrp]/same.default` → (kind, name, namespace); `[noNs]` is no namespace.
fn parse_id(id: &str) -> Option<(&str, &str, Option<&str>)> {
    let (gvk, name_ns) = id.split_once('/')?;
    let kind = gvk.split('.').next()?;
    let (name, namespace) = match name_ns.rsplit_once('.') {
        Some((name, "[noNs]")) => (name, None),
        Some((name, ns)) => (name, Some(ns)),
        None => (name_ns, None),
    };
    Some((kind, name, namespace))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: same, namespace: default}\n";
        std::fs::write(dir.path().join("one.yaml"), cm).unwrap();
        std::fs::write(dir.path().join("two.yaml"), cm).unwrap();
        std::fs::write(dir.path().join("other.yaml"), cm.replace("same", "x")).unwrap();
        let files = ["one.yaml", "other.yaml", "two.yaml"].map(PathBuf::from);
        let message = "accumulation err='merging resources from 'two.yaml': may not add resource with an already registered id: ConfigMap.v1.[noGrp]/same.default': …";
        let named = name_sources(message, dir.path(), &files).unwrap();
        assert!(
            named.ends_with("(defined in one.yaml and two.yaml)"),
            "{named}"
        );
        assert_eq!(name_sources("other error", dir.path(), &files), None);
        assert_eq!(
            parse_id("Namespace.v1.[noGrp]/apps.[noNs]"),
            Some(("Namespace", "apps", None))
        );
    }
}
