//! Charts over HTTPS: the rustls/ring stack verifies against the system's roots (SSL_CERT_FILE
//! here, so the test CA is the only one), and falls back to Mozilla's roots when the system
//! store is empty instead of refusing to build a client.

mod common;
mod support;

use std::path::Path;
use support::chart_repo::ChartRepo;
use support::https_repo::{HttpsRepo, tls_file};

/// A folder Flux syncs directly: a HelmRepository at `url` and a HelmRelease of chart `plain`.
fn flux_dir(dir: &Path, url: &str) {
    std::fs::write(
        dir.join("repository.yaml"),
        format!(
            "apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  \
             name: charts\n  namespace: flux-system\nspec:\n  interval: 1h\n  url: {url}\n"
        ),
    )
    .expect("write repository");
    std::fs::write(
        dir.join("release.yaml"),
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: web\n  \
         namespace: default\nspec:\n  interval: 1h\n  chart:\n    spec:\n      chart: plain\n      \
         version: 0.3.0\n      sourceRef:\n        kind: HelmRepository\n        name: charts\n        \
         namespace: flux-system\n",
    )
    .expect("write release");
}

/// `fluxsim get hr -o json` with SSL_CERT_FILE set: its stdout and stderr.
fn get_hr(dir: &Path, cert_file: &Path) -> String {
    let cache = tempfile::tempdir().expect("temp dir");
    // Not common::fluxsim: that one is --offline. The only server named is on 127.0.0.1.
    let out = assert_cmd::Command::cargo_bin("fluxsim")
        .expect("the fluxsim binary is built")
        .env("PATH", common::tool_path())
        .env("FLUXSIM_REDACTION_KEY", "fluxsim-tests")
        .env("NO_COLOR", "1")
        .args(["get", "hr", "-o", "json", "--no-progress", "--cache-dir"])
        .arg(cache.path())
        .arg("--path")
        .arg(dir)
        .env("SSL_CERT_FILE", cert_file)
        .env_remove("SSL_CERT_DIR")
        .output()
        .expect("run fluxsim");
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn https_chart_repository_with_system_roots_and_with_none() {
    // ChartRepo packages and indexes the chart; its folder is then served over TLS.
    let charts = ChartRepo::start(&[(&support::charts_dir().join("plain"), None)]);
    let https = HttpsRepo::serve(charts.dir.path().to_path_buf());
    let repo = tempfile::tempdir().expect("temp dir");
    flux_dir(repo.path(), &https.url);

    let trusted = get_hr(repo.path(), &tls_file("ca.pem"));
    assert!(trusted.contains("\"rendered\""), "{trusted}");
    assert!(trusted.contains("0.3.0"), "{trusted}");

    // An empty system store: Mozilla's roots are used, which do not know the test CA.
    let empty = repo.path().join("empty.pem");
    std::fs::write(&empty, "").expect("write");
    let untrusted = get_hr(repo.path(), &empty);
    assert!(!untrusted.contains("\"rendered\""), "{untrusted}");
    assert!(
        untrusted.contains("UnknownIssuer") || untrusted.contains("unknown issuer"),
        "{untrusted}"
    );
    assert!(!untrusted.contains("No CA certificates"), "{untrusted}");
}
