//! Composition over whole repositories: the `artifact-generator` fixture (file by file) and
//! Flux's own example repository in the shared corpus (every ExternalArtifact Kustomization
//! finds its `spec.path`).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::*;

/// Every object of the YAML files directly in `dir`.
fn objects_in(dir: &Path) -> Vec<Value> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .flat_map(|p| crate::yaml::parse_documents(&fs::read_to_string(p).unwrap()).unwrap())
        .collect()
}

/// Composes the cluster folder's ArtifactGenerators with `sources` and checks that every
/// Kustomization with an ExternalArtifact source finds its path; returns the artifacts by name.
fn compose_cluster(
    cluster: &Path,
    sources: &BTreeMap<String, SourceTree>,
    dest: &Path,
) -> BTreeMap<String, ComposedArtifact> {
    let objects = objects_in(cluster);
    let mut artifacts = BTreeMap::new();
    for g in objects
        .iter()
        .filter(|o| crate::object::kind(o) == "ArtifactGenerator")
    {
        let generator = Generator::from_object(g).unwrap();
        let out = compose(
            &generator,
            &|id: &SourceId| sources.get(&id.name),
            &dest.join(&generator.name),
        )
        .unwrap();
        for a in out {
            artifacts.insert(format!("{}/{}", a.namespace, a.name), a);
        }
    }
    let mut checked = 0;
    for ks in objects
        .iter()
        .filter(|o| crate::object::kind(o) == "Kustomization")
    {
        if ks.pointer("/spec/sourceRef/kind").and_then(Value::as_str)
            != Some(EXTERNAL_ARTIFACT_KIND)
        {
            continue;
        }
        let ns = ks
            .pointer("/spec/sourceRef/namespace")
            .and_then(Value::as_str)
            .unwrap_or_else(|| crate::object::namespace(ks).unwrap());
        let name = ks
            .pointer("/spec/sourceRef/name")
            .and_then(Value::as_str)
            .unwrap();
        let artifact = artifacts
            .get(&format!("{ns}/{name}"))
            .unwrap_or_else(|| panic!("no ExternalArtifact {ns}/{name}"));
        let path = ks
            .pointer("/spec/path")
            .and_then(Value::as_str)
            .unwrap()
            .trim_start_matches("./");
        assert!(
            artifact.tree.dirs.contains(&PathBuf::from(path)),
            "Kustomization {} path {path} is not in ExternalArtifact {ns}/{name}",
            crate::object::name(ks)
        );
        checked += 1;
    }
    assert!(
        checked > 0,
        "no ExternalArtifact Kustomization in {}",
        cluster.display()
    );
    artifacts
}

fn names(tree: &SourceTree) -> Vec<String> {
    tree.files
        .iter()
        .map(|f| f.to_string_lossy().into_owned())
        .collect()
}

#[test]
fn fixture_artifacts_are_composed_file_by_file() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/repos/artifact-generator");
    let sources = BTreeMap::from([
        ("flux-system".to_string(), SourceTree::scan(&root).unwrap()),
        (
            "shared-config".to_string(),
            SourceTree::scan(&root.join("shared-config")).unwrap(),
        ),
    ]);
    let dest = tempfile::tempdir().unwrap();
    let a = compose_cluster(&root.join("cluster"), &sources, dest.path());
    let infra = &a["flux-system/infrastructure"];
    assert_eq!(
        names(&infra.tree),
        vec![
            "configs/issuer.yaml",
            "configs/kustomization.yaml",
            "controllers/deployment.yaml",
            "controllers/kustomization.yaml",
            "controllers/namespace.yaml"
        ]
    );
    assert_eq!(infra.origin_revision.as_deref(), Some("@monorepo"));
    let apps = &a["flux-system/apps"];
    assert_eq!(
        names(&apps.tree),
        vec![
            "base/podinfo/deployment.yaml",
            "base/podinfo/kustomization.yaml",
            "base/podinfo/namespace.yaml",
            "production/kustomization.yaml",
            "production/values.yaml"
        ]
    );
    let values = fs::read_to_string(apps.tree.root.join("production/values.yaml")).unwrap();
    assert_eq!(
        values,
        "ingress:\n  host: podinfo.example.com\nreplicas: 1\nui:\n  color: \"#34577c\"\n  message: from shared-config\n"
    );
    let same = fs::read(root.join("apps/base/podinfo/deployment.yaml")).unwrap();
    assert_eq!(
        fs::read(apps.tree.root.join("base/podinfo/deployment.yaml")).unwrap(),
        same
    );
}
