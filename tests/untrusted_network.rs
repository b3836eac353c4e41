//! A pull request's chart sources are untrusted: servers that hang, stream without end, redirect
//! forever or into a cloud metadata service must end the HelmRelease with a clear error, quickly,
//! and `--network public-only` must keep fluxsim off local addresses. Every server here runs on
//! 127.0.0.1 (testdata/repos/untrusted-network, `http://CHART-SERVER/` replaced per test).

mod common;
mod support;

use common::{copy_dir, fixture, fluxsim_online, run};
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};
use support::chart_repo::ChartRepo;
use support::hostile::{HUGE, HangingServer, HostileServer};

/// Per-request timeout given to fluxsim in these tests (`FLUXSIM_TEST_NETWORK_TIMEOUT`, seconds;
/// fluxsim's own default is 30).
fn network_timeout() -> f64 {
    std::env::var("FLUXSIM_TEST_NETWORK_TIMEOUT")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2.0)
}

/// The fixture, with its HelmRepository pointing at `url`.
fn repo_for(url: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_dir(&fixture("untrusted-network"), dir.path());
    common::edit(
        dir.path(),
        "apps/helmrepository.yaml",
        "http://CHART-SERVER/",
        url,
    );
    dir
}

struct Outcome {
    code: i32,
    /// The HelmRelease's row of `get hr -o json`.
    release: Value,
    stderr: String,
    took: Duration,
}

fn get_hr(repo: &Path, extra: &[&str]) -> Outcome {
    let cache = tempfile::tempdir().expect("temp dir");
    let mut cmd = fluxsim_online(cache.path());
    cmd.args(["get", "hr", "-o", "json", "--path"])
        .arg(repo.join("cluster"))
        .arg("--network-timeout")
        .arg(network_timeout().to_string())
        .args(extra);
    let started = Instant::now();
    let out = run(&mut cmd);
    let took = started.elapsed();
    let rows: Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", out.stdout, out.stderr));
    let release: Value = rows
        .as_array()
        .and_then(|r| r.iter().find(|r| r["name"] == "web"))
        .cloned()
        .unwrap_or_else(|| panic!("no HelmRelease web in {rows}"));
    eprintln!("{:?}: {release}", extra);
    Outcome {
        code: out.code,
        release,
        stderr: out.stderr,
        took,
    }
}

fn message(o: &Outcome) -> String {
    o.release.to_string()
}

#[test]
fn a_server_that_never_answers_times_out() {
    let server = HangingServer::start();
    let repo = repo_for(&server.url);
    let o = get_hr(repo.path(), &[]);
    let limit = network_timeout();
    eprintln!(
        "hanging server: {:?} with --network-timeout {limit}",
        o.took
    );
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(
        message(&o).contains(&format!("index.yaml timed out after {limit}s")),
        "{}",
        message(&o)
    );
    // One request times out; everything else takes a few seconds at most.
    assert!(
        o.took < Duration::from_secs_f64(limit + 20.0),
        "took {:?}",
        o.took
    );
}

/// `served_at_most`: how much the server may have sent before fluxsim gave up.
fn assert_too_large(path: &str, served_at_most: u64) {
    let server = HostileServer::start();
    let repo = repo_for(&format!("{}{path}/", server.url));
    let o = get_hr(repo.path(), &[]);
    eprintln!(
        "{path}: {:?}, {} MiB served of {} MiB",
        o.took,
        server.served() >> 20,
        HUGE >> 20
    );
    assert_eq!(o.code, 1, "{}", o.stderr);
    let expected = format!(
        "index.yaml of {}{path}/index.yaml is larger than 64 MiB",
        server.url
    );
    assert!(message(&o).contains(&expected), "{}", message(&o));
    assert!(
        server.served() <= served_at_most,
        "{} bytes served",
        server.served()
    );
}

#[test]
fn a_2_gib_index_is_refused_by_its_length() {
    // Refused on the Content-Length: little more than what fills the socket buffers is sent.
    assert_too_large("huge", 16 << 20);
}

#[test]
fn a_2_gib_index_without_a_length_stops_at_the_limit() {
    // Read in chunks up to the 64 MiB limit, plus what was in flight.
    assert_too_large("stream", 80 << 20);
}

