//! Tests of the read set, on small folder trees in temporary directories.

use std::fs;
use std::path::{Path, PathBuf};

use super::*;

fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, content) in files {
        crate::testing::write(dir.path(), path, content);
    }
    dir
}

fn top(yaml: &str) -> Value {
    crate::yaml::parse_one(yaml).unwrap()
}

/// The read set as a build walks it: with what the artifact scan knows.
fn read_set(root: &Path, dir: &str, kustomization: &str) -> ReadSet {
    let tree = crate::workspace::SourceTree::scan(root).unwrap();
    let known = kustomize_read_set(root, Path::new(dir), &top(kustomization), &|p| tree.kind(p));
    let looked = kustomize_read_set(root, Path::new(dir), &top(kustomization), &|_| None);
    assert_eq!(known, looked, "the scan changes nothing but the stat calls");
    known
}

fn paths(list: &[&str]) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = list.iter().map(PathBuf::from).collect();
    out.sort();
    out
}

fn assert_incomplete(set: &ReadSet, needle: &str) {
    assert!(!set.complete, "expected incomplete: {set:?}");
    assert!(
        set.reasons.iter().any(|r| r.contains(needle)),
        "no reason mentions {needle:?}: {:?}",
        set.reasons
    );
}

/// A tree where every file field of a kustomization names a file.
const EVERY_FIELD_TREE: &[(&str, &str)] = &[
    ("apps/web/deploy.yaml", "kind: Deployment"),
    ("apps/web/conf/a.conf", "a"),
    ("apps/web/b.conf", "b"),
    ("apps/web/env.txt", "X=1"),
    ("apps/web/legacy.env", "Y=1"),
    ("apps/web/secret.txt", "s"),
    ("apps/web/p.yaml", "patch"),
    ("apps/web/psm.yaml", "patch"),
    ("apps/web/j.yaml", "[]"),
    ("apps/web/r.yaml", "[]"),
    ("apps/web/cfg.yaml", "nameReference: []"),
    ("apps/web/crd.yaml", "kind: CustomResourceDefinition"),
    ("apps/web/schema.json", "{}"),
    (
        "apps/web/t.yaml",
        "apiVersion: builtin\nkind: PatchTransformer\nmetadata: {name: t}\npath: tp.yaml\n\
             ---\napiVersion: builtin\nkind: LabelTransformer\nmetadata: {name: l}\n",
    ),
    ("apps/web/tp.yaml", "patch"),
    (
        "apps/web/gen/g.yaml",
        "apiVersion: builtin\nkind: ConfigMapGenerator\nmetadata: {name: g}\nfiles: [k=gen.txt]\n",
    ),
    ("apps/web/gen.txt", "g"),
    ("apps/web/inline.txt", "i"),
    ("apps/unused.yaml", "kind: ConfigMap"),
    (
        "base/x/kustomization.yaml",
        "resources: [svc.yaml]\nbases: [../y]\n",
    ),
    ("base/x/svc.yaml", "kind: Service"),
    ("base/x/unused.yaml", "kind: Service"),
    ("base/y/Kustomization", "resources: [cm.yaml]\n"),
    ("base/y/cm.yaml", "kind: ConfigMap"),
    (
        "components/c/kustomization.yml",
        "kind: Component\npatches: [{path: cp.yaml}]\n",
    ),
    ("components/c/cp.yaml", "patch"),
];

/// The kustomization of `apps/web` in [`EVERY_FIELD_TREE`], one entry per file field.
const EVERY_FIELD_KUSTOMIZATION: &str = r#"
resources: [deploy.yaml, ../../base/x]
components: [../../components/c]
configMapGenerator:
  - name: c
    files: [cfg=conf/a.conf, b.conf]
    envs: [env.txt]
    literals: [A=B]
secretGenerator:
  - name: s
    env: legacy.env
    files: [secret.txt]
patches:
  - path: p.yaml
  - patch: |
      - op: add
patchesStrategicMerge:
  - psm.yaml
  - |
    apiVersion: v1
    kind: ConfigMap
