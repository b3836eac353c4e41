//! The GitHub Action's sticky-comment script (scripts/action/comment.sh, real bash, curl and jq)
//! against a fake of the GitHub REST API on 127.0.0.1.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use support::github_api::GithubApi;

const PR: &str = "42";

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/action/comment.sh")
}

/// fluxsim's markdown for a diff with changes (the shape `fluxsim diff -o markdown` prints).
fn changed_md(detail: &str) -> String {
    format!(
        "<!-- fluxsim-diff -->\n## fluxsim diff\n\n1 owner with changes: {detail}\n\n\
         | Owner | Change | Added | Changed | Removed | Notes |\n"
    )
}

const NO_CHANGES_MD: &str = "<!-- fluxsim-diff -->\n## fluxsim diff\n\nNo changes.\n";

/// Runs comment.sh for `cluster` with `body`; `env` adds or overrides variables.
fn run(api: &GithubApi, cluster: &str, body: &str, changed: bool, env: &[(&str, &str)]) -> Output {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("diff.md");
    std::fs::write(&file, body).expect("write body");
    let mut cmd = Command::new("bash");
    cmd.arg(script())
        .args(["--cluster", cluster, "--body"])
        .arg(&file)
        .args(["--changed", if changed { "true" } else { "false" }])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("GITHUB_API_URL", &api.url)
        .env("GITHUB_REPOSITORY", "owner/repo")
        .env("GITHUB_TOKEN", &api.token)
        .env("FLUXSIM_PR", PR);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run bash")
}

fn ok(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "comment.sh failed: {stderr}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn marker(cluster: &str) -> String {
    format!("<!-- fluxsim-diff cluster={cluster} -->")
}

#[test]
fn first_run_creates_one_comment_with_the_cluster_marker() {
    let api = GithubApi::start();
    let stdout = ok(&run(&api, "home", &changed_md("first"), true, &[]));
    assert!(stdout.contains("created the comment for home"), "{stdout}");
    let comments = api.comments();
    assert_eq!(comments.len(), 1);
    let body = &comments[0].body;
    assert!(
        body.starts_with(&format!("{}\n## fluxsim diff: `home`\n", marker("home"))),
        "{body}"
    );
    assert!(body.contains("1 owner with changes: first"), "{body}");
    assert!(
        !body.contains("<!-- fluxsim-diff -->"),
        "the generic marker stays: {body}"
    );
    let posts: Vec<_> = api
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect();
    assert_eq!(posts.len(), 1);
    assert_eq!(
        posts[0].url,
        format!("/repos/owner/repo/issues/{PR}/comments")
    );
}

#[test]
fn second_run_updates_the_same_comment() {
    let api = GithubApi::start();
    ok(&run(&api, "home", &changed_md("first"), true, &[]));
    let id = api.comments()[0].id;
    let stdout = ok(&run(&api, "home", &changed_md("second"), true, &[]));
    assert!(stdout.contains("updated the comment for home"), "{stdout}");
    let comments = api.comments();
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert_eq!(comments[0].id, id);
    assert!(comments[0].body.contains("second"));
    assert_eq!(api.count("POST"), 1);
    let patches: Vec<_> = api
        .requests()
        .into_iter()
        .filter(|r| r.method == "PATCH")
        .collect();
    assert_eq!(patches.len(), 1);
    assert_eq!(
        patches[0].url,
        format!("/repos/owner/repo/issues/comments/{id}")
    );
}

#[test]
fn two_clusters_get_two_comments_each_updated_on_its_own() {
    let api = GithubApi::start();
    ok(&run(&api, "home", &changed_md("home one"), true, &[]));
    ok(&run(
        &api,
        "clusters/prod",
        &changed_md("prod one"),
        true,
        &[],
    ));
    ok(&run(
        &api,
        "clusters/prod",
        &changed_md("prod two"),
        true,
        &[],
    ));
    let comments = api.comments();
    assert_eq!(comments.len(), 2, "{comments:?}");
    assert!(comments[0].body.starts_with(&marker("home")));
    assert!(comments[0].body.contains("home one"));
    assert!(comments[1].body.starts_with(&marker("clusters/prod")));
    assert!(comments[1].body.contains("prod two"));
}

