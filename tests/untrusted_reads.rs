//! A pull request is untrusted: it must not make fluxsim read files outside the source, as Flux's
//! secure file system refuses them (testdata/repos/untrusted-reads). Each case names a "host
//! secret" outside the copy of the fixture, directly, with `../`, or through a symlink; the
//! Kustomization fails with Flux's message, the file's content is in no output, the rest renders.

mod common;

use common::{copy_dir, fixture, fluxsim, run};
use serde_json::Value;
use std::os::unix::fs::symlink;
use std::path::Path;

const SECRET: &str = "host-secret-7f3a9c";

/// The fixture copied to `<tmp>/repo`, with a host secret in `<tmp>/host` and the symlinks.
fn hostile_copy(tmp: &Path) -> std::path::PathBuf {
    let repo = tmp.join("repo");
    copy_dir(&fixture("untrusted-reads"), &repo);
    let host = tmp.join("host");
    std::fs::create_dir_all(host.join("chart/templates")).unwrap();
    std::fs::write(host.join("secret.txt"), format!("token={SECRET}\n")).unwrap();
    std::fs::write(
        host.join("kustomization.yaml"),
        format!("configMapGenerator:\n  - name: k\n    literals: [v={SECRET}]\n"),
    )
    .unwrap();
    std::fs::write(host.join("values.yaml"), format!("greeting: {SECRET}\n")).unwrap();
    std::fs::write(
        host.join("chart/Chart.yaml"),
        format!("apiVersion: v2\nname: linked\nversion: 1.0.0\ndescription: {SECRET}\n"),
    )
    .unwrap();
    std::fs::write(
        host.join("chart/templates/cm.yaml"),
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: leak\ndata:\n  v: {SECRET}\n"),
    )
    .unwrap();
    symlink(host.join("secret.txt"), repo.join("link-file/secret.txt")).unwrap();
    symlink(
        host.join("kustomization.yaml"),
        repo.join("link-kustomization/kustomization.yaml"),
    )
    .unwrap();
    symlink(&host, repo.join("link-path")).unwrap();
    symlink(
        host.join("values.yaml"),
        repo.join("charts/local/linked.yaml"),
    )
    .unwrap();
    symlink(host.join("chart"), repo.join("charts/linked")).unwrap();
    // A key file next to the repository, named with `../` from a generator.
    std::fs::write(tmp.join("age.key"), format!("AGE-SECRET-KEY-{SECRET}\n")).unwrap();
    std::fs::create_dir_all(repo.join("key-file")).unwrap();
    std::fs::write(
        repo.join("key-file/kustomization.yaml"),
        "secretGenerator:\n  - name: key\n    namespace: default\n    files: [../../age.key]\n",
    )
    .unwrap();
    let ks = std::fs::read_to_string(repo.join("cluster/ks.yaml")).unwrap();
    let extra = ks
        .split("---")
        .find(|d| d.contains("name: fine"))
        .unwrap()
        .replace("fine", "key-file");
    std::fs::write(repo.join("cluster/ks.yaml"), format!("{ks}---{extra}")).unwrap();
    repo
}

fn owners(stdout: &str) -> Vec<Value> {
    let report: Value = serde_json::from_str(stdout).expect("validate JSON");
    report["entries"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| panic!("no entries in {report}"))
}

#[test]
fn reads_outside_the_source_fail_with_fluxs_message_and_leak_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = hostile_copy(tmp.path());
    let cache = tmp.path().join("cache");

    let mut validate = fluxsim(&cache);
    validate
        .args(["validate", "-o", "json", "--path"])
        .arg(repo.join("cluster"));
    let out = run(&mut validate);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(!out.stdout.contains(SECRET), "{}", out.stdout);
    assert!(!out.stderr.contains(SECRET), "{}", out.stderr);
    assert!(!out.stdout.contains("root:x:0:0"), "/etc/passwd leaked");
    let owners = owners(&out.stdout);
    let owner = |name: &str| -> &Value {
        owners
            .iter()
            .find(|o| o["owner"]["name"] == name)
            .unwrap_or_else(|| panic!("no owner {name} in {owners:?}"))
    };
    let escapes = [
        ("abs-environ", "'/proc/self/environ'"),
        ("parent-file", "'/etc/hostname'"),
        ("abs-resource", "'/etc/passwd'"),
        ("abs-patch", "'/etc/passwd'"),
        ("link-file", "host/secret.txt'"),
        ("link-kustomization", "host/kustomization.yaml'"),
        ("link-path", "host'"),
        ("key-file", "age.key'"),
    ];
    for (name, file) in escapes {
        let o = owner(name);
        let message = o.to_string();
        assert_eq!(o["status"], "failed", "{name}: {o}");
        assert!(message.contains("security; file '"), "{name}: {message}");
        assert!(message.contains(file), "{name}: {message}");
        assert!(message.contains("is not in or below"), "{name}: {message}");
    }
    assert_eq!(owner("fine")["status"], "passed", "{}", owner("fine"));
    assert_eq!(owner("inside")["status"], "passed", "{}", owner("inside"));
    for name in [
        "parent-chart",
        "parent-values",
        "linked-values",
        "linked-chart",
    ] {
        assert_eq!(owner(name)["status"], "failed", "{name}: {}", owner(name));
    }
    let values = owner("parent-values").to_string();
    assert!(
        values.contains("no values file found at path '/etc/passwd'"),
        "{values}"
    );

    // Nothing of the host files reaches rendered output either.
    let mut build = fluxsim(&cache);
    build.args(["build", "--path"]).arg(repo.join("cluster"));
    let out = run(&mut build);
    assert!(!out.stdout.contains(SECRET) && !out.stderr.contains(SECRET));
    assert!(out.stdout.contains("name: fine"), "{}", out.stdout);
}

/// A `file://` remote base is a git repository of this machine: refused before kustomize runs,
/// and kustomize itself (Landlock, where the kernel has it) could not read it either.
#[test]
fn file_remote_bases_are_outside_the_source() {
    let tmp = tempfile::tempdir().unwrap();
    let host = tmp.path().join("host-repo");
    std::fs::create_dir_all(host.join("base")).unwrap();
    std::fs::write(
        host.join("base/cm.yaml"),
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: h, namespace: default}}\ndata: {{v: {SECRET}}}\n"),
    )
    .unwrap();
    std::fs::write(
        host.join("base/kustomization.yaml"),
        "resources: [cm.yaml]\n",
    )
    .unwrap();
    common::git(&host, &["init", "-q", "-b", "main"]);
    common::git(&host, &["add", "-A"]);
    common::git(&host, &["commit", "-qm", "host"]);
    let repo = tmp.path().join("repo");
    std::fs::create_dir_all(repo.join("app")).unwrap();
    std::fs::create_dir_all(repo.join("cluster")).unwrap();
    std::fs::write(
        repo.join("app/kustomization.yaml"),
        format!("resources:\n  - file://{}//base?ref=main\n", host.display()),
    )
    .unwrap();
    std::fs::write(
        repo.join("cluster/ks.yaml"),
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: app, namespace: flux-system}\nspec: {interval: 1h, path: ./app, prune: true, sourceRef: {kind: GitRepository, name: flux-system}}\n",
    )
    .unwrap();
    let mut cmd = common::fluxsim_online(&tmp.path().join("cache"));
    cmd.args(["build", "--path"]).arg(repo.join("cluster"));
    let out = run(&mut cmd);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(!out.stdout.contains(SECRET) && !out.stderr.contains(SECRET));
    assert!(
        out.stderr.contains("security; file '") && out.stderr.contains("host-repo'"),
        "{}",
        out.stderr
    );
}
