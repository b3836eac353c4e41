//! Writing to stdout/stderr: colour detection, pretty JSON, and a closed pipe that is not an error.

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

/// Prints to stdout; `| head` closing the pipe is not an error.
pub fn print(s: &str) -> u8 {
    let mut out = std::io::stdout().lock();
    match out.write_all(s.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => super::EXIT_OK,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => super::EXIT_OK,
        Err(e) => {
            eprintln!("error: writing output: {e}");
            super::EXIT_SETUP
        }
    }
}
