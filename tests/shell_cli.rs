//! `fluxsim --version`, `fluxsim completions` and `fluxsim man`, through the real binary.

mod common;

use assert_cmd::Command;
use std::path::Path;

fn fluxsim() -> Command {
    Command::cargo_bin("fluxsim").expect("the fluxsim binary is built")
}

fn stdout(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run fluxsim");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

#[test]
fn version_names_the_commit_and_the_tools_found_on_path() {
    let text = stdout(
        fluxsim()
            .arg("--version")
            .env_remove("FLUXSIM_KUSTOMIZE")
            .env_remove("FLUXSIM_HELM")
            .env("PATH", common::tool_path()),
    );
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    let first = format!("fluxsim {} (commit ", env!("CARGO_PKG_VERSION"));
    assert!(lines[0].starts_with(&first), "{text}");
    let commit = lines[0][first.len()..].trim_end_matches(')');
    assert!(
        commit == "unknown"
            || (commit.len() == 12 && commit.chars().all(|c| c.is_ascii_hexdigit())),
        "{commit}"
    );
    let tools = common::manifest_dir().join(".tools/bin");
    assert!(lines[1].starts_with("kustomize: "), "{text}");
    assert!(lines[2].starts_with("helm: v4.3.1"), "{text}");
    if tools.join("kustomize").is_file() {
        let shown = format!("({})", tools.join("kustomize").display());
        assert!(lines[1].ends_with(&shown), "{text}");
    }
}

#[test]
fn version_says_when_a_tool_is_missing_and_the_short_flag_works_too() {
    let empty = tempfile::tempdir().expect("temp dir");
    for flag in ["--version", "-V"] {
        let text = stdout(
            fluxsim()
                .arg(flag)
                .env_remove("FLUXSIM_KUSTOMIZE")
                .env_remove("FLUXSIM_HELM")
                .env("PATH", empty.path()),
        );
        assert!(text.contains("\nkustomize: not found ("), "{text}");
        assert!(text.ends_with("\nhelm: not found on PATH\n"), "{text}");
    }
}

#[test]
fn version_follows_fluxsim_helm() {
    let helm = common::manifest_dir().join(".tools/bin/helm");
    let helm = if helm.is_file() {
        helm
    } else {
        Path::new("helm").to_path_buf()
    };
    let empty = tempfile::tempdir().expect("temp dir");
    let text = stdout(
        fluxsim()
            .arg("--version")
            .env("PATH", empty.path())
            .env("FLUXSIM_HELM", &helm),
    );
    assert!(text.contains("helm: v4.3.1"), "{text}");
}

#[test]
fn completions_for_each_shell_and_a_man_page() {
    for (shell, needle) in [
        ("bash", "complete -F _fluxsim"),
        ("zsh", "#compdef fluxsim"),
        (
            "fish",
            "complete -c fluxsim -n \"__fish_fluxsim_needs_command\"",
        ),
        (
            "powershell",
            "Register-ArgumentCompleter -Native -CommandName 'fluxsim'",
        ),
        ("elvish", "edit:completion:arg-completer[fluxsim]"),
    ] {
        let text = stdout(fluxsim().args(["completions", shell]));
        assert!(text.contains(needle), "{shell}: no {needle:?}");
        assert!(
            text.contains("completions") && text.contains("limit-bytes"),
            "{shell}"
        );
    }
    let page = stdout(fluxsim().arg("man"));
    assert!(page.contains(".TH fluxsim 1"), "{page}");
    assert!(page.contains(".SH SUBCOMMANDS"), "no subcommand list");
    let bad = fluxsim()
        .args(["completions", "tcsh"])
        .output()
        .expect("run");
    assert_eq!(bad.status.code(), Some(2));
}
