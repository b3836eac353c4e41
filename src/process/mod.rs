//! The one place fluxsim starts programs (kustomize, helm, git): each runs with an explicit,
//! minimal environment, a timeout, bounded captured output, and one error type that says what
//! ran. A pull request controls what kustomize and helm read, so they never see the caller's
//! secrets through their environment (`/proc/self/environ`, `envs:` generators).

use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

mod sandbox;

pub use sandbox::Sandbox;

/// Variables passed through from fluxsim's own environment; everything else is dropped.
/// Proxies and certificate locations keep remote bases and chart fetches working behind a
/// corporate proxy; HOME and TMPDIR are where the tools keep their state.
const PASSED_THROUGH: &[&str] = &[
    "PATH",
    "HOME",
    "TMPDIR",
    "LANG",
    "LC_ALL",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
];

/// Default limit on a program's run time.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);
/// Default limit on captured stdout (kustomize output of big repositories is tens of MB).
pub const DEFAULT_STDOUT_LIMIT: usize = 1 << 30;
/// stderr is only shown in messages: the first part is enough.
const STDERR_LIMIT: usize = 64 * 1024;

/// A program to run, with everything it gets.
#[derive(Clone, Debug)]
pub struct Command {
    program: PathBuf,
    args: Vec<OsString>,
    cwd: Option<PathBuf>,
    env: Vec<(OsString, OsString)>,
    stdin: Option<Vec<u8>>,
    timeout: Duration,
    stdout_limit: usize,
    display: String,
    sandbox: Option<Sandbox>,
}

