//! `fluxsim --version`: fluxsim's version and commit, and the kustomize and helm it would run.
//!
//! clap's own version flag prints a fixed string; the tools are only known at run time, so
//! [`super::compat::parse`] lets clap recognise `-V`/`--version` wherever it is valid and prints
//! this report instead. The tools are looked up as a run would (`FLUXSIM_KUSTOMIZE`/`FLUXSIM_HELM`, else
//! PATH), and asked for their version only here, never on a normal run.

use fluxsim::kustomize::KustomizeCommand;
use fluxsim::process::Command;
use std::path::Path;
use std::time::Duration;

/// The commit build.rs found, or "unknown".
pub const COMMIT: &str = env!("FLUXSIM_GIT_COMMIT");

/// What a tool said about its version, or why there is none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolVersion {
    Found { version: String, program: String },
    Missing(String),
}

/// The whole report, one line each for fluxsim, kustomize and helm.
pub fn report() -> String {
    format_report(env!("CARGO_PKG_VERSION"), COMMIT, &kustomize(), &helm())
}

fn format_report(
    version: &str,
    commit: &str,
    kustomize: &ToolVersion,
    helm: &ToolVersion,
) -> String {
    let short: String = commit.chars().take(12).collect();
    format!(
        "fluxsim {version} (commit {short})\nkustomize: {}\nhelm: {}\n",
        tool_line(kustomize),
        tool_line(helm)
    )
}

fn tool_line(tool: &ToolVersion) -> String {
    match tool {
        ToolVersion::Found { version, program } => format!("{version} ({program})"),
        ToolVersion::Missing(why) => why.clone(),
    }
}

/// kustomize as a run resolves it; for `kubectl kustomize`, the kustomize kubectl embeds.
fn kustomize() -> ToolVersion {
    let explicit = std::env::var("FLUXSIM_KUSTOMIZE")
        .ok()
        .and_then(|c| shlex::split(&c));
    let cmd = match KustomizeCommand::resolve(explicit.as_deref()) {
        Ok(c) => c,
        Err(e) => return ToolVersion::Missing(format!("not found ({e})")),
    };
    let embedded = cmd.args.first().is_some_and(|a| a == "kustomize");
    let out = if embedded {
        run(&cmd.program, &["version", "--client"])
    } else {
        run(&cmd.program, &["version"])
    };
    let program = format!(
        "{}{}",
        cmd.program.display(),
        if embedded { " kustomize" } else { "" }
    );
    match out {
        Ok(text) => ToolVersion::Found {
            version: kustomize_version(&text),
            program,
        },
        Err(why) => ToolVersion::Missing(format!("{program}: {why}")),
    }
}

/// `v5.8.1` from standalone kustomize; the `Kustomize Version:` line of `kubectl version`.
fn kustomize_version(text: &str) -> String {
    text.lines()
        .find_map(|l| l.trim().strip_prefix("Kustomize Version:"))
        .unwrap_or_else(|| text.lines().next().unwrap_or(""))
        .trim()
        .to_string()
}

fn helm() -> ToolVersion {
    let program = match std::env::var("FLUXSIM_HELM") {
        Ok(cmd) => shlex::split(&cmd).and_then(|w| w.into_iter().next()),
        Err(_) => which::which("helm").ok().map(|p| p.display().to_string()),
    };
    let Some(program) = program else {
        return ToolVersion::Missing("not found on PATH".into());
    };
    match run(Path::new(&program), &["version", "--short"]) {
        Ok(text) => ToolVersion::Found {
            version: text.lines().next().unwrap_or("").trim().to_string(),
            program,
        },
        Err(why) => ToolVersion::Missing(format!("{program}: {why}")),
    }
}

fn run(program: &Path, args: &[&str]) -> Result<String, String> {
    Command::new(program)
        .args(args)
        .timeout(Duration::from_secs(30))
        .run_blocking()
        .map(|out| out.stdout_text())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_has_version_commit_and_tools() {
        let k = ToolVersion::Found {
            version: "v5.8.1".into(),
            program: "/bin/kustomize".into(),
        };
        let h = ToolVersion::Missing("not found on PATH".into());
        let text = format_report("1.2.3", "0123456789abcdef0123", &k, &h);
        assert_eq!(
            text,
            "fluxsim 1.2.3 (commit 0123456789ab)\n\
             kustomize: v5.8.1 (/bin/kustomize)\n\
             helm: not found on PATH\n"
        );
    }

    #[test]
    fn kustomize_version_from_either_program() {
        assert_eq!(kustomize_version("v5.8.1\n"), "v5.8.1");
        let kubectl = "Client Version: v1.37.1\nKustomize Version: v5.8.1\n";
        assert_eq!(kustomize_version(kubectl), "v5.8.1");
    }
}
