//! The rendered cluster as files: a folder per Flux Kustomization, a file per object, and an
//! `index.yaml` tying them together. Byte-identical for identical inputs: nothing in it depends
//! on timing or scheduling, and secrets are redacted unless asked otherwise.

use crate::engine::KsNode;
use crate::flux::{NamespacedName, source_display};
use crate::object::{self, ObjectKey};
use crate::pipeline::Run;
use crate::redact::Redactor;
use crate::releases::HrNode;
use crate::yaml;
use serde_json::{Value, json};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// The objects of one owner, redacted (unless `show_secrets`), in build order.
pub fn owner_objects(run: &Run, node: &KsNode, show_secrets: bool) -> Vec<Value> {
    let Some(out) = node.outcome.output() else {
        return Vec::new();
    };
    out.objects
        .iter()
        .map(|o| {
            let mut o = o.clone();
            if show_secrets {
                Redactor::reveal(&mut o);
            } else {
                run.redactor.redact_object(&mut o);
            }
            o
        })
        .collect()
}

/// The objects of one HelmRelease, redacted unless `show_secrets`.
pub fn release_objects(run: &Run, hr: &HrNode, show_secrets: bool) -> Vec<Value> {
    hr.outcome
        .objects()
        .iter()
        .map(|o| {
            let mut o = o.clone();
            if show_secrets {
                Redactor::reveal(&mut o);
            } else {
                run.redactor.redact_object_with(&mut o, &hr.secret_values);
            }
            o
        })
        .collect()
}

/// The HelmReleases a Kustomization produced, by name.
pub fn releases_of<'a>(run: &'a Run, ks: &NamespacedName) -> impl Iterator<Item = &'a HrNode> {
    run.releases.values().filter(move |hr| &hr.parent == ks)
}

/// Kustomizations in output order (topological, then by name), with their nodes.
pub fn ordered(run: &Run) -> impl Iterator<Item = (&NamespacedName, &KsNode)> {
    run.analysis
        .order
        .iter()
        .filter_map(|id| run.render.kustomizations.get_key_value(id))
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

fn owner_dir(kind: &str, id: &NamespacedName) -> PathBuf {
    Path::new(kind)
        .join(sanitize(&id.namespace))
        .join(sanitize(&id.name))
}

/// Writes one owner's objects; returns their index entries.
fn write_objects(
    dir: &Path,
    rel_dir: &Path,
    objects: &[Value],
    files: &[Option<String>],
) -> io::Result<Vec<Value>> {
    if !objects.is_empty() {
        fs::create_dir_all(dir.join(rel_dir))?;
    }
    let mut listed = Vec::new();
    for (i, obj) in objects.iter().enumerate() {
        let rel = rel_dir.join(object_file_name(obj));
        fs::write(dir.join(&rel), yaml::to_yaml(obj))?;
        listed.push(json!({
            "file": rel.to_string_lossy(),
            "apiVersion": object::api_version(obj),
            "kind": object::kind(obj),
            "namespace": object::namespace(obj),
            "name": object::name(obj),
            "source": files.get(i).cloned().flatten(),
        }));
    }
    Ok(listed)
}

/// Writes the snapshot into `dir`. An existing folder is replaced only if it is empty or holds
/// a previous snapshot (an `index.yaml`), so a wrong `--output-dir` never destroys user files.
pub fn write(run: &Run, dir: &Path, show_secrets: bool) -> io::Result<usize> {
    prepare(dir)?;
    let mut entries = Vec::new();
    let mut releases = Vec::new();
    let mut count = 0;
    for (id, node) in ordered(run) {
        let objects = owner_objects(run, node, show_secrets);
        let files = node
            .outcome
            .output()
            .map(|o| o.files.clone())
            .unwrap_or_default();
        let listed = write_objects(dir, &owner_dir("ks", id), &objects, &files)?;
        count += listed.len();
        entries.push(index_entry(run, id, node, listed));
        for hr in releases_of(run, id) {
            let objects = release_objects(run, hr, show_secrets);
            let listed = write_objects(dir, &owner_dir("hr", &hr.id), &objects, &[])?;
            count += listed.len();
            let status = run.release_status.get(&hr.id);
            releases.push(json!({
                "name": hr.id.name,
                "namespace": hr.id.namespace,
                "kustomization": hr.parent.to_string(),
                "file": hr.file,
                "chart": hr.chart,
                "status": status.map(|s| s.label()),
                "message": status.map(|s| s.message()).filter(|m| !m.is_empty()),
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

fn index_entry(run: &Run, id: &NamespacedName, node: &KsNode, objects: Vec<Value>) -> Value {
    let status = run.analysis.status.get(id);
    json!({
        "name": id.name,
        "namespace": id.namespace,
        "path": node.ks.spec.path,
        "source": source_display(&node.ks.source()),
        "parent": node.parent.as_ref().map(|p| p.to_string()),
        "file": node.file,
        "dependsOn": node.ks.dependencies().iter().map(|d| d.to_string()).collect::<Vec<_>>(),
        "status": status.map(|s| s.label()),
        "message": status.map(|s| s.message()).filter(|m| !m.is_empty()),
        "synthetic": node.synthetic,
        "objects": objects,
    })
}

fn prepare(dir: &Path) -> io::Result<()> {
    if dir.exists() {
        let empty = fs::read_dir(dir)?.next().is_none();
        if !empty && !dir.join("index.yaml").is_file() {
            return Err(io::Error::other(format!(
                "{} is not empty and holds no fluxsim snapshot (index.yaml); refusing to overwrite it",
                dir.display()
            )));
        }
        for sub in ["ks", "hr"] {
            let p = dir.join(sub);
            if p.exists() {
                fs::remove_dir_all(p)?;
            }
        }
    }
    fs::create_dir_all(dir)
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
}
