//! Runs the real kustomize program (`kustomize build` or `kubectl kustomize`) through
//! [`crate::process`].
//!
//! Flux builds with krusty and `LoadRestrictionsNone`, builtin plugins only, legacy sort order:
//! the CLI's defaults plus `--load-restrictor LoadRestrictionsNone` give the same result.

use crate::process::{self, ProcessError};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The kustomize command line to run: a program and the arguments before the folder.
#[derive(Clone, Debug)]
pub struct KustomizeCommand {
    pub program: PathBuf,
    pub args: Vec<String>,
    pub display: String,
}

#[derive(Debug, thiserror::Error)]
pub enum KustomizeError {
    #[error(transparent)]
    Process(ProcessError),
    #[error("kustomize build of {dir} failed: {message}")]
    Failed { dir: String, message: String },
    #[error("no kustomize found: install kustomize or kubectl, or pass --kustomize CMD")]
    NotFound,
}

impl KustomizeCommand {
    /// `--kustomize CMD` when given (its words, e.g. `kubectl kustomize`); otherwise
    /// `kustomize` on PATH, else `kubectl kustomize`.
    pub fn resolve(explicit: Option<&[String]>) -> Result<KustomizeCommand, KustomizeError> {
        if let Some(words) = explicit {
            let (program, rest) = words.split_first().ok_or(KustomizeError::NotFound)?;
            let program = which::which(program).map_err(|_| KustomizeError::NotFound)?;
            let mut args = rest.to_vec();
            if args.is_empty() && is_standalone_kustomize(&program) {
                args.push("build".into());
            }
            return Ok(Self::with_args(program, args, &words.join(" ")));
        }
        if let Ok(p) = which::which("kustomize") {
            return Ok(Self::with_args(p, vec!["build".into()], "kustomize build"));
        }
        if let Ok(p) = which::which("kubectl") {
            return Ok(Self::with_args(
                p,
                vec!["kustomize".into()],
                "kubectl kustomize",
            ));
        }
        Err(KustomizeError::NotFound)
    }

    fn with_args(program: PathBuf, mut args: Vec<String>, display: &str) -> KustomizeCommand {
        args.push("--load-restrictor=LoadRestrictionsNone".into());
        KustomizeCommand {
            program,
            args,
            display: display.to_string(),
        }
    }

    /// The program and its leading arguments, as one command line.
    pub fn words(&self) -> Vec<String> {
        std::iter::once(self.program.display().to_string())
            .chain(self.args.iter().cloned())
            .collect()
    }

    /// Identifies the program and its arguments for cache keys: path, size and modification
    /// time (cheaper than running `kustomize version`, and changes when the binary does).
    pub fn identity(&self) -> String {
        let meta = std::fs::metadata(&self.program).ok();
        let size = meta.as_ref().map_or(0, |m| m.len());
        let mtime = meta
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        format!(
            "{} {size} {mtime} {}",
            self.program.display(),
            self.args.join(" ")
        )
    }

    /// Builds `dir`; returns the YAML stream and how long the subprocess took.
    /// kustomize gets [`go_gc`] as its `GOGC`.
    /// `display_root` is replaced by nothing in error messages, so they name repository paths.
    pub async fn build(
        &self,
        dir: &Path,
        display_root: &Path,
    ) -> Result<(String, Duration), KustomizeError> {
        let shown = format!(
            "./{}",
            dir.strip_prefix(display_root).unwrap_or(dir).display()
        );
        let run = process::Command::new(&self.program)
            .args(&self.args)
            .arg(dir)
            // The private copy is all a build may touch; remote bases are cloned into it,
            // by a git that reads no user or system config (kustomize-controller fetches
            // remote bases without credentials too).
            .env("TMPDIR", display_root)
            .env("HOME", display_root)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GOGC", go_gc())
            .sandbox(process::Sandbox::new().write(display_root))
            .display_as(self.display.clone())
            .run()
            .await;
        let out = match run {
            Ok(out) => out,
            Err(ProcessError::Failed { stderr, .. }) => {
                return Err(KustomizeError::Failed {
                    dir: shown,
                    message: trim_message(&stderr, display_root),
                });
            }
            Err(e) => return Err(KustomizeError::Process(e)),
        };
        let stdout = String::from_utf8(out.stdout).map_err(|_| KustomizeError::Failed {
            dir: shown,
            message: "output is not UTF-8".into(),
        })?;
        Ok((stdout, out.elapsed))
    }
}

fn is_standalone_kustomize(program: &Path) -> bool {
    program
        .file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with("kustomize"))
}

/// kustomize prints `Error: <chain>` plus usage noise; keep the error, without our temp paths.
fn trim_message(stderr: &str, root: &Path) -> String {
    let root = format!("{}/", root.display());
    // Indented lines before `Usage:` are the error's details (yaml's "line 8: mapping key
    // \"a\" already defined at line 7"); everything from `Usage:` on is the usage text.
    let mut lines: Vec<&str> = stderr
        .lines()
        .take_while(|l| !l.starts_with("Usage:"))
        .filter(|l| !l.trim().is_empty())
        .collect();
    if let Some(i) = lines.iter().position(|l| l.starts_with("Error:")) {
        lines = lines[i..].to_vec();
    }
    let msg = lines.join("\n");
    let msg = msg.strip_prefix("Error: ").unwrap_or(&msg);
    let msg = msg.replace(&root, "");
    if msg.len() > 2000 {
        format!("{}...", &msg[..msg.floor_char_boundary(2000)])
    } else {
        msg
    }
}

/// The Go garbage collector's target for kustomize: the caller's `GOGC`, else 200. Go's default
/// (100) collects every few MB of a build's small heap; at 200 a build of onedr0p's
/// `kubernetes/apps` takes 65 ms instead of 90 ms for 3 MB more memory, and a cold onedr0p run
/// sums 1.13 s of kustomize instead of 1.29 s (wall 0.74 s instead of 0.80 s). The output does
/// not depend on it.
fn go_gc() -> std::ffi::OsString {
    std::env::var_os("GOGC").unwrap_or_else(|| "200".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_usage_and_temp_paths() {
        let s = "Error: accumulating resources: open /tmp/x/apps/a.yaml: no such file\nUsage:\n  kustomize build\n";
        assert_eq!(
            trim_message(s, Path::new("/tmp/x")),
            "accumulating resources: open apps/a.yaml: no such file"
        );
    }

    #[test]
    fn keeps_the_detail_lines_of_an_error() {
        let s = "Error: map[string]interface {}(nil): yaml: unmarshal errors:\n  line 8: mapping key \"a\" already defined at line 7\n";
        assert_eq!(
            trim_message(s, Path::new("/tmp/x")),
            "map[string]interface {}(nil): yaml: unmarshal errors:\n  line 8: mapping key \"a\" already defined at line 7"
        );
    }
}
