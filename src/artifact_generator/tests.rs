//! Composition tests: each copy rule of source-watcher, checked file by file on small trees.

use std::collections::BTreeMap;
use std::fs;

use super::*;
use crate::testing::write;
use crate::yaml::parse_one;

/// Source trees by name, each in its own temporary folder.
struct Sources {
    _dirs: Vec<tempfile::TempDir>,
    trees: BTreeMap<String, SourceTree>,
}

fn sources(spec: &[(&str, &[(&str, &str)])]) -> Sources {
    let mut dirs = Vec::new();
    let mut trees = BTreeMap::new();
    for (name, files) in spec {
        let d = tempfile::tempdir().unwrap();
        for (p, c) in *files {
            write(d.path(), p, c);
        }
        trees.insert(name.to_string(), SourceTree::scan(d.path()).unwrap());
        dirs.push(d);
    }
    Sources { _dirs: dirs, trees }
}

/// A generator in `apps` over GitRepository sources `a` (alias `a`) and `b` (alias `b`).
fn generator(copy: &str) -> Generator {
    let text = format!(
        "apiVersion: source.extensions.fluxcd.io/v1beta1\nkind: ArtifactGenerator\n\
         metadata: {{name: gen, namespace: apps}}\nspec:\n  sources:\n\
         \x20   - {{alias: a, kind: GitRepository, name: a}}\n\
         \x20   - {{alias: b, kind: OCIRepository, name: b}}\n\
         \x20 artifacts:\n    - name: out\n      copy:\n{copy}"
    );
    Generator::from_object(&parse_one(&text).unwrap()).unwrap()
}

/// Composes and returns `path → content` of the single artifact.
fn run(src: &Sources, copy: &str) -> Result<BTreeMap<String, String>, GeneratorError> {
    let dest = tempfile::tempdir().unwrap();
    let g = generator(copy);
    let out = compose(&g, &|id: &SourceId| src.trees.get(&id.name), dest.path())?;
    assert_eq!(out.len(), 1);
    Ok(contents(&out[0].tree))
}

fn contents(tree: &SourceTree) -> BTreeMap<String, String> {
    tree.files
        .iter()
        .map(|f| {
            let text = fs::read_to_string(tree.root.join(f)).unwrap_or_else(|_| "<binary>".into());
            (f.to_string_lossy().into_owned(), text)
        })
        .collect()
}

fn files(m: &BTreeMap<String, String>) -> Vec<&str> {
    m.keys().map(String::as_str).collect()
}

fn err(src: &Sources, copy: &str) -> String {
    run(src, copy).unwrap_err().to_string()
}

fn op(from: &str, to: &str) -> String {
    format!("        - {{from: \"{from}\", to: \"{to}\"}}\n")
}

fn monorepo() -> Sources {
    sources(&[
        (
            "a",
            &[
                ("deploy/app.yaml", "app"),
                ("deploy/README.md", "doc"),
                ("deploy/sub/db.yaml", "db"),
                ("deploy/testdata/t.yaml", "t"),
                ("deploy/charts/c.yaml", "c"),
                ("config.yaml", "cfg"),
                ("configs/x.yaml", "x"),
                ("configs/y.json", "y"),
            ],
        ),
        ("b", &[("values.yaml", "replicas: 1\nimage: {tag: '1'}\n")]),
    ])
}

#[test]
fn dir_double_star_strips_the_prefix_and_copies_recursively() {
    let m = run(&monorepo(), &op("@a/deploy/**", "@artifact/dest/")).unwrap();
    assert_eq!(
        files(&m),
        vec![
            "dest/README.md",
            "dest/app.yaml",
            "dest/charts/c.yaml",
            "dest/sub/db.yaml",
            "dest/testdata/t.yaml"
        ]
    );
}

#[test]
fn other_globs_keep_the_matched_path() {
    let m = run(&monorepo(), &op("@a/configs/*.yaml", "@artifact/apps/")).unwrap();
    assert_eq!(files(&m), vec!["apps/configs/x.yaml"]);
    // `**` is Go's `*`: one level, so only files directly in a first-level folder.
    let m = run(&monorepo(), &op("@a/**/*.yaml", "@artifact/")).unwrap();
    assert_eq!(files(&m), vec!["configs/x.yaml", "deploy/app.yaml"]);
}

#[test]
fn single_files_follow_cp() {
    let src = monorepo();
    let m = run(&src, &op("@a/config.yaml", "@artifact/apps/app.yaml")).unwrap();
    assert_eq!(files(&m), vec!["apps/app.yaml"]);
    let m = run(&src, &op("@a/config.yaml", "@artifact/apps/")).unwrap();
    assert_eq!(files(&m), vec!["apps/config.yaml"]);
    // Without a trailing slash, an existing folder receives the file.
    let two = format!(
        "{}{}",
        op("@a/configs/", "@artifact/"),
        op("@a/config.yaml", "@artifact/configs")
    );
    let m = run(&src, &two).unwrap();
    assert_eq!(
        files(&m),
        vec!["configs/config.yaml", "configs/x.yaml", "configs/y.json"]
    );
}