/// What a successful run printed.
#[derive(Clone, Debug)]
pub struct Output {
    pub stdout: Vec<u8>,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Output {
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    #[error("cannot run {command}: {source}")]
    Spawn {
        command: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{command} timed out after {}s", after.as_secs())]
    TimedOut { command: String, after: Duration },
    #[error("{command} exited with {status}: {stderr}")]
    Failed {
        command: String,
        status: String,
        stderr: String,
    },
    #[error("{command} printed more than {limit} bytes")]
    TooMuchOutput { command: String, limit: usize },
}

impl ProcessError {
    /// What the program said on stderr when it failed (empty for other errors).
    pub fn stderr(&self) -> &str {
        match self {
            ProcessError::Failed { stderr, .. } => stderr,
            _ => "",
        }
    }
}

impl Command {
    /// `program` with the pass-through environment, no stdin, the default limits.
    pub fn new(program: impl Into<PathBuf>) -> Command {
        let program = program.into();
        let display = program.file_name().map_or_else(
            || program.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let env = PASSED_THROUGH
            .iter()
            .filter_map(|k| std::env::var_os(k).map(|v| (OsString::from(k), v)))
            .collect();
        Command {
            program,
            args: Vec::new(),
            cwd: None,
            env,
            stdin: None,
            timeout: DEFAULT_TIMEOUT,
            stdout_limit: DEFAULT_STDOUT_LIMIT,
            display,
            sandbox: None,
        }
    }

    pub fn arg(mut self, arg: impl Into<OsString>) -> Command {
        self.args.push(arg.into());
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn current_dir(mut self, dir: &Path) -> Command {
        self.cwd = Some(dir.to_path_buf());
        self
    }

    /// Sets (or overrides) one environment variable.
    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Command {
        let key = key.into();
        self.env.retain(|(k, _)| *k != key);
        self.env.push((key, value.into()));
        self
    }

    pub fn stdin(mut self, input: Vec<u8>) -> Command {
        self.stdin = Some(input);
        self
    }

    pub fn timeout(mut self, timeout: Duration) -> Command {
        self.timeout = timeout;
        self
    }

    pub fn stdout_limit(mut self, limit: usize) -> Command {
        self.stdout_limit = limit;
        self
    }

    /// How messages name the command (default: the program's file name).
    pub fn display_as(mut self, name: impl Into<String>) -> Command {
        self.display = name.into();
        self
    }

    /// Confines the program to the system folders and those `sandbox` names (Linux Landlock).
    pub fn sandbox(mut self, sandbox: Sandbox) -> Command {
        self.sandbox = Some(sandbox.program(&self.program));
        self
    }

    fn std_command(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(self.resolved_program());
        #[cfg(unix)]
        std::os::unix::process::CommandExt::arg0(&mut cmd, &self.program);
        cmd.args(&self.args)
            .env_clear()
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(dir) = &self.cwd {
            cmd.current_dir(dir);
        }
        cmd
    }

    /// A bare program name looked up on the PATH the program gets. std searches PATH itself
    /// only by fork+exec when the environment sets PATH; a full path spawns with posix_spawn,
    /// which does not copy this process's page tables (a few ms per git call).
    fn resolved_program(&self) -> PathBuf {
        let path = self
            .env
            .iter()
            .find(|(k, _)| k == "PATH")
            .map(|(_, v)| v.as_os_str());
        find_on_path(&self.program, path).unwrap_or_else(|| self.program.clone())
    }

    fn spawn_error(&self, source: std::io::Error) -> ProcessError {
        ProcessError::Spawn {
            command: self.display.clone(),
            source,
        }
    }

    fn finish(
        &self,
        status: std::process::ExitStatus,
        stdout: Vec<u8>,
        stderr: Vec<u8>,
        started: Instant,
    ) -> Result<Output, ProcessError> {
        if stdout.len() > self.stdout_limit {
            return Err(ProcessError::TooMuchOutput {
                command: self.display.clone(),
                limit: self.stdout_limit,
            });
        }
        let stderr = String::from_utf8_lossy(&stderr).trim().to_string();
        if !status.success() {
            return Err(ProcessError::Failed {
                command: self.display.clone(),
                status: status.to_string(),
                stderr,
            });
        }
        Ok(Output {
            stdout,
            stderr,
            elapsed: started.elapsed(),
        })
    }

    /// Runs to completion inside the async runtime; the child is killed on timeout or drop.
    pub async fn run(self) -> Result<Output, ProcessError> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let started = Instant::now();
        let mut cmd = tokio::process::Command::from(self.std_command());
        cmd.kill_on_drop(true);
        let mut child = match self.sandbox.clone() {
            None => cmd.spawn(),
            Some(sandbox) => {
                // The child registers with this runtime's reaper from the spawning thread.
                let runtime = tokio::runtime::Handle::current();
                let (tx, rx) = tokio::sync::oneshot::channel();
                let spawned = on_confined_thread(
                    sandbox,
                    move || {
                        let _entered = runtime.enter();
                        cmd.spawn()
                    },
                    move |child| drop(tx.send(child)),
                );
                match spawned {
                    Ok(()) => rx.await.unwrap_or_else(|_| Err(confined_spawn_failed())),
                    Err(e) => Err(e),
                }
            }
        }
        .map_err(|e| self.spawn_error(e))?;
        let stdin = child.stdin.take();
        let input = self.stdin.clone();
        let feed = async move {
            if let (Some(mut pipe), Some(bytes)) = (stdin, input) {
                // A program that exits without reading its input is not our error.
                let _ = pipe.write_all(&bytes).await;
            }
        };
        let mut out = child.stdout.take();
        let mut err = child.stderr.take();
        let limit = self.stdout_limit as u64 + 1;
        let read_out = async {
            let mut buf = Vec::new();
            if let Some(pipe) = out.as_mut() {
                let _ = pipe.take(limit).read_to_end(&mut buf).await;
            }
            buf
        };
        let read_err = async {
            let mut buf = Vec::new();
            if let Some(pipe) = err.as_mut() {
                let _ = pipe.take(STDERR_LIMIT as u64).read_to_end(&mut buf).await;
            }
            buf
        };
        let all = async {
            let ((), stdout, stderr) = tokio::join!(feed, read_out, read_err);
            let status = child.wait().await;
            (status, stdout, stderr)
        };
        match tokio::time::timeout(self.timeout, all).await {
            Ok((Ok(status), stdout, stderr)) => self.finish(status, stdout, stderr, started),
            Ok((Err(e), _, _)) => Err(self.spawn_error(e)),
            Err(_) => Err(ProcessError::TimedOut {
                command: self.display.clone(),
                after: self.timeout,
            }),
        }
    }

    /// Runs to completion on this thread (for callers outside the async runtime's tasks).
    pub fn run_blocking(self) -> Result<Output, ProcessError> {
        use std::io::Write;
        use wait_timeout::ChildExt;
        let started = Instant::now();
        let mut cmd = self.std_command();
        let mut child = match self.sandbox.clone() {
            None => cmd.spawn(),
            Some(sandbox) => {
                let (tx, rx) = std::sync::mpsc::channel();
                on_confined_thread(
                    sandbox,
                    move || cmd.spawn(),
                    move |child| drop(tx.send(child)),
                )
                .and_then(|()| rx.recv().unwrap_or_else(|_| Err(confined_spawn_failed())))
            }
        }
        .map_err(|e| self.spawn_error(e))?;
        let feeder = child
            .stdin
            .take()
            .zip(self.stdin.clone())
            .map(|(mut pipe, bytes)| {
                std::thread::spawn(move || {
                    let _ = pipe.write_all(&bytes);
                })
            });
        // Both pipes are drained on threads: a full pipe would block the child forever.
        let limit = self.stdout_limit as u64 + 1;
        let out = child.stdout.take().map(|p| drain(p, limit));
        let err = child.stderr.take().map(|p| drain(p, STDERR_LIMIT as u64));
        let status = match child.wait_timeout(self.timeout) {
            Ok(Some(status)) => status,
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(ProcessError::TimedOut {
                    command: self.display.clone(),
                    after: self.timeout,
                });
            }
            Err(e) => return Err(self.spawn_error(e)),
        };
        if let Some(f) = feeder {
            let _ = f.join();
        }
        let join = |h: Option<std::thread::JoinHandle<Vec<u8>>>| {
            h.and_then(|h| h.join().ok()).unwrap_or_default()
        };
        self.finish(status, join(out), join(err), started)
    }
}

/// `program` as a command line would run it: a path (more than a bare name) as it is, a bare
/// name as the first executable file of that name on `path` (a PATH value).
fn find_on_path(program: &Path, path: Option<&std::ffi::OsStr>) -> Option<PathBuf> {
    if program.components().count() != 1 {
        return Some(program.to_path_buf());
    }
    std::env::split_paths(path?)
        .map(|dir| dir.join(program))
        .find(|p| is_executable(p))
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    path.is_file()
}

/// Runs `spawn` on a new thread that first confines itself to `sandbox` (see
/// [`Sandbox::confine_this_thread`]) and hands the result, or the confinement's error, to
/// `deliver`. Never a pooled thread: the confinement stays with the thread.
fn on_confined_thread<T: Send + 'static>(
    sandbox: Sandbox,
    spawn: impl FnOnce() -> std::io::Result<T> + Send + 'static,
    deliver: impl FnOnce(std::io::Result<T>) + Send + 'static,
) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("fluxsim-spawn".into())
        .spawn(move || deliver(sandbox.confine_this_thread().and_then(|()| spawn())))
        .map(drop)
}