#[test]
fn comments_of_other_tools_clusters_and_authors_are_left_alone() {
    let api = GithubApi::start();
    let others = [
        ("alice", "LGTM".to_string()),
        (
            api.bot.as_str(),
            "<!-- fluxsim-diff -->\n## fluxsim diff\n\nold, no cluster".into(),
        ),
        (
            api.bot.as_str(),
            format!("{}\nother cluster", marker("homelab")),
        ),
        (api.bot.as_str(), format!("see {} below", marker("home"))),
        (api.bot.as_str(), "<!-- other-tool -->\nplan".into()),
        ("mallory", format!("{}\nlooks like ours", marker("home"))),
    ];
    let ids: Vec<u64> = others.iter().map(|(a, b)| api.seed(a, b)).collect();
    let bot = api.bot.clone();
    ok(&run(
        &api,
        "home",
        &changed_md("mine"),
        true,
        &[("FLUXSIM_COMMENT_AUTHOR", &bot)],
    ));
    let comments = api.comments();
    assert_eq!(comments.len(), others.len() + 1, "{comments:?}");
    for ((author, body), id) in others.iter().zip(&ids) {
        let c = comments.iter().find(|c| c.id == *id).expect("still there");
        assert_eq!((&c.author.as_str(), &c.body), (author, body));
    }
    assert_eq!(api.count("PATCH") + api.count("DELETE"), 0);
    let mine = comments.last().expect("created");
    assert!(mine.body.starts_with(&marker("home")) && mine.author == api.bot);
}

#[test]
fn the_marker_is_found_on_a_later_page() {
    let api = GithubApi::start();
    for i in 0..130 {
        api.seed("alice", &format!("comment {i}"));
    }
    let target = api.seed(&api.bot.clone(), &format!("{}\nold", marker("home")));
    for i in 0..20 {
        api.seed("bob", &format!("later {i}"));
    }
    ok(&run(&api, "home", &changed_md("new"), true, &[]));
    assert_eq!(api.count("POST"), 0, "created a second comment");
    let c = api
        .comments()
        .into_iter()
        .find(|c| c.id == target)
        .expect("target");
    assert!(c.body.contains("new"), "{}", c.body);
    let pages: Vec<String> = api
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET")
        .map(|r| r.url)
        .collect();
    assert_eq!(pages.len(), 2, "{pages:?}");
    assert!(pages[1].ends_with("page=2"), "{pages:?}");
}

#[test]
fn no_changes_posts_nothing_new_but_updates_an_earlier_comment() {
    let api = GithubApi::start();
    let stdout = ok(&run(&api, "home", NO_CHANGES_MD, false, &[]));
    assert!(stdout.contains("nothing posted"), "{stdout}");
    assert!(api.comments().is_empty());
    ok(&run(&api, "home", &changed_md("some"), true, &[]));
    ok(&run(&api, "home", NO_CHANGES_MD, false, &[]));
    let comments = api.comments();
    assert_eq!(comments.len(), 1);
    assert!(
        comments[0].body.ends_with("No changes.\n"),
        "{}",
        comments[0].body
    );
}

#[test]
fn an_api_error_fails_with_the_request_status_and_message() {
    let api = GithubApi::start();
    api.fail("POST", 403, "Resource not accessible by integration");
    let out = run(&api, "home", &changed_md("x"), true, &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for part in [
        "::error",
        &format!("POST /repos/owner/repo/issues/{PR}/comments"),
        "HTTP 403",
        "Resource not accessible by integration",
        "pull-requests: write",
    ] {
        assert!(stderr.contains(part), "no {part:?} in {stderr}");
    }
}

#[test]
fn a_bad_token_and_an_unreachable_api_are_errors_too() {
    let api = GithubApi::start();
    let out = run(
        &api,
        "home",
        &changed_md("x"),
        true,
        &[("GITHUB_TOKEN", "wrong")],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("HTTP 401: Bad credentials"), "{stderr}");

    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let url = format!("http://127.0.0.1:{closed}");
    let out = run(
        &api,
        "home",
        &changed_md("x"),
        true,
        &[("GITHUB_API_URL", &url)],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("GitHub API GET /repos/owner/repo/issues/42/comments"),
        "{stderr}"
    );
}

#[test]
fn a_body_over_githubs_limit_is_refused_before_any_request() {
    let api = GithubApi::start();
    let body = changed_md("big") + &"x".repeat(70_000);
    let out = run(&api, "home", &body, true, &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("GitHub allows 65536"), "{stderr}");
    assert!(api.requests().is_empty());
}
