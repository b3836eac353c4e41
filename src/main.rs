//! `fluxsim`: a thin command line over the fluxsim library.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main_with(cli::compat::parse())
}