#[test]
fn folders_are_copied_as_subfolders_and_the_root_as_content() {
    let src = monorepo();
    let m = run(&src, &op("@a/configs", "@artifact/dest")).unwrap();
    assert_eq!(
        files(&m),
        vec!["dest/configs/x.yaml", "dest/configs/y.json"]
    );
    let m = run(&src, &op("@b/", "@artifact/")).unwrap();
    assert_eq!(files(&m), vec!["values.yaml"]);
}

#[test]
fn later_copies_overwrite_earlier_ones() {
    let src = sources(&[
        (
            "a",
            &[("config/app.yaml", "a-app"), ("config/db.yaml", "a-db")],
        ),
        (
            "b",
            &[("config/app.yaml", "b-app"), ("config/net.yaml", "b-net")],
        ),
    ]);
    let m = run(
        &src,
        &format!("{}{}", op("@a/**", "@artifact/"), op("@b/**", "@artifact/")),
    )
    .unwrap();
    assert_eq!(m["config/app.yaml"], "b-app");
    assert_eq!(m["config/db.yaml"], "a-db");
    assert_eq!(m["config/net.yaml"], "b-net");
}

#[test]
fn excludes_match_names_root_paths_and_selection_relative_paths() {
    let src = monorepo();
    let copy = "        - from: \"@a/deploy/**\"\n          to: \"@artifact/\"\n          exclude: [\"*.md\", \"**/testdata/**\", \"charts/**\"]\n";
    let m = run(&src, copy).unwrap();
    assert_eq!(files(&m), vec!["app.yaml", "sub/db.yaml"]);
    // An excluded single file is skipped without error.
    let copy =
        "        - {from: \"@a/config.yaml\", to: \"@artifact/x.yaml\", exclude: [config.yaml]}\n";
    assert!(run(&src, copy).unwrap().is_empty());
}

#[test]
fn merge_strategy_merges_yaml_over_the_staged_file() {
    let src = sources(&[
        (
            "a",
            &[("values-prod.yaml", "image: {tag: '2'}\nextra: [1]\n")],
        ),
        (
            "b",
            &[(
                "chart/values.yaml",
                "replicas: 1\nimage: {repo: r, tag: '1'}\n",
            )],
        ),
    ]);
    let copy = format!(
        "{}        - {{from: \"@a/values-prod.yaml\", to: \"@artifact/chart/values.yaml\", strategy: Merge}}\n",
        op("@b/**", "@artifact/")
    );
    let m = run(&src, &copy).unwrap();
    assert_eq!(
        m["chart/values.yaml"],
        "extra:\n- 1\nimage:\n  repo: r\n  tag: \"2\"\nreplicas: 1\n"
    );
    // Merge onto nothing is a plain copy.
    let copy =
        "        - {from: \"@a/values-prod.yaml\", to: \"@artifact/v.yaml\", strategy: Merge}\n";
    assert_eq!(
        run(&src, copy).unwrap()["v.yaml"],
        "image: {tag: '2'}\nextra: [1]\n"
    );
}

fn tarball_source() -> (tempfile::TempDir, SourceTree) {
    let d = tempfile::tempdir().unwrap();
    let tgz = extract::tests::tarball(&[
        ("podinfo/Chart.yaml", "name: podinfo"),
        ("podinfo/logo.png", "png"),
    ]);
    fs::create_dir_all(d.path().join("charts")).unwrap();
    fs::write(d.path().join("charts/podinfo-6.7.0.tgz"), &tgz).unwrap();
    fs::write(d.path().join("charts/nested/other.tgz"), &tgz).unwrap_or_else(|_| {
        fs::create_dir_all(d.path().join("charts/nested")).unwrap();
        fs::write(d.path().join("charts/nested/other.tgz"), &tgz).unwrap();
    });
    fs::write(d.path().join("charts/notes.txt"), "n").unwrap();
    // The default ignore rules drop *.tgz from a scanned tree: list the files by hand, as a
    // source with its own .sourceignore would.
    let tree = SourceTree::scan(d.path()).unwrap();
    let mut tree = tree;
    tree.files = vec![
        "charts/nested/other.tgz".into(),
        "charts/notes.txt".into(),
        "charts/podinfo-6.7.0.tgz".into(),
    ];
    (d, tree)
}

fn run_tree(tree: &SourceTree, copy: &str) -> Result<BTreeMap<String, String>, GeneratorError> {
    let dest = tempfile::tempdir().unwrap();
    let g = generator(copy);
    let out = compose(&g, &|_: &SourceId| Some(tree), dest.path())?;
    Ok(contents(&out[0].tree))
}

