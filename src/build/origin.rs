//! Which repository file an object came from, read from kustomize's origin annotation.
//!
//! We always ask kustomize for `config.kubernetes.io/origin` and remove it again unless Flux would
//! keep it, so error messages, orphan checks and changed-only mode can name files.

use serde_json::Value;
use std::path::Path;

const ORIGIN: &str = "config.kubernetes.io/origin";

/// Returns the repository-relative file of `obj` and strips the annotation unless `keep`.
/// `rel` is the built folder relative to the source root.
pub fn take(obj: &mut Value, rel: &Path, keep: bool) -> Option<String> {
    let annotations = obj
        .pointer_mut("/metadata/annotations")
        .and_then(Value::as_object_mut)?;
    let text = annotations.get(ORIGIN)?.as_str()?.to_string();
    if !keep {
        annotations.remove(ORIGIN);
        if annotations.is_empty()
            && let Some(meta) = obj.pointer_mut("/metadata").and_then(Value::as_object_mut)
        {
            meta.remove("annotations");
        }
    }
    let origin = crate::yaml::parse_one(&text).ok()?;
    if origin.get("repo").is_some() {
        return None; // a remote base: not a file of this source
    }
    let path = origin.get("path").and_then(Value::as_str)?;
    Some(normalize(&rel.join(path)))
}

fn normalize(p: &Path) -> String {
    crate::workspace::secure_join(&p.to_string_lossy())
        .to_string_lossy()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_and_strips() {
        let mut o = json!({"metadata":{"name":"a","annotations":{"config.kubernetes.io/origin":"path: ../common/cm.yaml\n"}}});
        let f = take(&mut o, Path::new("apps/x"), false);
        assert_eq!(f.as_deref(), Some("apps/common/cm.yaml"));
        assert!(o["metadata"].get("annotations").is_none());
    }
}
