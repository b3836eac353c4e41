//! Records the git commit fluxsim is built from, for `fluxsim --version`, as `FLUXSIM_GIT_COMMIT`.
//!
//! Where it comes from, first found wins: the `FLUXSIM_GIT_COMMIT` environment variable (release
//! workflow, container build), `git` when the crate folder is the top of a git work tree, the
//! `.cargo_vcs_info.json` that `cargo package` writes into a crates.io tarball, and `COMMIT`,
//! which `git archive` fills in (`export-subst` in .gitattributes: GitHub's source tarballs).
//! Otherwise "unknown".

use std::path::Path;
use std::process::Command;

fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let dir = Path::new(&dir);
    println!("cargo:rerun-if-env-changed=FLUXSIM_GIT_COMMIT");
    println!("cargo:rerun-if-changed=COMMIT");
    let commit = std::env::var("FLUXSIM_GIT_COMMIT")
        .ok()
        .filter(|c| !c.trim().is_empty())
        .or_else(|| from_git(dir))
        .or_else(|| from_vcs_info(dir))
        .or_else(|| from_archive(dir))
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=FLUXSIM_GIT_COMMIT={}", commit.trim());
}

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// HEAD of the work tree whose top is this crate (not of some repository it was unpacked into).
fn from_git(dir: &Path) -> Option<String> {
    let top = git(dir, &["rev-parse", "--show-toplevel"])?;
    if Path::new(&top).canonicalize().ok()? != dir.canonicalize().ok()? {
        return None;
    }
    // Rebuild when HEAD moves: HEAD itself, the branch it names, and packed refs.
    for name in ["HEAD", "packed-refs"] {
        if let Some(p) = git(dir, &["rev-parse", "--git-path", name]) {
            println!("cargo:rerun-if-changed={}", dir.join(p).display());
        }
    }
    if let Some(branch) = git(dir, &["symbolic-ref", "-q", "HEAD"])
        && let Some(p) = git(dir, &["rev-parse", "--git-path", &branch])
    {
        println!("cargo:rerun-if-changed={}", dir.join(p).display());
    }
    // No "-dirty" mark: this script reruns only when HEAD moves, so the mark would go stale.
    git(dir, &["rev-parse", "HEAD"])
}

/// `{"git": {"sha1": "…"}}`, written by `cargo package`.
fn from_vcs_info(dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(dir.join(".cargo_vcs_info.json")).ok()?;
    let info: serde_json::Value = serde_json::from_str(&text).ok()?;
    info["git"]["sha1"].as_str().map(str::to_string)
}

/// `COMMIT` holds `$Format:%H$` after its comment lines, which `git archive` replaces with the
/// commit.
fn from_archive(dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(dir.join("COMMIT")).ok()?;
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))?;
    (!line.contains('$')).then(|| line.to_string())
}
