//! Chart archives and folders on disk: safe unpacking, reading and editing `Chart.yaml`, merging
//! `valuesFiles` into a replacement `values.yaml`, and content digests of chart folders.

use super::values::merge_maps;
use flate2::read::GzDecoder;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Component, Path, PathBuf};

/// Refuses archives that would unpack to more than this (a zip bomb guard).
const MAX_UNPACKED: u64 = 512 * 1024 * 1024;

/// Reads `<top>/Chart.yaml` from a chart archive without unpacking it.
pub(crate) fn chart_yaml_from_tgz(tgz: &Path) -> Result<Value, String> {
    let file = std::fs::File::open(tgz).map_err(|e| format!("{}: {e}", tgz.display()))?;
    let mut archive = tar::Archive::new(GzDecoder::new(file));
    let entries = archive
        .entries()
        .map_err(|e| format!("not a chart archive: {e}"))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| format!("not a chart archive: {e}"))?;
        let path = entry.path().map_err(|e| e.to_string())?.into_owned();
        let parts: Vec<_> = path.components().collect();
        if parts.len() == 2 && parts[1].as_os_str() == "Chart.yaml" {
            let mut text = String::new();
            entry
                .read_to_string(&mut text)
                .map_err(|e| format!("Chart.yaml: {e}"))?;
            return crate::yaml::parse_one(&text).map_err(|e| format!("Chart.yaml: {e}"));
        }
    }
    Err("archive has no <chart>/Chart.yaml".to_string())
}

/// Reads `Chart.yaml` of a chart folder (a symlinked one is not part of the artifact).
pub(crate) fn chart_yaml_from_dir(dir: &Path) -> Result<Value, String> {
    let path = dir.join("Chart.yaml");
    if std::fs::symlink_metadata(&path).is_ok_and(|m| !m.is_file()) {
        return Err(format!("{}: not a regular file", path.display()));
    }
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    crate::yaml::parse_one(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Unpacks a chart archive into `dest` and returns the chart's root folder (`dest/<name>`).
/// Only regular files and folders with plain relative paths are written.
pub(crate) fn unpack(tgz: &Path, dest: &Path) -> Result<PathBuf, String> {
    let file = std::fs::File::open(tgz).map_err(|e| format!("{}: {e}", tgz.display()))?;
    let mut archive = tar::Archive::new(GzDecoder::new(file));
    let mut top: Option<PathBuf> = None;
    let mut total = 0u64;
    for entry in archive
        .entries()
        .map_err(|e| format!("not a chart archive: {e}"))?
    {
        let mut entry = entry.map_err(|e| format!("not a chart archive: {e}"))?;
        let path = entry.path().map_err(|e| e.to_string())?.into_owned();
        if path
            .components()
            .any(|c| !matches!(c, Component::Normal(_)))
        {
            return Err(format!("unsafe path in archive: {}", path.display()));
        }
        let kind = entry.header().entry_type();
        let target = dest.join(&path);
        if kind.is_dir() {
            std::fs::create_dir_all(&target).map_err(|e| e.to_string())?;
            continue;
        }
        if !kind.is_file() {
            continue;
        }
        total += entry.size();
        if total > MAX_UNPACKED {
            return Err("archive is too large".to_string());
        }
        if let Some(first) = path.components().next() {
            top.get_or_insert_with(|| dest.join(first.as_os_str()));
        }
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        let mut out = std::fs::File::create(&target).map_err(|e| e.to_string())?;
        std::io::copy(&mut entry, &mut out).map_err(|e| e.to_string())?;
    }
    top.filter(|t| t.join("Chart.yaml").is_file())
        .ok_or_else(|| "archive has no <chart>/Chart.yaml".to_string())
}

/// Copies a chart folder (regular files only; symlinks are never archived by Flux either).
pub(crate) fn copy_dir(src: &Path, dest: &Path) -> Result<(), String> {
    for entry in walkdir::WalkDir::new(src).follow_links(false) {
        let entry = entry.map_err(|e| e.to_string())?;
        let rel = entry.path().strip_prefix(src).map_err(|e| e.to_string())?;
        let target = dest.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).map_err(|e| e.to_string())?;
        } else if entry.file_type().is_file() {
            std::fs::copy(entry.path(), &target)
                .map_err(|e| format!("{}: {e}", entry.path().display()))?;
        }
    }
    Ok(())
}

