//! Runs the real kustomize program (`kustomize build` or `kubectl kustomize`) as a subprocess.
//!
//! Flux builds with krusty and `LoadRestrictionsNone`, builtin plugins only, legacy sort order:
//! the CLI's defaults plus `--load-restrictor LoadRestrictionsNone` give the same result.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio::process::Command;

/// The kustomize command line to run: a program and the arguments before the folder.
#[derive(Clone, Debug)]
pub struct KustomizeCommand {
    pub program: PathBuf,
    pub args: Vec<String>,
    pub display: String,
}

#[derive(Debug, thiserror::Error)]
pub enum KustomizeError {
    #[error("cannot run {command}: {source}")]
    Spawn {
        command: String,
        #[source]
        source: std::io::Error,
    },
    #[error("kustomize build of {0} failed: {1}")]
    Failed(String, String),
    #[error("no kustomize found: install kustomize or kubectl, or pass --kustomize CMD")]
    NotFound,
}

impl KustomizeCommand {
    /// `--kustomize CMD` when given (split on whitespace, e.g. `kubectl kustomize`); otherwise
    /// `kustomize` on PATH, else `kubectl kustomize`.
    pub fn resolve(explicit: Option<&str>) -> Result<KustomizeCommand, KustomizeError> {
        if let Some(cmd) = explicit {
            let mut parts = cmd.split_whitespace();
            let program = parts.next().ok_or(KustomizeError::NotFound)?;
            let program = which::which(program).map_err(|_| KustomizeError::NotFound)?;
            let mut args: Vec<String> = parts.map(str::to_string).collect();
            if args.is_empty() && is_standalone_kustomize(&program) {
                args.push("build".into());
            }
            return Ok(Self::with_args(program, args, cmd));
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
    /// `display_root` is replaced by nothing in error messages, so they name repository paths.
    pub async fn build(
        &self,
        dir: &Path,
        display_root: &Path,
    ) -> Result<(String, Duration), KustomizeError> {
        let started = Instant::now();
        let out = Command::new(&self.program)
            .args(&self.args)
            .arg(dir)
            .kill_on_drop(true)
            .output()
            .await
            .map_err(|source| KustomizeError::Spawn {
                command: self.display.clone(),
                source,
            })?;
        let elapsed = started.elapsed();
        let shown = format!(
            "./{}",
            dir.strip_prefix(display_root).unwrap_or(dir).display()
        );
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            return Err(KustomizeError::Failed(
                shown,
                trim_message(&stderr, display_root),
            ));
        }
        let stdout = String::from_utf8(out.stdout)
            .map_err(|_| KustomizeError::Failed(shown, "output is not UTF-8".into()))?;
        Ok((stdout, elapsed))
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
    let mut lines: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .filter(|l| !l.starts_with("Usage:") && !l.starts_with("  "))
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
}
