//! scripts/action/install.sh against release files served on 127.0.0.1: archives of the real
//! fluxsim and kustomize binaries, laid out as GitHub releases and get.helm.sh lay them out.

mod common;

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

/// Serves `root` (nested paths, `%2F` decoded) until dropped.
struct Files {
    url: String,
    server: Arc<tiny_http::Server>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Files {
    fn serve(root: PathBuf) -> Files {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind"));
        let port = server.server_addr().to_ip().expect("ip").port();
        let s = server.clone();
        let thread = std::thread::spawn(move || {
            for req in s.incoming_requests() {
                let rel = req.url().trim_start_matches('/').replace("%2F", "/");
                let resp = match std::fs::read(root.join(&rel)) {
                    Ok(data) if !rel.contains("..") => tiny_http::Response::from_data(data),
                    _ => {
                        tiny_http::Response::from_data(b"not found".to_vec()).with_status_code(404)
                    }
                };
                let _ = req.respond(resp);
            }
        });
        Files {
            url: format!("http://127.0.0.1:{port}"),
            server,
            thread: Some(thread),
        }
    }
}

impl Drop for Files {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// `tar -czf OUT -C DIR NAMES…`
fn tar(out: &Path, dir: &Path, names: &[&str]) {
    let ok = Command::new("tar")
        .arg("-czf")
        .arg(out)
        .arg("-C")
        .arg(dir)
        .args(names)
        .status()
        .expect("run tar")
        .success();
    assert!(ok, "tar failed");
}

fn sha256(path: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(path).expect("read")))
}

const VERSION: &str = "9.8.7";
const TARGET: &str = "x86_64-unknown-linux-musl";

/// A release folder: `v9.8.7/fluxsim-9.8.7-<target>.tar.gz` + SHA256SUMS, and kustomize's
/// `kustomize/v5.8.1/kustomize_v5.8.1_linux_amd64.tar.gz`. Returns the tarballs' checksums.
fn releases(root: &Path) -> (String, String) {
    let name = format!("fluxsim-{VERSION}-{TARGET}");
    let stage = root.join("stage");
    std::fs::create_dir_all(stage.join(&name)).expect("mkdir");
    std::fs::copy(
        assert_cmd::cargo::cargo_bin("fluxsim"),
        stage.join(&name).join("fluxsim"),
    )
    .expect("copy fluxsim");
    let rel = root.join(format!("v{VERSION}"));
    std::fs::create_dir_all(&rel).expect("mkdir");
    let tgz = rel.join(format!("{name}.tar.gz"));
    tar(&tgz, &stage, &[&name]);
    let fluxsim_sum = sha256(&tgz);
    std::fs::write(
        rel.join("SHA256SUMS"),
        format!("{fluxsim_sum}  {name}.tar.gz\n"),
    )
    .expect("sums");

    let kustomize = common::manifest_dir().join(".tools/bin/kustomize");
    std::fs::copy(&kustomize, stage.join("kustomize")).expect("copy kustomize");
    let kdir = root.join("kustomize/v5.8.1");
    std::fs::create_dir_all(&kdir).expect("mkdir");
    let ktgz = kdir.join("kustomize_v5.8.1_linux_amd64.tar.gz");
    tar(&ktgz, &stage, &["kustomize"]);
    (fluxsim_sum, sha256(&ktgz))
}

fn install(files: &Files, dir: &Path, checksums: &Path, args: &[&str]) -> Output {
    Command::new("bash")
        .arg(common::manifest_dir().join("scripts/action/install.sh"))
        .arg("--dir")
        .arg(dir)
        .args(["--os", "linux", "--arch", "amd64"])
        .args(args)
        .env("FLUXSIM_RELEASES_URL", &files.url)
        .env("KUSTOMIZE_DOWNLOAD_URL", &files.url)
        .env("FLUXSIM_TOOL_CHECKSUMS", checksums)
        .output()
        .expect("run bash")
}

#[test]
fn installs_checked_archives_and_refuses_a_mismatch() {
    if !common::manifest_dir()
        .join(".tools/bin/kustomize")
        .is_file()
    {
        panic!("run scripts/install-tools.sh first: the test packs the pinned kustomize");
    }
    let root = tempfile::tempdir().expect("temp dir");
    let (_, kustomize_sum) = releases(root.path());
    let files = Files::serve(root.path().to_path_buf());
    let pins = root.path().join("pins.txt");
    std::fs::write(
        &pins,
        format!("# test\n{kustomize_sum}  kustomize_v5.8.1_linux_amd64.tar.gz\n"),
    )
    .expect("pins");

    let bin = root.path().join("bin");
    let out = install(
        &files,
        &bin,
        &pins,
        &["--fluxsim", VERSION, "--kustomize", "5.8.1"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(bin.join("fluxsim").is_file() && bin.join("kustomize").is_file());
    let version = Command::new(bin.join("fluxsim"))
        .arg("--version")
        .output()
        .expect("run");
    assert!(String::from_utf8_lossy(&version.stdout).starts_with("fluxsim "));

    let wrong = root.path().join("wrong.txt");
    std::fs::write(
        &wrong,
        format!("{}  kustomize_v5.8.1_linux_amd64.tar.gz\n", "0".repeat(64)),
    )
    .expect("pins");
    let other = root.path().join("other");
    let out = install(&files, &other, &wrong, &["--kustomize", "5.8.1"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("checksum mismatch for kustomize_v5.8.1_linux_amd64.tar.gz"),
        "{stderr}"
    );
    assert!(
        !other.join("kustomize").exists(),
        "installed despite the mismatch"
    );

    std::fs::write(root.path().join(format!("v{VERSION}/SHA256SUMS")), "").expect("sums");
    let out = install(
        &files,
        &root.path().join("third"),
        &pins,
        &["--fluxsim", VERSION],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("has no line for fluxsim-9.8.7-x86_64-unknown-linux-musl.tar.gz"),
        "{stderr}"
    );
}