fn confined_spawn_failed() -> std::io::Error {
    std::io::Error::other("could not confine the program (Landlock)")
}

fn drain(pipe: impl Read + Send + 'static, limit: u64) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = pipe.take(limit).read_to_end(&mut buf);
        buf
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_is_explicit() {
        // SAFETY: tests in this module do not read this variable concurrently.
        unsafe { std::env::set_var("FLUXSIM_TEST_SECRET", "s3cret") };
        let out = Command::new("/usr/bin/env").run_blocking().unwrap();
        let text = out.stdout_text();
        assert!(!text.contains("s3cret"), "{text}");
        assert!(text.contains("PATH="), "{text}");
        let out = Command::new("/usr/bin/env")
            .env("HELM_CACHE_HOME", "/x")
            .run_blocking()
            .unwrap();
        assert!(out.stdout_text().contains("HELM_CACHE_HOME=/x"));
    }

    #[test]
    fn timeouts_and_failures_say_what_ran() {
        let e = Command::new("/bin/sleep")
            .arg("5")
            .timeout(Duration::from_millis(100))
            .run_blocking()
            .unwrap_err();
        assert_eq!(e.to_string(), "sleep timed out after 0s");
        let e = Command::new("/bin/sh")
            .args(["-c", "echo oops >&2; exit 3"])
            .display_as("sh -c")
            .run_blocking()
            .unwrap_err();
        assert_eq!(e.to_string(), "sh -c exited with exit status: 3: oops");
        let e = Command::new("/no/such/program").run_blocking().unwrap_err();
        assert!(e.to_string().starts_with("cannot run program:"), "{e}");
    }

    #[tokio::test]
    async fn async_runs_are_bounded_too() {
        let e = Command::new("/bin/sh")
            .args(["-c", "head -c 2000 /dev/zero"])
            .stdout_limit(1000)
            .run()
            .await
            .unwrap_err();
        assert!(matches!(e, ProcessError::TooMuchOutput { .. }), "{e}");
        let e = Command::new("/bin/sleep")
            .arg("5")
            .timeout(Duration::from_millis(100))
            .run()
            .await
            .unwrap_err();
        assert!(matches!(e, ProcessError::TimedOut { .. }), "{e}");
        let out = Command::new("/bin/cat")
            .stdin(b"hi".to_vec())
            .run()
            .await
            .unwrap();
        assert_eq!(out.stdout, b"hi");
    }

    /// Both runners confine a sandboxed program, and only it: the caller and later programs
    /// are not confined by an earlier one.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sandboxed_programs_are_confined_and_the_caller_is_not() {
        let (_dir, given, other) = sandbox::tests::given_and_other();
        let cat = |file: PathBuf| {
            Command::new("/bin/cat")
                .arg(file)
                .sandbox(Sandbox::new().read(&given))
        };
        let out = cat(given.join("f")).run().await.unwrap();
        assert_eq!(out.stdout, b"ok");
        let out = cat(given.join("f")).run_blocking().unwrap();
        assert_eq!(out.stdout, b"ok");
        if sandbox::tests::landlock_available() {
            let e = cat(other.join("f")).run().await.unwrap_err();
            assert!(matches!(e, ProcessError::Failed { .. }), "{e}");
            let e = cat(other.join("f")).run_blocking().unwrap_err();
            assert!(matches!(e, ProcessError::Failed { .. }), "{e}");
        }
        // Unconfined afterwards, on this thread and on the runtime's.
        assert_eq!(std::fs::read(other.join("f")).unwrap(), b"secret");
        let out = Command::new("/bin/cat")
            .arg(other.join("f"))
            .run()
            .await
            .unwrap();
        assert_eq!(out.stdout, b"secret");
    }
}