patchesJson6902: [{path: j.yaml, target: {kind: X}}]
replacements: [{path: r.yaml}, {source: {kind: X}}]
configurations: [cfg.yaml]
crds: [crd.yaml]
openapi: {path: schema.json}
transformers:
  - t.yaml
  - |
    apiVersion: builtin
    kind: ConfigMapGenerator
    metadata: {name: inline}
    files: [inline.txt]
generators: [gen/g.yaml]
"#;

#[test]
fn every_file_field_is_followed() {
    let dir = tree(EVERY_FIELD_TREE);
    let set = read_set(dir.path(), "apps/web", EVERY_FIELD_KUSTOMIZATION);
    assert!(set.complete, "{:?}", set.reasons);
    let expected = paths(&[
        "apps/web/deploy.yaml",
        "apps/web/conf/a.conf",
        "apps/web/b.conf",
        "apps/web/env.txt",
        "apps/web/legacy.env",
        "apps/web/secret.txt",
        "apps/web/p.yaml",
        "apps/web/psm.yaml",
        "apps/web/j.yaml",
        "apps/web/r.yaml",
        "apps/web/cfg.yaml",
        "apps/web/crd.yaml",
        "apps/web/schema.json",
        "apps/web/t.yaml",
        "apps/web/tp.yaml",
        "apps/web/gen/g.yaml",
        // Resolved against the kustomization, not against gen/.
        "apps/web/gen.txt",
        "apps/web/inline.txt",
        "base/x/kustomization.yaml",
        "base/x/svc.yaml",
        "base/y/Kustomization",
        "base/y/cm.yaml",
        "components/c/kustomization.yml",
        "components/c/cp.yaml",
    ]);
    assert_eq!(set.files, expected);
}

#[test]
fn shared_base_is_listed_once() {
    let dir = tree(&[
        ("a/kustomization.yaml", "resources: [../base]\n"),
        ("b/kustomization.yaml", "resources: [../base]\n"),
        ("base/kustomization.yaml", "resources: [cm.yaml]\n"),
        ("base/cm.yaml", "kind: ConfigMap"),
    ]);
    let set = read_set(dir.path(), "./", "resources: [a, b, ./a/../base/cm.yaml]\n");
    assert!(set.complete, "{:?}", set.reasons);
    assert_eq!(
        set.files,
        paths(&[
            "a/kustomization.yaml",
            "b/kustomization.yaml",
            "base/kustomization.yaml",
            "base/cm.yaml"
        ])
    );
}

#[test]
fn top_kustomization_is_taken_from_the_caller() {
    let dir = tree(&[
        ("app/kustomization.yaml", "resources: [on-disk.yaml]\n"),
        ("app/given.yaml", "kind: ConfigMap"),
    ]);
    let set = read_set(dir.path(), "app", "resources: [given.yaml]\n");
    assert!(set.complete, "{:?}", set.reasons);
    assert_eq!(set.files, paths(&["app/given.yaml"]));
}

#[test]
fn remote_resources_are_incomplete() {
    let dir = tree(&[("app/cm.yaml", "kind: ConfigMap")]);
    for remote in [
        "https://github.com/org/repo//deploy?ref=v1",
        "github.com/org/repo/deploy?ref=v1",
        "git@github.com:org/repo.git",
        "https://example.com/manifest.yaml",
    ] {
        let set = read_set(
            dir.path(),
            "app",
            &format!("resources: [cm.yaml, {remote:?}]\n"),
        );
        assert_incomplete(&set, "is remote");
        assert_eq!(set.files, paths(&["app/cm.yaml"]));
        // Listed for the network policy, with where it is written.
        assert_eq!(set.remote.len(), 1);
        assert_eq!(set.remote[0].entry, remote);
        assert!(set.remote[0].at.contains("app"), "{}", set.remote[0].at);
    }
}

