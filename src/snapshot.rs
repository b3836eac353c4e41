//! The rendered cluster as files: a folder per Flux Kustomization, a file per object, and an
//! `index.yaml` tying them together. Byte-identical for identical inputs: nothing in it depends
//! on timing or scheduling, and secrets are redacted unless asked otherwise.
//!
//! Object and owner names come from the repository, so they never name a path: every
//! component is escaped (`/`, `..`). A folder is replaced only when it holds a previous snapshot,
//! told by a marker file only fluxsim writes, and replaced whole: the snapshot is written into a
//! sibling folder and renamed over the old one, so a killed run leaves the previous snapshot (or
//! none), never a mix.

use crate::flux::source_display;
use crate::model::{ObjectKey, OwnerId, OwnerKind, OwnerRecord, RenderedObject, SecretValue};
use crate::object;
use crate::pipeline::Run;
use crate::redact::Redactor;
use crate::yaml;
use serde_json::{Value, json};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

mod replace;
pub use replace::MARKER;

/// The objects of one owner, redacted (unless `show_secrets`), in render order. A HelmRelease's
/// objects also lose the values it read from Secrets, and a Kustomization's the values kustomize
/// read from decrypted files, wherever the chart or kustomize put them.
pub fn owner_objects(run: &Run, owner: &OwnerRecord, show_secrets: bool) -> Vec<Value> {
    let anywhere: Vec<SecretValue> = match owner.id.kind {
        OwnerKind::HelmRelease => owner.secrets.clone(),
        OwnerKind::Kustomization => owner
            .secrets
            .iter()
            .filter(|s| s.from_source_file() && crate::redact::distinctive(&s.value))
            .cloned()
            .collect(),
    };
    let redaction = run.redactor.for_owner(&owner.secrets, &anywhere);
    owner
        .values()
        .map(|o| {
            let mut o = o.clone();
            if show_secrets {
                Redactor::reveal(&mut o);
            } else {
                redaction.redact(&mut o);
            }
            o
        })
        .collect()
}

/// The HelmReleases a Kustomization produced, by name.
pub fn releases_of<'a>(run: &'a Run, ks: &OwnerId) -> impl Iterator<Item = &'a OwnerRecord> {
    let ks = ks.clone();
    run.cluster
        .releases()
        .filter(move |hr| hr.parent.as_ref() == Some(&ks))
}

/// Reported Kustomizations in output order (topological, then by name).
pub fn ordered(run: &Run) -> impl Iterator<Item = &OwnerRecord> {
    run.analysis
        .order
        .iter()
        .filter_map(|id| run.cluster.owners.get(id))
}

/// File name of an object inside its owner's folder.
pub fn object_file_name(obj: &Value) -> String {
    let k = ObjectKey::of(obj);
    let ns = if k.namespace.is_empty() {
        "_"
    } else {
        &k.namespace
    };
    let kind = if k.group.is_empty() {
        k.kind.clone()
    } else {
        format!("{}.{}", k.kind, k.group)
    };
    sanitize(&format!("{ns}__{kind}__{}.yaml", k.name))
}

fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c == '/' || c == '\\' || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect()
}

/// One path component that stays where it is put: [`sanitize`]d, `%` escaped so that escapes
/// cannot clash, and `.`, `..` and the empty name written as escapes.
fn component(s: &str) -> String {
    let s = sanitize(s).replace('%', "%25");
    match s.as_str() {
        "" => "%00".to_string(),
        "." | ".." => s.replace('.', "%2E"),
        _ => s,
    }
}

fn owner_dir(id: &OwnerId) -> PathBuf {
    Path::new(id.kind.short())
        .join(component(&id.namespace))
        .join(component(&id.name))
}

/// Writes one owner's objects; returns their index entries.
fn write_objects(
    dir: &Path,
    rel_dir: &Path,
    objects: &[Value],
    rendered: &[RenderedObject],
) -> io::Result<Vec<Value>> {
    if !objects.is_empty() {
        fs::create_dir_all(dir.join(rel_dir))?;
    }
    let mut listed = Vec::new();
    for (obj, r) in objects.iter().zip(rendered) {
        let rel = rel_dir.join(object_file_name(obj));
        fs::write(dir.join(&rel), yaml::to_yaml(obj))?;
        listed.push(json!({
            "file": rel.to_string_lossy(),
            "apiVersion": object::api_version(obj),
            "kind": object::kind(obj),
            "namespace": object::namespace(obj),
            "name": object::name(obj),
            "source": r.origin,
        }));
    }
    Ok(listed)
}

