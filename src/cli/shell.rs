//! `fluxsim completions SHELL` and `fluxsim man`: generated from the clap definition, so they
//! always match the binary that prints them.
//!
//! The man page is printed at run time rather than written by build.rs: build.rs would have to
//! compile the whole CLI definition a second time, and a release can still ship `fluxsim.1` by
//! running `fluxsim man` once on the build machine (the page is the same on every target).

use super::args::{Cli, Command};
use clap::{Args, CommandFactory};
use std::io::Write;

#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Runs `completions` and `man`; `None` for every other command.
pub fn run(command: &Command) -> Option<u8> {
    let text = match command {
        Command::Completions(a) => completions(a.shell),
        Command::Man => match man_page() {
            Ok(page) => page,
            Err(e) => {
                eprintln!("error: cannot render the man page: {e}");
                return Some(super::EXIT_SETUP);
            }
        },
        _ => return None,
    };
    let mut out = std::io::stdout().lock();
    // A closed pipe (`fluxsim man | head`) is not an error worth reporting.
    let _ = out.write_all(&text).and_then(|()| out.flush());
    Some(super::EXIT_OK)
}

/// The completion script for `shell`.
pub fn completions(shell: clap_complete::Shell) -> Vec<u8> {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "fluxsim", &mut out);
    out
}

/// `fluxsim(1)` in roff: the top-level page, which lists the subcommands.
pub fn man_page() -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap_complete::Shell;

    fn text(shell: Shell) -> String {
        String::from_utf8(completions(shell)).expect("utf-8")
    }

    #[test]
    fn every_shell_gets_a_script_that_knows_the_commands() {
        for (shell, header) in [
            (Shell::Bash, "_fluxsim()"),
            (Shell::Zsh, "#compdef fluxsim"),
            (Shell::Fish, "complete -c fluxsim"),
            (Shell::PowerShell, "Register-ArgumentCompleter"),
            (Shell::Elvish, "edit:completion:arg-completer[fluxsim]"),
        ] {
            let script = text(shell);
            assert!(script.contains(header), "{shell}: no {header}");
            for word in ["diff", "validate", "--cache-dir"] {
                assert!(script.contains(word), "{shell}: no {word}");
            }
        }
    }

    #[test]
    fn man_page_is_roff_with_the_subcommands() {
        let page = String::from_utf8(man_page().expect("render")).expect("utf-8");
        assert!(page.starts_with(".ie \\n(.g .ds Aq"), "{}", &page[..80]);
        assert!(page.contains(".TH fluxsim 1"), "no title");
        assert!(page.contains("fluxsim\\-diff"), "no diff subcommand");
    }
}