#[test]
fn missing_paths_are_incomplete() {
    let dir = tree(&[("app/cm.yaml", "kind: ConfigMap")]);
    let set = read_set(dir.path(), "app", "resources: [cm.yaml, gone.yaml]\n");
    assert_incomplete(&set, "does not exist");
    let set = read_set(
        dir.path(),
        "app",
        "configMapGenerator: [{name: x, files: [k=gone.txt]}]\n",
    );
    assert_incomplete(&set, "gone.txt");
    let set = read_set(dir.path(), "app", "patchesStrategicMerge: [gone.yaml]\n");
    assert_incomplete(&set, "neither a file nor inline");
    let set = read_set(dir.path(), "nowhere", "resources: []\n");
    assert_incomplete(&set, "not a folder");
}

#[test]
fn folders_need_exactly_one_kustomization_file() {
    let dir = tree(&[
        ("app/plain/cm.yaml", "kind: ConfigMap"),
        ("app/two/kustomization.yaml", "resources: []\n"),
        ("app/two/kustomization.yml", "resources: []\n"),
    ]);
    let set = read_set(dir.path(), "app", "resources: [plain]\n");
    assert_incomplete(&set, "no kustomization file");
    let set = read_set(dir.path(), "app", "resources: [two]\n");
    assert_incomplete(&set, "several kustomization files");
}

#[test]
fn leaving_the_root_is_an_escape() {
    let dir = tree(&[("app/cm.yaml", "kind: ConfigMap")]);
    let set = read_set(dir.path(), "app", "resources: [../../outside.yaml]\n");
    assert!(!set.complete);
    assert_eq!(set.escapes.len(), 1, "{set:?}");
    assert_eq!(
        set.escapes[0].file,
        dir.path().parent().unwrap().join("outside.yaml")
    );
    let set = read_set(dir.path(), "app", "resources: [/etc/hosts]\n");
    assert_eq!(set.escapes[0].file, std::path::PathBuf::from("/etc/hosts"));
    assert!(set.escapes[0].at.contains("resources entry"), "{set:?}");
    let set = read_set(dir.path(), "app", "patchesStrategicMerge: [/etc/hosts]\n");
    assert_eq!(set.escapes.len(), 1, "{set:?}");
    let set = read_set(dir.path(), "../app", "resources: []\n");
    assert_incomplete(&set, "not a folder inside the root");
}

#[test]
fn helm_and_external_plugins_are_incomplete() {
    let dir = tree(&[
        (
            "app/exec.yaml",
            "apiVersion: someteam.example.com/v1\nkind: SedTransformer\nmetadata: {name: s}\n",
        ),
        ("app/sub/kustomization.yaml", "resources: []\n"),
    ]);
    let set = read_set(
        dir.path(),
        "app",
        "helmCharts: [{name: x, repo: 'https://charts.example.com'}]\n",
    );
    assert_incomplete(&set, "needs helm");
    let set = read_set(dir.path(), "app", "transformers: [exec.yaml]\n");
    assert_incomplete(&set, "non-builtin plugin");
    assert_eq!(set.files, paths(&["app/exec.yaml"]));
    let set = read_set(
        dir.path(),
        "app",
        "generators:\n- |\n  apiVersion: builtin\n  kind: HelmChartInflationGenerator\n  metadata: {name: h}\n",
    );
    assert_incomplete(&set, "HelmChartInflationGenerator");
    let set = read_set(dir.path(), "app", "validators: [sub]\n");
    assert_incomplete(&set, "kustomization folder");
}

#[test]
fn cycles_terminate_and_are_incomplete() {
    let dir = tree(&[
        ("a/kustomization.yaml", "resources: [../b]\n"),
        ("b/kustomization.yaml", "resources: [../a]\n"),
    ]);
    let set = read_set(dir.path(), "a", "resources: [../b]\n");
    assert_incomplete(&set, "cycle");
}