#[test]
fn extract_strategy_unpacks_tarballs_and_skips_other_files() {
    let (_d, tree) = tarball_source();
    let copy = "        - {from: \"@a/charts/podinfo-6.7.0.tgz\", to: \"@artifact/\", strategy: Extract}\n";
    let m = run_tree(&tree, copy).unwrap();
    // logo.png is unpacked but the archiver's default ignore rules leave it out.
    assert_eq!(files(&m), vec!["podinfo/Chart.yaml"]);
    let copy = "        - {from: \"@a/**/*.tgz\", to: \"@artifact/x/\", strategy: Extract}\n";
    assert_eq!(
        files(&run_tree(&tree, copy).unwrap()),
        vec!["x/podinfo/Chart.yaml"]
    );
    let copy = "        - {from: \"@a/charts/notes.txt\", to: \"@artifact/\", strategy: Extract}\n";
    assert!(
        run_tree(&tree, copy)
            .unwrap_err()
            .to_string()
            .contains("requires tarball file")
    );
    let copy = "        - {from: \"@a/charts\", to: \"@artifact/\", strategy: Extract}\n";
    assert!(
        run_tree(&tree, copy)
            .unwrap_err()
            .to_string()
            .contains("not supported for directories")
    );
}

#[test]
fn error_cases_use_source_watcher_wording() {
    let src = monorepo();
    assert!(
        err(&src, &op("@a/*.txt", "@artifact/"))
            .contains("no files match pattern '*.txt' in source 'a'")
    );
    let all =
        "        - {from: \"@a/configs/*.yaml\", to: \"@artifact/\", exclude: [\"*.yaml\"]}\n";
    assert!(err(&src, all).contains("were excluded"));
    assert!(
        err(&src, &op("@a/nope.yaml", "@artifact/")).contains("source 'nope.yaml' does not exist")
    );
    assert!(err(&src, &op("@zz/x", "@artifact/")).contains("source alias 'zz' not found"));
    assert!(err(&src, &op("@a/[", "@artifact/")).contains("syntax error in pattern"));
    assert!(
        err(&src, &op("@a/config.yaml", "@artifact/../../etc/x"))
            .contains("within the artifact root")
    );
    let bad = "        - {from: \"@a/*.yaml\", to: \"@artifact/\", exclude: [\"[*.md\"]}\n";
    assert!(err(&src, bad).contains("invalid exclude pattern '[*.md'"));
    let e = err(&src, &op("@a/*.txt", "@artifact/"));
    assert!(e.contains("apps/gen") && e.contains("artifact out"), "{e}");
}

#[test]
fn optional_copies_tolerate_missing_sources() {
    let src = monorepo();
    let copy = "        - {from: \"@a/*.txt\", to: \"@artifact/\", optional: true}\n        - {from: \"@a/nope\", to: \"@artifact/\", optional: true}\n";
    assert!(run(&src, copy).unwrap().is_empty());
}

#[test]
fn only_the_source_artifact_files_are_read() {
    let src = sources(&[
        (
            "a",
            &[
                ("deploy/app.yaml", "app"),
                ("deploy/skip.yaml", "skip"),
                (".sourceignore", "deploy/skip.yaml\n"),
            ],
        ),
        ("b", &[]),
    ]);
    let m = run(&src, &op("@a/deploy/**", "@artifact/")).unwrap();
    assert_eq!(files(&m), vec!["app.yaml"]);
    // `..` in a pattern cannot reach outside the source.
    assert!(err(&src, &op("@a/../a/deploy/app.yaml", "@artifact/")).contains("does not exist"));
}

#[cfg(unix)]
#[test]
fn symlinks_out_of_the_source_are_not_followed() {
    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "secret.yaml", "s3cret");
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "deploy/app.yaml", "app");
    std::os::unix::fs::symlink(outside.path(), d.path().join("deploy/link")).unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("secret.yaml"),
        d.path().join("deploy/s.yaml"),
    )
    .unwrap();
    // Even a file list that names the links is refused: a symlinked file, and a real file
    // reached through a symlinked folder.
    for link in ["deploy/s.yaml", "deploy/link/secret.yaml"] {
        let mut tree = SourceTree::scan(d.path()).unwrap();
        tree.files.push(link.into());
        let e = run_tree(&tree, &op("@a/deploy/**", "@artifact/"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("leaves the source root"), "{link}: {e}");
    }
}

#[test]
fn unavailable_sources_and_disabled_generators() {
    let dest = tempfile::tempdir().unwrap();
    let g = generator(&op("@a/**", "@artifact/"));
    let e = compose(&g, &|_: &SourceId| None, dest.path()).unwrap_err();
    assert!(matches!(e, GeneratorError::SourceUnavailable { ref alias, .. } if alias == "a"));
    let mut g = g;
    g.disabled = true;
    assert!(
        compose(&g, &|_: &SourceId| None, dest.path())
            .unwrap()
            .is_empty()
    );
}
