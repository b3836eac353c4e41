//! The GitHub Action's main step (scripts/action/run.sh) end to end: the real fluxsim, kustomize
//! and helm diff two clusters of a git repository, and comments go to a fake GitHub API.

mod common;
mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use support::github_api::GithubApi;

/// A git repository with two clusters: `home/` (fixture four-roots) and `lab/` (substitution).
fn two_cluster_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    common::copy_dir(&common::fixture("four-roots"), &dir.path().join("home"));
    common::copy_dir(&common::fixture("substitution"), &dir.path().join("lab"));
    common::git(dir.path(), &["init", "-q", "-b", "main"]);
    common::git(dir.path(), &["add", "-A"]);
    common::git(dir.path(), &["commit", "-qm", "base"]);
    dir
}

struct Run {
    out: Output,
    summary: String,
    outputs: String,
}

fn run_action(api: &GithubApi, repo: &Path, cache: &Path, env: &[(&str, &str)]) -> Run {
    let files = tempfile::tempdir().expect("temp dir");
    let summary = files.path().join("summary.md");
    let outputs = files.path().join("outputs");
    let mut cmd = Command::new("bash");
    cmd.arg(common::manifest_dir().join("scripts/action/run.sh"))
        .current_dir(repo)
        .env_clear()
        .env("PATH", common::tool_path())
        .env("HOME", cache.join("home"))
        .env("FLUXSIM", assert_cmd::cargo::cargo_bin("fluxsim"))
        .env("FLUXSIM_CACHE_DIR", cache.join("fluxsim"))
        .env("FLUXSIM_NO_PROGRESS", "true")
        .env("INPUT_CLUSTERS", "home=home/cluster\nlab = lab/cluster")
        .env("INPUT_BASE", "main")
        .env("INPUT_COMMENT", "true")
        .env("GITHUB_API_URL", &api.url)
        .env("GITHUB_REPOSITORY", "owner/repo")
        .env("GITHUB_TOKEN", &api.token)
        .env("FLUXSIM_PR", "7")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_OUTPUT", &outputs);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run bash");
    Run {
        out,
        summary: std::fs::read_to_string(&summary).unwrap_or_default(),
        outputs: std::fs::read_to_string(&outputs).unwrap_or_default(),
    }
}

fn text(out: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn a_change_comments_on_its_cluster_and_a_later_clean_run_says_no_changes() {
    let repo = two_cluster_repo();
    let cache = tempfile::tempdir().expect("temp dir");
    let api = GithubApi::start();
    common::edit(
        repo.path(),
        "home/settings/cluster-settings.yaml",
        "CLUSTER_DOMAIN: home.arpa",
        "CLUSTER_DOMAIN: home.lan",
    );

    let first = run_action(&api, repo.path(), cache.path(), &[]);
    assert!(first.out.status.success(), "{}", text(&first.out));
    assert!(
        first.outputs.contains("changed=true\n"),
        "{}",
        first.outputs
    );
    assert!(
        first.outputs.contains("changed-clusters=home\n"),
        "{}",
        first.outputs
    );
    let comments = api.comments();
    assert_eq!(comments.len(), 1, "lab has no changes: {comments:?}");
    let body = &comments[0].body;
    assert!(
        body.starts_with("<!-- fluxsim-diff cluster=home -->\n## fluxsim diff: `home`\n"),
        "{body}"
    );
    assert!(body.contains("home.lan"), "{body}");
    assert!(
        first.summary.contains("## fluxsim diff: `home`"),
        "{}",
        first.summary
    );
    assert!(
        first
            .summary
            .contains("## fluxsim diff: `lab`\n\nNo changes."),
        "{}",
        first.summary
    );
    assert!(!first.summary.contains("<!--"), "{}", first.summary);

    common::git(repo.path(), &["checkout", "-q", "--", "."]);
    let second = run_action(&api, repo.path(), cache.path(), &[]);
    assert!(second.out.status.success(), "{}", text(&second.out));
    assert!(
        second.outputs.contains("changed=false\n"),
        "{}",
        second.outputs
    );
    let comments = api.comments();
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert!(
        comments[0].body.contains("No changes."),
        "{}",
        comments[0].body
    );
}

#[test]
fn a_fork_pull_request_gets_public_only_network_and_no_comment() {
    let repo = two_cluster_repo();
    let cache = tempfile::tempdir().expect("temp dir");
    let api = GithubApi::start();
    let event = cache.path().join("event.json");
    let payload = serde_json::json!({"pull_request": {
        "number": 7,
        "head": {"repo": {"full_name": "someone/fork"}},
        "base": {"repo": {"full_name": "owner/repo"}},
    }});
    std::fs::write(&event, payload.to_string()).expect("write event");
    let event: PathBuf = event;
    let run = run_action(
        &api,
        repo.path(),
        cache.path(),
        &[
            ("GITHUB_EVENT_PATH", event.to_str().expect("utf-8 path")),
            ("INPUT_COMMENT", "auto"),
        ],
    );
    let all = text(&run.out);
    assert!(all.contains(" --network public-only"), "{all}");
    assert!(api.requests().is_empty(), "{:?}", api.requests());
}

#[test]
fn a_setup_error_fails_the_step_and_says_which_cluster() {
    let repo = two_cluster_repo();
    let cache = tempfile::tempdir().expect("temp dir");
    let api = GithubApi::start();
    let run = run_action(
        &api,
        repo.path(),
        cache.path(),
        &[
            ("INPUT_CLUSTERS", "home=home/cluster"),
            ("INPUT_BASE", "no-such-rev"),
        ],
    );
    assert_eq!(run.out.status.code(), Some(1), "{}", text(&run.out));
    let stderr = String::from_utf8_lossy(&run.out.stderr);
    assert!(
        stderr.contains("::error title=fluxsim diff home::fluxsim exited with 2"),
        "{stderr}"
    );
    assert!(
        run.summary.contains("fluxsim could not diff this cluster"),
        "{}",
        run.summary
    );
    assert!(api.comments().is_empty());
}