#[test]
fn a_redirect_loop_is_bounded() {
    let server = HostileServer::start();
    let repo = repo_for(&format!("{}loop/", server.url));
    let o = get_hr(repo.path(), &[]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(
        message(&o).contains("more than 10 redirects"),
        "{}",
        message(&o)
    );
    // The first request and ten redirects: the eleventh hop is never made.
    assert!(server.requests() <= 11, "{} requests", server.requests());
}

#[test]
fn a_redirect_to_the_metadata_address_is_refused() {
    let server = HostileServer::start();
    let repo = repo_for(&format!("{}metadata/", server.url));
    for policy in ["any", "public-only"] {
        let o = get_hr(repo.path(), &["--network", policy]);
        assert_eq!(o.code, 1, "{}", o.stderr);
        let text = message(&o);
        if policy == "any" {
            assert!(
                text.contains(
                    "refusing 169.254.169.254 (link-local or cloud metadata address): never allowed"
                ),
                "{text}"
            );
        } else {
            // public-only refuses the 127.0.0.1 server itself, before any redirect.
            assert!(text.contains("refusing 127.0.0.1"), "{text}");
        }
    }
}

#[test]
fn public_only_refuses_a_local_chart_server() {
    let charts = ChartRepo::start(&[(&support::charts_dir().join("webapp"), None)]);
    let repo = repo_for(&charts.url);
    let allowed = get_hr(repo.path(), &[]);
    assert_eq!(
        allowed.release["status"],
        "rendered",
        "{}",
        message(&allowed)
    );
    let served = charts.requests();
    let o = get_hr(repo.path(), &["--network", "public-only"]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(
        message(&o).contains(
            "refusing 127.0.0.1 (loopback address) under --network public-only (--network any allows it)"
        ),
        "{}",
        message(&o)
    );
    assert_eq!(charts.requests(), served, "no request reached the server");
}

#[test]
fn network_offline_is_offline() {
    let charts = ChartRepo::start(&[(&support::charts_dir().join("webapp"), None)]);
    let repo = repo_for(&charts.url);
    for flag in [&["--network", "offline"][..], &["--offline"][..]] {
        let o = get_hr(repo.path(), flag);
        assert_eq!(
            o.release["status"],
            "unavailable",
            "{flag:?}: {}",
            message(&o)
        );
    }
    assert_eq!(charts.requests(), 0);
}

#[test]
fn oci_registries_go_through_the_same_guard() {
    let registry = support::oci_registry::OciRegistry::start(true);
    let out = tempfile::tempdir().expect("temp dir");
    let tgz = support::package_chart(&support::charts_dir().join("webapp"), out.path(), None);
    let tgz = std::fs::read(tgz).expect("chart archive");
    registry.push_chart("charts/webapp", "1.2.3", &tgz, "webapp", "1.2.3");
    let repo = repo_for("CHART-SERVER");
    let oci = format!("type: oci\n  url: {}/charts", registry.url());
    common::edit(
        repo.path(),
        "apps/helmrepository.yaml",
        "url: CHART-SERVER",
        &oci,
    );
    let allowed = get_hr(repo.path(), &[]);
    assert_eq!(
        allowed.release["status"],
        "rendered",
        "{}",
        message(&allowed)
    );
    let served = registry.requests();
    let o = get_hr(repo.path(), &["--network", "public-only"]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(
        message(&o).contains("refusing 127.0.0.1 (loopback address) under --network public-only"),
        "{}",
        message(&o)
    );
    assert_eq!(
        registry.requests(),
        served,
        "no request reached the registry"
    );
}

/// `get ks -o json` row of Kustomization `apps`.
fn apps_ks(repo: &Path, extra: &[&str]) -> (i32, Value) {
    let cache = tempfile::tempdir().expect("temp dir");
    let mut cmd = fluxsim_online(cache.path());
    cmd.args(["get", "ks", "-o", "json", "--path"])
        .arg(repo.join("cluster"))
        .args(extra);
    let out = run(&mut cmd);
    let rows: Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", out.stdout, out.stderr));
    let row = rows
        .as_array()
        .and_then(|r| r.iter().find(|r| r["name"] == "apps"))
        .cloned()
        .unwrap_or_else(|| panic!("no Kustomization apps in {rows}"));
    (out.code, row)
}

#[test]
fn remote_kustomize_resources_are_checked_before_kustomize_runs() {
    let repo = repo_for("http://CHART-SERVER/");
    let with_remote = |remote: &str| {
        let text = format!("resources: [configmap.yaml, {remote:?}]\n");
        std::fs::write(repo.path().join("apps/kustomization.yaml"), text).expect("write");
    };
    // Only refusals are run here: nothing may reach kustomize's own fetch.
    let cases = [
        (
            "https://169.254.169.254/latest/x.yaml",
            "any",
            "is fetched by kustomize from 169.254.169.254: refusing 169.254.169.254 (link-local or cloud metadata address)",
        ),
        (
            "http://127.0.0.1:9/org/repo//deploy?ref=main",
            "public-only",
            "is fetched by kustomize from 127.0.0.1: refusing 127.0.0.1 (loopback address) under --network public-only",
        ),
        (
            "github.com/org/repo//deploy?ref=v1",
            "offline",
            "is fetched by kustomize: no network under --network offline",
        ),
    ];
    for (remote, policy, expected) in cases {
        with_remote(remote);
        let (code, row) = apps_ks(repo.path(), &["--network", policy]);
        assert_eq!(code, 1, "{row}");
        assert_eq!(row["status"], "failed", "{row}");
        let message = row["message"].as_str().unwrap_or_default();
        assert!(message.contains(expected), "{policy}: {message}");
        assert!(
            message.starts_with(&format!("resources entry {remote:?} in apps")),
            "{message}"
        );
    }
}