#[test]
fn malformed_fields_are_incomplete() {
    let dir = tree(&[("app/cm.yaml", "kind: ConfigMap"), ("app/a=b", "x")]);
    let set = read_set(dir.path(), "app", "resources: cm.yaml\n");
    assert_incomplete(&set, "not a list");
    let set = read_set(
        dir.path(),
        "app",
        "configMapGenerator: [{name: x, files: ['k=a=b']}]\n",
    );
    assert_incomplete(&set, "malformed");
    let set = kustomize_read_set(dir.path(), Path::new("app"), &Value::Null, &|_| None);
    assert_incomplete(&set, "not a mapping");
    let set = read_set(dir.path(), "app", "resources: [cm.yaml]\nhelmCharts: []\n");
    assert!(set.complete, "{:?}", set.reasons);
}

/// The real kustomize: `$FLUXSIM_KUSTOMIZE`, else the project's `.tools/bin/kustomize`.
fn kustomize() -> PathBuf {
    std::env::var_os("FLUXSIM_KUSTOMIZE")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".tools/bin/kustomize"))
}

fn build(root: &Path, dir: &str) -> (bool, Vec<u8>) {
    let output = std::process::Command::new(kustomize())
        .args(["build", "--load-restrictor", "LoadRestrictionsNone"])
        .arg(root.join(dir))
        .output()
        .expect("run kustomize");
    (output.status.success(), output.stdout)
}

/// Removing any file outside the read set leaves the real build unchanged; removing any file in
/// it changes the build or makes it fail.
#[test]
fn agrees_with_real_kustomize() {
    let deployment =
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, labels: {app: web}}\n";
    let dir = tree(&[
        (
            "app/kustomization.yaml",
            "resources: [deploy.yaml, ../base]\ncomponents: [../comp]\n\
             configMapGenerator: [{name: c, files: [key=conf/a.conf]}]\n\
             patches: [{path: p.yaml}]\npatchesStrategicMerge: [psm.yaml]\n\
             transformers: [tr/t.yaml]\n",
        ),
        ("app/deploy.yaml", deployment),
        ("app/conf/a.conf", "a"),
        ("app/conf/unused.conf", "u"),
        (
            "app/p.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {replicas: 2}\n",
        ),
        (
            "app/psm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: base, labels: {p: s}}\n",
        ),
        (
            "app/tr/t.yaml",
            "apiVersion: builtin\nkind: PatchTransformer\nmetadata: {name: t}\npath: tp.yaml\n\
             target: {kind: Deployment}\n",
        ),
        (
            "app/tp.yaml",
            "- {op: add, path: /metadata/labels/tp, value: app}\n",
        ),
        (
            "app/tr/tp.yaml",
            "- {op: add, path: /metadata/labels/tp, value: tr}\n",
        ),
        ("app/unused.yaml", deployment),
        ("base/kustomization.yaml", "resources: [cm.yaml]\n"),
        (
            "base/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: base}\n",
        ),
        (
            "base/unused.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: unused}\n",
        ),
        (
            "comp/kustomization.yaml",
            "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources: [extra.yaml]\n",
        ),
        (
            "comp/extra.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra}\n",
        ),
    ]);
    let root = dir.path();
    let text = fs::read_to_string(root.join("app/kustomization.yaml")).unwrap();
    let set = read_set(root, "app", &text);
    assert!(set.complete, "{:?}", set.reasons);
    let (ok, baseline) = build(root, "app");
    assert!(ok, "baseline build failed");
    let aside = root.join("aside");
    for entry in walk(root) {
        if entry == Path::new("app/kustomization.yaml") {
            continue;
        }
        fs::rename(root.join(&entry), &aside).unwrap();
        let (ok, output) = build(root, "app");
        fs::rename(&aside, root.join(&entry)).unwrap();
        let changed = !ok || output != baseline;
        assert_eq!(
            changed,
            set.files.contains(&entry),
            "removing {} (in read set: {})",
            entry.display(),
            set.files.contains(&entry)
        );
    }
}

/// Every file under `root`, relative to it.
fn walk(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(rel) = pending.pop() {
        for item in fs::read_dir(root.join(&rel)).unwrap() {
            let item = item.unwrap();
            let path = rel.join(item.file_name());
            if item.file_type().unwrap().is_dir() {
                pending.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}
