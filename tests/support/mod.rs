//! Test-support servers and helpers, bound to 127.0.0.1 on ephemeral ports and stopped on drop.
//! Use from an integration test with `mod support;`.
#![allow(dead_code)]

pub mod chart_repo;
pub mod github_api;
pub mod hostile;
pub mod https_repo;
pub mod oci_registry;

use std::path::{Path, PathBuf};

/// The real helm used by tests: `$FLUXSIM_HELM`, else the project's `.tools/bin/helm`, else `helm`.
pub fn helm_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("FLUXSIM_HELM") {
        return PathBuf::from(p);
    }
    let local = Path::new(env!("CARGO_MANIFEST_DIR")).join(".tools/bin/helm");
    if local.is_file() {
        local
    } else {
        PathBuf::from("helm")
    }
}

/// A `helm` command whose home folders live in a throwaway folder (never the user's).
pub fn helm_command(home: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(helm_bin());
    cmd.env("HELM_CACHE_HOME", home.join("cache"))
        .env("HELM_CONFIG_HOME", home.join("config"))
        .env("HELM_DATA_HOME", home.join("data"));
    cmd
}

/// `helm package <chart> -d <out> [--version v]`; returns the archive path.
pub fn package_chart(chart: &Path, out: &Path, version: Option<&str>) -> PathBuf {
    let mut cmd = helm_command(out);
    cmd.arg("package").arg(chart).arg("-d").arg(out);
    if let Some(v) = version {
        cmd.args(["--version", v]);
    }
    let output = cmd.output().expect("run helm package");
    assert!(
        output.status.success(),
        "helm package failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    // "Successfully packaged chart and saved it to: /path/x.tgz"
    let path = stdout
        .trim()
        .rsplit(": ")
        .next()
        .expect("helm package prints the archive path");
    PathBuf::from(path)
}

/// The folder with the test charts.
pub fn charts_dir() -> PathBuf {
    match std::env::var_os("FLUXSIM_TESTDATA") {
        Some(p) => PathBuf::from(p).join("charts"),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/charts"),
    }
}
