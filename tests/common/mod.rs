//! Shared helpers for the integration tests: run the real `fluxsim` binary on fixture repos with
//! the project's pinned tools first on PATH, and make outputs stable for snapshots.
#![allow(dead_code)]

use assert_cmd::Command;
use std::path::{Path, PathBuf};

pub fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `testdata/repos/<name>`.
pub fn fixture(name: &str) -> PathBuf {
    manifest_dir().join("testdata/repos").join(name)
}

/// PATH with the project-local tools (scripts/install-tools.sh) first.
pub fn tool_path() -> std::ffi::OsString {
    let tools = manifest_dir().join(".tools/bin");
    let mut paths = vec![tools];
    if let Some(p) = std::env::var_os("PATH") {
        paths.extend(std::env::split_paths(&p));
    }
    std::env::join_paths(paths).expect("PATH entries are valid")
}

/// The fluxsim binary with a private cache folder, no progress bar and no colours.
pub fn fluxsim(cache: &Path) -> Command {
    let mut cmd = fluxsim_online(cache);
    // Tests never reach the internet: charts come from testdata or 127.0.0.1 servers.
    cmd.arg("--offline");
    cmd
}

/// [`fluxsim`] without `--offline`, for tests whose charts come from their own 127.0.0.1 servers.
pub fn fluxsim_online(cache: &Path) -> Command {
    let mut cmd = Command::cargo_bin("fluxsim").expect("the fluxsim binary is built");
    for (k, _) in std::env::vars() {
        if k.starts_with("FLUXSIM_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("PATH", tool_path())
        .env("FLUXSIM_REDACTION_KEY", "fluxsim-tests")
        // Tests look at every rendered object, CRDs and Secrets (their tokens) included; the
        // default filters are tested where [`with_default_filters`] removes these.
        .env("FLUXSIM_SKIP_CRDS", "false")
        .env("FLUXSIM_SKIP_SECRETS", "false")
        .env("NO_COLOR", "1")
        .env_remove("SOPS_AGE_KEY")
        .env_remove("SOPS_AGE_KEY_FILE")
        .env("XDG_CONFIG_HOME", cache.join("xdg-config"))
        .arg("--cache-dir")
        .arg(cache)
        .arg("--no-progress");
    cmd
}

/// `cmd` with fluxsim's default output filters (CRDs and Secrets left out of stdout), as users
/// run it.
pub fn with_default_filters(cmd: &mut Command) -> &mut Command {
    cmd.env_remove("FLUXSIM_SKIP_CRDS")
        .env_remove("FLUXSIM_SKIP_SECRETS")
}

pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("fluxsim runs");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).to_string(),
        stderr: String::from_utf8_lossy(&out.stderr).to_string(),
    }
}

/// Removes the run time from the summary line so it can be snapshotted.
pub fn stable_summary(stderr: &str) -> String {
    let re = regex::Regex::new(r"; [0-9]+\.[0-9]+s").expect("valid regex");
    re.replace_all(stderr, "; <time>").to_string()
}

/// Every file below `dir` with its content, sorted, for comparing snapshot folders.
pub fn read_tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e
                .path()
                .strip_prefix(dir)
                .unwrap_or(e.path())
                .to_string_lossy()
                .to_string();
            (rel, std::fs::read(e.path()).unwrap_or_default())
        })
        .collect();
    out.sort();
    out
}

/// A git repository holding a copy of testdata/example, committed on `main`.
pub fn example_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&manifest_dir().join("testdata/example"), dir.path());
    git(dir.path(), &["init", "-q", "-b", "main"]);
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "-qm", "base"]);
    dir
}

pub fn git(dir: &Path, args: &[&str]) {
    let ok = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.email=t@e",
            "-c",
            "user.name=t",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .status()
        .unwrap()
        .success();
    assert!(ok, "git {args:?}");
}

pub fn copy_dir(from: &Path, to: &Path) {
    for e in walkdir::WalkDir::new(from)
        .into_iter()
        .filter_map(Result::ok)
    {
        let rel = e.path().strip_prefix(from).unwrap();
        let dest = to.join(rel);
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

pub fn edit(repo: &Path, file: &str, from: &str, to: &str) {
    let p = repo.join(file);
    let text = std::fs::read_to_string(&p).unwrap();
    assert!(text.contains(from), "{file} lacks {from:?}");
    std::fs::write(&p, text.replacen(from, to, 1)).unwrap();
}
