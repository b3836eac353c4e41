//! Global flags that flux-local and flate command lines carry, so those lines run unchanged with
//! `fluxsim` in their place. Each one either means the same here or is a documented no-op;
//! [`super::compat`] turns them into fluxsim's own settings.

use clap::{ArgAction, Args, ValueEnum};
use std::path::PathBuf;

#[derive(Args, Debug, Clone, Default)]
#[command(next_help_heading = "flux-local and flate compatibility")]
pub struct CompatArgs {
    /// flux-local's --sources: NAME, NS/NAME, NAME=DIR or NS/NAME=DIR (comma separated,
    /// repeatable). Every item keeps only the Kustomizations whose sourceRef has that name (and
    /// namespace, when given), with the HelmReleases they produce; =DIR also maps the source to
    /// a folder, like --source NS/NAME=DIR (the namespace defaults to flux-system).
    #[arg(
        long = "sources",
        value_name = "LIST",
        value_delimiter = ',',
        global = true,
        env = "FLUXSIM_SOURCES"
    )]
    pub source_list: Vec<String>,

    /// Accepted and ignored: fluxsim always renders HelmReleases.
    #[arg(
        long,
        value_name = "BOOL",
        action = ArgAction::Set,
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        default_value = "true",
        global = true,
        env = "FLUXSIM_ENABLE_HELM"
    )]
    pub enable_helm: bool,

    /// Accepted and ignored, as in flux-local (where it has had no effect since 4.0).
    #[arg(
        long,
        value_name = "FLAGS",
        allow_hyphen_values = true,
        global = true,
        env = "FLUXSIM_KUSTOMIZE_BUILD_FLAGS"
    )]
    pub kustomize_build_flags: Option<String>,

    /// Accepted and ignored: a Kustomization whose path does not exist fails, as it does in Flux.
    #[arg(long, global = true, env = "FLUXSIM_SKIP_INVALID_KUSTOMIZATION_PATHS")]
    pub skip_invalid_kustomization_paths: bool,

    /// Accepted and ignored: fluxsim does not read docker registry credentials.
    #[arg(
        long,
        value_name = "FILE",
        global = true,
        env = "FLUXSIM_REGISTRY_CONFIG"
    )]
    pub registry_config: Option<PathBuf>,

    /// flux-local's and flate's --log-level: debug is -v, error and critical are -q.
    #[arg(
        long,
        value_enum,
        ignore_case = true,
        value_name = "LEVEL",
        global = true,
        env = "FLUXSIM_LOG_LEVEL"
    )]
    pub log_level: Option<LogLevel>,

    /// flux-local test's --verbosity N: the same as N times -v.
    #[arg(long, value_name = "N", global = true, env = "FLUXSIM_VERBOSITY")]
    pub verbosity: Option<u8>,

    /// Write the command's output (stdout) to FILE instead.
    #[arg(long, value_name = "FILE", global = true, env = "FLUXSIM_OUTPUT_FILE")]
    pub output_file: Option<PathBuf>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogLevel {
    Debug,
    Info,
    #[value(alias = "warn")]
    Warning,
    Error,
    Critical,
}
