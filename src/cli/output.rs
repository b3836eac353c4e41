//! Everything the command writes: data on stdout, messages on stderr. Every message of a run
//! passes through its redactor, so a secret value quoted in an error never reaches the terminal.

use super::exit::{EXIT_OK, EXIT_SETUP, SetupFailure};
use fluxsim::pipeline::Run;
use std::io::{IsTerminal, Write};

pub fn stdout_color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
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

    /// `text` with the run's secret values replaced by their tokens.
    pub fn scrub(&self, text: &str) -> String {
        match self.run {
            Some(run) => run.redactor.scrub_text(text),
            None => text.to_string(),
        }
    }

    /// Data for stdout: objects are redacted field by field and the run's messages were scrubbed
    /// when it finished, so what is built from them prints as is.
    pub fn data(&self, text: &str) -> u8 {
        print_raw(text)
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

/// Prints to stdout; `| head` closing the pipe is not an error.
fn print_raw(s: &str) -> u8 {
    let mut out = std::io::stdout().lock();
    match out.write_all(s.as_bytes()).and_then(|_| out.flush()) {
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
    eprintln!("error: {}", f.message);
    if let Some(h) = &f.hint {
        eprintln!("hint: {h}");
    }
    EXIT_SETUP
}

/// A line on stderr as it is (headers, notes).
pub fn warn_plain(message: &str) {
    eprint!("{message}");
}

pub fn warn(message: &str) {
    eprintln!("warning: {message}");
}
