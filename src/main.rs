//! `fluxsim`: a thin command line over the fluxsim library.

mod cli;

use clap::Parser;

fn main() -> std::process::ExitCode {
    cli::main_with(cli::args::Cli::parse())
}
