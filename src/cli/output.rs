//! Everything the command writes: data on stdout, messages on stderr. Every message passes
//! through the redactors of the runs so far ([`remember`]), so a secret value quoted in an error
//! never reaches the terminal, whichever way the message is printed.

use super::exit::{EXIT_OK, EXIT_SETUP, SetupFailure};
use fluxsim::pipeline::Run;
use fluxsim::redact::Redactor;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::{LazyLock, Mutex, OnceLock};

/// The redactors of every run of this process (a diff has two, a multi-cluster command one per
/// cluster): a message printed after them, or about several, loses every value they know.
static REDACTORS: Mutex<Vec<Redactor>> = Mutex::new(Vec::new());

/// For messages before any run: knows no value, still hides age identities. Its key lives for
/// this process only.
static FALLBACK: LazyLock<Redactor> = LazyLock::new(|| {
    let mut key = vec![0u8; 32];
    let _ = getrandom::fill(&mut key);
    Redactor::new(key)
});

/// Makes every later message on stderr lose `run`'s secret values (not with `--show-secrets`,
/// which leaves them in messages on purpose).
pub fn remember(run: &Run, show_secrets: bool) {
    if !show_secrets {
        let mut all = REDACTORS.lock().unwrap_or_else(|p| p.into_inner());
        all.push(run.redactor.clone());
    }
}

/// `text` without the secret values of any run so far.
fn scrub_all(text: &str) -> String {
    let all = REDACTORS.lock().unwrap_or_else(|p| p.into_inner());
    let mut out = FALLBACK.scrub_text(text);
    for r in all.iter() {
        out = r.scrub_text(&out);
    }
    out
}

/// `--output-file`: where data goes instead of stdout, for the whole process.
static OUTPUT_FILE: OnceLock<Mutex<std::fs::File>> = OnceLock::new();

/// Sends every later [`Printer::data`] to `path` (created or truncated now, so a bad path fails
/// before any work).
pub fn set_output_file(path: &Path) -> std::io::Result<()> {
    let file = std::fs::File::create(path)?;
    let _ = OUTPUT_FILE.set(Mutex::new(file));
    Ok(())
}

pub fn stdout_color() -> bool {
    OUTPUT_FILE.get().is_none()
        && std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none()
}

pub fn stderr_color() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

pub fn pretty(v: &serde_json::Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

/// Writes a run's output, scrubbing the secret values it knows of from every message.
pub struct Printer<'a> {
    run: Option<&'a Run>,
}

impl<'a> Printer<'a> {
    pub fn new(run: &'a Run) -> Printer<'a> {
        Printer { run: Some(run) }
    }

    /// The printer of `run`, when there is one (a cluster only the base has, in a diff).
    pub fn of(run: Option<&'a Run>) -> Printer<'a> {
        Printer { run }
    }

    /// `text` with the run's secret values (and those of any other run) replaced by their
    /// tokens.
    pub fn scrub(&self, text: &str) -> String {
        match self.run {
            Some(run) => scrub_all(&run.redactor.scrub_text(text)),
            None => scrub_all(text),
        }
    }

    /// Data for stdout: objects are redacted field by field and the run's messages were scrubbed
    /// when it finished, so what is built from them prints as is.
    pub fn data(&self, text: &str) -> u8 {
        match super::sections::take(text) {
            Some(text) => print_raw(text),
            None => EXIT_OK,
        }
    }

    /// A message for stderr.
    pub fn message(&self, text: &str) {
        eprint!("{}", self.scrub(text));
    }
}

/// Prints data that holds no secrets (cluster lists, cache reports) to stdout.
pub fn print_data(s: &str) -> u8 {
    print_raw(s)
}

/// Prints to stdout (or `--output-file`); `| head` closing the pipe is not an error.
pub fn print_raw(s: &str) -> u8 {
    let written = match OUTPUT_FILE.get() {
        Some(file) => {
            let mut f = file.lock().unwrap_or_else(|p| p.into_inner());
            f.write_all(s.as_bytes()).and_then(|_| f.flush())
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(s.as_bytes()).and_then(|_| out.flush())
        }
    };
    match written {
        Ok(()) => EXIT_OK,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => EXIT_OK,
        Err(e) => {
            eprintln!("error: writing output: {e}");
            EXIT_SETUP
        }
    }
}

/// Prints a setup failure and its hint; returns the exit status for it.
pub fn fail(f: &SetupFailure) -> u8 {
    eprintln!("error: {}", scrub_all(&f.message));
    if let Some(h) = &f.hint {
        eprintln!("hint: {}", scrub_all(h));
    }
    EXIT_SETUP
}

/// A line on stderr as it is (headers, notes).
pub fn warn_plain(message: &str) {
    eprint!("{}", scrub_all(message));
}

pub fn warn(message: &str) {
    eprintln!("warning: {}", scrub_all(message));
}