/// Writes the snapshot into `dir`. An existing folder is replaced only if it is empty or holds
/// a previous snapshot (see [`replace`]), so a wrong `--output-dir` never destroys user files.
pub fn write(run: &Run, dir: &Path, show_secrets: bool) -> io::Result<usize> {
    replace::write_atomically(dir, |staging| write_into(run, staging, show_secrets))
}

/// Writes the snapshot's files into the empty folder `dir`.
fn write_into(run: &Run, dir: &Path, show_secrets: bool) -> io::Result<usize> {
    let mut entries = Vec::new();
    let mut releases = Vec::new();
    let mut count = 0;
    for ks in ordered(run) {
        let objects = owner_objects(run, ks, show_secrets);
        let listed = write_objects(dir, &owner_dir(&ks.id), &objects, &ks.objects)?;
        count += listed.len();
        entries.push(index_entry(ks, listed));
        for hr in releases_of(run, &ks.id) {
            let objects = owner_objects(run, hr, show_secrets);
            let listed = write_objects(dir, &owner_dir(&hr.id), &objects, &hr.objects)?;
            count += listed.len();
            releases.push(json!({
                "name": hr.id.name,
                "namespace": hr.id.namespace,
                "kustomization": hr.parent.as_ref().map(|p| p.name().to_string()),
                "file": hr.file,
                "chart": hr.chart.as_ref().map(|c| c.requested.clone()).unwrap_or_default(),
                "status": hr.outcome.label(),
                "message": Some(hr.outcome.message()).filter(|m| !m.is_empty()),
                "objects": listed,
            }));
        }
    }
    let index = json!({
        "apiVersion": "fluxsim.dev/v1",
        "kind": "Snapshot",
        "root": {
            "name": run.discovery.root.id.name,
            "namespace": run.discovery.root.id.namespace,
            "path": run.discovery.sync_path.to_string_lossy(),
            "synthetic": run.discovery.synthetic,
        },
        "kustomizations": entries,
        "helmReleases": releases,
    });
    fs::write(dir.join("index.yaml"), yaml::to_yaml(&index))?;
    Ok(count)
}

fn index_entry(ks: &OwnerRecord, objects: Vec<Value>) -> Value {
    let spec = ks.kustomization.as_ref();
    json!({
        "name": ks.id.name,
        "namespace": ks.id.namespace,
        "path": spec.and_then(|k| k.spec.path.clone()),
        "source": spec.map(|k| source_display(&k.source())),
        "parent": ks.parent.as_ref().map(|p| p.name().to_string()),
        "file": ks.file,
        "dependsOn": spec.map(|k| k.dependencies().iter().map(|d| d.to_string()).collect::<Vec<_>>()).unwrap_or_default(),
        "status": ks.outcome.label(),
        "message": Some(ks.outcome.message()).filter(|m| !m.is_empty()),
        "synthetic": ks.synthetic,
        "objects": objects,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_flat_and_safe() {
        let o = json!({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"a.b","namespace":"n"}});
        assert_eq!(object_file_name(&o), "n__Deployment.apps__a.b.yaml");
        let c = json!({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"x/y"}});
        assert_eq!(object_file_name(&c), "___Namespace__x_y.yaml");
    }

    #[test]
    fn owner_folders_never_leave_the_snapshot() {
        use crate::model::NamespacedName;
        for (ns, name) in [
            ("..", ".."),
            (".", "x"),
            ("", "/etc"),
            ("a/../..", "%2E%2E"),
        ] {
            let id = OwnerId::ks(&NamespacedName {
                namespace: ns.into(),
                name: name.into(),
            });
            let dir = owner_dir(&id);
            let parts: Vec<_> = dir.components().collect();
            assert_eq!(parts.len(), 3, "{ns:?}/{name:?} -> {}", dir.display());
            assert!(
                parts
                    .iter()
                    .all(|c| matches!(c, std::path::Component::Normal(_))),
                "{ns:?}/{name:?} -> {}",
                dir.display()
            );
        }
        let id = |ns: &str, name: &str| {
            owner_dir(&OwnerId::ks(&NamespacedName {
                namespace: ns.into(),
                name: name.into(),
            }))
        };
        assert_eq!(id("..", ".."), Path::new("ks/%2E%2E/%2E%2E"));
        assert_ne!(id("..", "a"), id("%2E%2E", "a"));
        assert_eq!(id("flux-system", "apps"), Path::new("ks/flux-system/apps"));
    }
}