/// A digest of a folder's regular files (paths and contents, in path order).
pub(crate) fn dir_digest(dir: &Path) -> Result<String, String> {
    let mut hasher = Sha256::new();
    let walker = walkdir::WalkDir::new(dir)
        .follow_links(false)
        .sort_by_file_name();
    for entry in walker {
        let entry = entry.map_err(|e| e.to_string())?;
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = entry.path().strip_prefix(dir).map_err(|e| e.to_string())?;
        let data =
            std::fs::read(entry.path()).map_err(|e| format!("{}: {e}", entry.path().display()))?;
        hasher.update(rel.to_string_lossy().as_bytes());
        hasher.update([0]);
        hasher.update((data.len() as u64).to_le_bytes());
        hasher.update(&data);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// Rewrites `version:` in `<chart_root>/Chart.yaml`.
pub(crate) fn set_chart_version(chart_root: &Path, version: &str) -> Result<(), String> {
    let mut chart = chart_yaml_from_dir(chart_root)?;
    let Some(map) = chart.as_object_mut() else {
        return Err("Chart.yaml is not a map".to_string());
    };
    map.insert("version".to_string(), Value::String(version.to_string()));
    let path = chart_root.join("Chart.yaml");
    std::fs::write(&path, crate::yaml::to_yaml(&chart))
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// `version` with its build metadata replaced, as Masterminds `SetMetadata` does.
pub(crate) fn with_metadata(version: &str, metadata: &str) -> String {
    let base = version.split_once('+').map_or(version, |(b, _)| b);
    format!("{base}+{metadata}")
}

/// Deep-merges `files` (relative to `base`) in order, as source-controller does for valuesFiles.
pub(crate) fn merge_values_files(
    base: &Path,
    files: &[String],
    ignore_missing: bool,
) -> Result<Value, String> {
    let mut merged = Map::new();
    for file in files {
        // source-controller's mergeFileValues: SecureJoin (`..` stops at the root), and the
        // result must be a regular file of the artifact.
        let Some(path) = crate::workspace::artifact_path(base, file) else {
            return Err(no_values_file(file));
        };
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.is_file() => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && ignore_missing => continue,
            _ => return Err(no_values_file(file)),
        }
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && ignore_missing => continue,
            Err(e) => return Err(format!("values file '{file}': {e}")),
        };
        match crate::yaml::parse_one(&text).map_err(|e| format!("values file '{file}': {e}"))? {
            Value::Object(m) => merged = merge_maps(merged, &m),
            Value::Null => {}
            _ => return Err(format!("values file '{file}' is not a map")),
        }
    }
    Ok(Value::Object(merged))
}

/// source-controller's message for a values file that is missing or not a regular file.
fn no_values_file(file: &str) -> String {
    let joined = Path::new("/").join(crate::workspace::secure_join(file));
    format!(
        "no values file found at path '{}' (reference '{file}')",
        joined.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_replaces_existing() {
        assert_eq!(with_metadata("1.2.3", "abc"), "1.2.3+abc");
        assert_eq!(with_metadata("1.2.3+old", "1"), "1.2.3+1");
    }

    #[test]
    fn values_files_merge_in_order() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.yaml"), "x: {a: 1, b: 1}\n").unwrap();
        std::fs::write(dir.path().join("b.yaml"), "x: {b: 2}\n").unwrap();
        let v =
            merge_values_files(dir.path(), &["a.yaml".into(), "./b.yaml".into()], false).unwrap();
        assert_eq!(v, serde_json::json!({"x":{"a":1,"b":2}}));
        assert!(merge_values_files(dir.path(), &["c.yaml".into()], false).is_err());
        assert!(merge_values_files(dir.path(), &["c.yaml".into()], true).is_ok());
        // `..` stops at the root, as SecureJoin does: ../c.yaml is the missing c.yaml.
        assert!(merge_values_files(dir.path(), &["../c.yaml".into()], true).is_ok());
        assert!(merge_values_files(dir.path(), &["../a.yaml".into()], false).is_ok());
    }
}
