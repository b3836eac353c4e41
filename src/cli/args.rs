//! Command-line surface (clap derive). Every flag can also come from `FLUXSIM_<FLAG>`.

use super::args_compat::CompatArgs;
use super::args_select::{FailOn, OutputFilterArgs, ScopeArgs, TestTargetArgs};
use super::help;
use clap::{Args, Parser, Subcommand, ValueEnum};
pub use fluxsim::net::NetworkPolicy;
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "fluxsim",
    version,
    about = "Simulate Flux v2 reconciliation locally: build every Kustomization, decrypt SOPS, render HelmReleases, order by dependsOn, snapshot and diff.",
    long_about = "fluxsim reconciles a Flux repository the way the Flux controllers would, with no cluster.\n\
It builds every Flux Kustomization with the real kustomize (generated kustomization.yaml, patches,\n\
components, postBuild substitution, Flux labels), follows the Kustomizations each build produces,\n\
and orders everything by dependsOn.",
    after_help = help::ROOT
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// The cluster entry: a folder of root Flux objects, or a folder Flux syncs directly.
    #[arg(short, long, global = true, default_value = ".", env = "FLUXSIM_PATH")]
    pub path: PathBuf,

    /// The cluster to render when --path holds several (see `fluxsim get clusters`); default:
    /// every one, each reported under its name.
    #[arg(long, global = true, value_name = "NAME", env = "FLUXSIM_CLUSTER")]
    pub cluster: Option<String>,

    /// The folder the bootstrap source (GitRepository flux-system) stands for. Default: the
    /// nearest ancestor of --path where the root Kustomizations' paths exist, else the git top level.
    #[arg(long, global = true, env = "FLUXSIM_REPO_ROOT", value_name = "DIR")]
    pub repo_root: Option<PathBuf>,

    /// Map a GitRepository/OCIRepository to a local folder (repeatable): NAMESPACE/NAME=DIR.
    #[arg(
        long = "source",
        global = true,
        value_name = "NS/NAME=DIR",
        env = "FLUXSIM_SOURCE",
        value_delimiter = ','
    )]
    pub sources: Vec<String>,

    /// age identities for SOPS (repeatable); SOPS_AGE_KEY_FILE and SOPS_AGE_KEY are read too.
    #[arg(
        long = "age-key-file",
        global = true,
        value_name = "FILE",
        env = "FLUXSIM_AGE_KEY_FILE",
        value_delimiter = ','
    )]
    pub age_key_files: Vec<PathBuf>,

    /// Print decrypted secret values instead of redaction tokens (for disaster recovery).
    #[arg(long, global = true, env = "FLUXSIM_SHOW_SECRETS")]
    pub show_secrets: bool,

    /// Key for the secret redaction tokens, so tokens match across machines (e.g. a CI secret).
    /// Default: a random key kept in the cache folder.
    #[arg(
        long,
        global = true,
        value_name = "KEY",
        env = "FLUXSIM_REDACTION_KEY",
        hide_env_values = true
    )]
    pub redaction_key: Option<String>,

    /// The kustomize program to run, e.g. "kustomize" or "kubectl kustomize" (default: kustomize
    /// on PATH, else kubectl kustomize).
    #[arg(long, global = true, value_name = "CMD", env = "FLUXSIM_KUSTOMIZE")]
    pub kustomize: Option<String>,

    /// The helm program to run.
    #[arg(long, global = true, value_name = "CMD", env = "FLUXSIM_HELM")]
    pub helm: Option<String>,

    /// Persistent caches (default: the user's cache folder, fluxsim/).
    #[arg(long, global = true, value_name = "DIR", env = "FLUXSIM_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,

    /// Neither read nor write the persistent build caches (charts are still cached).
    #[arg(long, global = true, env = "FLUXSIM_NO_CACHE")]
    pub no_cache: bool,

    /// Never use the network; charts only from the cache. Same as --network offline.
    #[arg(long, global = true, env = "FLUXSIM_OFFLINE")]
    pub offline: bool,

    /// Which addresses chart downloads may reach: any (all but link-local and cloud metadata
    /// addresses), public-only (also no loopback, private or other non-global ranges: for
    /// pull requests from forks), offline (none).
    #[arg(long, global = true, value_enum, value_name = "POLICY", default_value_t = NetworkPolicy::Any,
          env = "FLUXSIM_NETWORK")]
    pub network: NetworkPolicy,

    /// Seconds one network request may take, body included (default 30; connecting, 10).
    #[arg(
        long,
        global = true,
        value_name = "SECONDS",
        env = "FLUXSIM_NETWORK_TIMEOUT"
    )]
    pub network_timeout: Option<f64>,

    /// Parallel subprocesses (default: number of cores).
    #[arg(
        short,
        long,
        visible_alias = "concurrency",
        global = true,
        value_name = "N",
        env = "FLUXSIM_JOBS"
    )]
    pub jobs: Option<usize>,

    /// Kubernetes version passed to helm (.Capabilities.KubeVersion).
    #[arg(long, global = true, value_name = "V", env = "FLUXSIM_KUBE_VERSION")]
    pub kube_version: Option<String>,

    /// API versions passed to helm (.Capabilities.APIVersions), comma separated.
    #[arg(
        short = 'a',
        long,
        global = true,
        value_name = "LIST",
        env = "FLUXSIM_API_VERSIONS",
        value_delimiter = ','
    )]
    pub api_versions: Vec<String>,

    /// Fail on variables that are not defined (default true, as in Flux 2.9+).
    #[arg(long, global = true, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true",
          default_value = "true", env = "FLUXSIM_STRICT_SUBSTITUTION")]
    pub strict_substitution: bool,

    /// Apply the top kustomization's patches on custom resources in fluxsim instead of in
    /// kustomize, so kustomize needs no OpenAPI schema (default true; identical output;
    /// `--no-fast-patch` lets kustomize apply every patch, for bisecting).
    #[arg(long, global = true, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true",
          default_value = "true", env = "FLUXSIM_FAST_PATCH")]
    pub fast_patch: bool,

    /// Same as --fast-patch=false.
    #[arg(long, global = true, hide = true)]
    pub no_fast_patch: bool,

    /// While a Kustomization builds, build the child Kustomizations its files declare on idle
    /// job slots; a real build takes such a result only when its kustomize input is identical
    /// (default true; identical output; `--no-build-ahead` turns it off, for bisecting).
    #[arg(long, global = true, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true",
          default_value = "true", env = "FLUXSIM_BUILD_AHEAD")]
    pub build_ahead: bool,

    /// Same as --build-ahead=false.
    #[arg(long, global = true, hide = true)]
    pub no_build_ahead: bool,

    /// Write run statistics (wall time, summed subprocess time, jobs, counts) as JSON to FILE;
    /// used by scripts/bench.sh.
    #[arg(long, global = true, value_name = "FILE", env = "FLUXSIM_STATS_FILE")]
    pub stats_file: Option<PathBuf>,

    /// No progress bar.
    #[arg(long, global = true, env = "FLUXSIM_NO_PROGRESS")]
    pub no_progress: bool,

    /// Less output on stderr.
    #[arg(short, long, global = true, env = "FLUXSIM_QUIET")]
    pub quiet: bool,

    /// More detail on stderr.
    #[arg(short, long, global = true, action = clap::ArgAction::Count, env = "FLUXSIM_VERBOSE")]
    pub verbose: u8,

    #[command(flatten)]
    pub compat: CompatArgs,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// List discovered objects with their status.
    #[command(after_help = help::GET)]
    Get {
        #[command(subcommand)]
        what: GetWhat,
    },
    /// Render everything (or one owner) to stdout, or write a snapshot with --output-dir.
    #[command(after_help = help::BUILD)]
    Build(BuildArgs),
    /// Render the base and the head and show what changes in the cluster.
    #[command(
        long_about = "Render the base (--base REV, --path-orig DIR, or the merge-base with the upstream \
branch) and the working tree, and show what changes in the cluster, per Kustomization and HelmRelease. \
Only what the changed files can affect is rendered (plus its ancestors); --full renders everything.",
        after_help = help::DIFF
    )]
    Diff(DiffArgs),
    /// The bootstrap plan: waves Flux would reconcile in parallel, the critical path, and checks.
    #[command(after_help = help::PLAN)]
    Plan(PlanArgs),
    /// Render everything, run every check, and report like a test run (exit 1 on failure).
    #[command(visible_alias = "test", after_help = help::VALIDATE)]
    Validate(ValidateArgs),
    /// Manage the persistent caches in --cache-dir.
    #[command(after_help = help::CACHE)]
    Cache {
        #[command(subcommand)]
        what: CacheWhat,
    },
    /// Print a shell completion script, e.g. `fluxsim completions bash > ~/.local/share/bash-completion/completions/fluxsim`.
    Completions(super::shell::CompletionsArgs),
    /// Print the manual page (roff), e.g. `fluxsim man > fluxsim.1` or `fluxsim man | man -l -`.
    Man,
}

#[derive(Subcommand, Debug)]
pub enum GetWhat {
    /// Flux Kustomizations.
    #[command(alias = "kustomizations", alias = "kustomization", after_help = help::GET_KS)]
    Ks(GetArgs),
    /// HelmReleases, with the chart and version each resolves to.
    #[command(alias = "helmreleases", alias = "helmrelease", after_help = help::GET_HR)]
    Hr(GetArgs),
    /// The clusters below --path: each synced folder and how it was found (flux bootstrap's
    /// gotk-sync.yaml, a FluxInstance's spec.sync, or --path itself).
    #[command(alias = "cluster", alias = "cl")]
    Clusters(GetArgs),
    /// Container images the rendered objects run, with the owner and object that run each.
    #[command(alias = "image", after_help = help::GET_IMAGES)]
    Images(GetImagesArgs),
}

#[derive(Args, Debug)]
pub struct GetArgs {
    /// Only the owner with this metadata.name (NAME, or NAMESPACE/NAME).
    pub name: Option<String>,

    /// Output format: table; wide (more columns); name (kind/namespace/name per line); yaml; json.
    #[arg(short, long, value_enum, default_value_t = GetFormat::Table, env = "FLUXSIM_OUTPUT")]
    pub output: GetFormat,

    #[command(flatten)]
    pub scope: ScopeArgs,

    #[command(flatten)]
    pub filters: OutputFilterArgs,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum GetFormat {
    Table,
    Yaml,
    Json,
    Name,
    Wide,
}

#[derive(Args, Debug)]
pub struct GetImagesArgs {
    /// Output format: table (IMAGE, OWNER, OBJECT); name (one image per line); yaml; json.
    #[arg(short, long, value_enum, default_value_t = ImagesFormat::Table, env = "FLUXSIM_OUTPUT")]
    pub output: ImagesFormat,

    #[command(flatten)]
    pub scope: ScopeArgs,

    #[command(flatten)]
    pub filters: OutputFilterArgs,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImagesFormat {
    Table,
    Name,
    Yaml,
    Json,
}

/// Changed-only mode for `build` and `validate`: a base turns it on.
#[derive(Args, Debug, Default, Clone)]
pub struct ChangedOnlyArgs {
    /// Render only what changed since REV (branch, tag, commit; the working tree counts),
    /// plus the ancestors it needs.
    #[arg(
        long,
        value_name = "REV",
        env = "FLUXSIM_BASE",
        conflicts_with = "path_orig"
    )]
    pub base: Option<String>,

    /// Render only what differs from this folder: the counterpart of --path in another checkout.
    #[arg(short = 'P', long, value_name = "DIR", env = "FLUXSIM_PATH_ORIG")]
    pub path_orig: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct BuildArgs {
    /// What to build: all (default), `ks NAME` or `hr NAME`.
    #[command(subcommand)]
    pub what: Option<BuildWhat>,

    #[command(flatten)]
    pub changed: ChangedOnlyArgs,

    /// Write the snapshot here: a folder per Kustomization and HelmRelease, a file per object,
    /// an index.yaml. The snapshot always holds every object (no output filters, no selection).
    #[arg(long, value_name = "DIR", global = true, env = "FLUXSIM_OUTPUT_DIR")]
    pub output_dir: Option<PathBuf>,

    /// Output format on stdout.
    #[arg(short, long, value_enum, default_value_t = BuildFormat::Yaml, global = true, env = "FLUXSIM_OUTPUT")]
    pub output: BuildFormat,

    #[command(flatten)]
    pub scope: ScopeArgs,

    #[command(flatten)]
    pub filters: OutputFilterArgs,
}

#[derive(Subcommand, Debug)]
pub enum BuildWhat {
    /// Everything. PATH (flux-local's `build all PATH`) stands for --path.
    #[command(after_help = help::BUILD)]
    All {
        #[arg(value_name = "PATH")]
        folder: Option<PathBuf>,
    },
    /// Flux Kustomizations' objects: every one, or NAME (or NAMESPACE/NAME).
    #[command(alias = "kustomization", alias = "kustomizations", after_help = help::BUILD)]
    Ks { name: Option<String> },
    /// HelmReleases' objects: every one, or NAME (or NAMESPACE/NAME).
    #[command(alias = "helmrelease", alias = "helmreleases", after_help = help::BUILD)]
    Hr { name: Option<String> },
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum BuildFormat {
    Yaml,
    Json,
}

#[derive(Args, Debug)]
pub struct DiffArgs {
    /// ks, hr, all (default), or images: the images the change introduces.
    #[arg(value_enum, default_value_t = DiffScope::All)]
    pub scope: DiffScope,

    /// Only the owner with this metadata.name (NAME, or NAMESPACE/NAME).
    pub name: Option<String>,

    /// The base revision (branch, tag, commit). Default: the merge-base with the upstream
    /// branch, else origin/HEAD, else origin/main. (flux-local's --branch-orig.)
    #[arg(
        long,
        visible_alias = "branch-orig",
        value_name = "REV",
        env = "FLUXSIM_BASE",
        conflicts_with = "path_orig"
    )]
    pub base: Option<String>,

    /// The base as a folder: the counterpart of --path in another checkout.
    #[arg(short = 'P', long, value_name = "DIR", env = "FLUXSIM_PATH_ORIG")]
    pub path_orig: Option<PathBuf>,

    /// Lines of context in patches (-u is flux-local's spelling).
    #[arg(
        short = 'U',
        short_alias = 'u',
        long,
        value_name = "N",
        default_value_t = 3,
        env = "FLUXSIM_UNIFIED"
    )]
    pub unified: usize,

    /// Label/annotation keys ignored when comparing (comma separated or repeated; replaces the
    /// default). --strip-attr is flate's spelling.
    #[arg(
        long,
        visible_alias = "strip-attr",
        value_name = "LIST",
        value_delimiter = ',',
        default_value = "helm.sh/chart,checksum/config,checksum/secret,app.kubernetes.io/version,chart",
        env = "FLUXSIM_STRIP_ATTRS"
    )]
    pub strip_attrs: Vec<String>,

    /// Byte budget: of the whole markdown output (default 65000; GitHub comments hold 65,536
    /// characters), and when given, of each object's patch in the unified output (as flux-local's
    /// --limit-bytes).
    #[arg(long, value_name = "N", env = "FLUXSIM_LIMIT_BYTES")]
    pub limit_bytes: Option<usize>,

    /// Exit with 1 when there are differences, as `git diff --exit-code` does.
    #[arg(long, env = "FLUXSIM_EXIT_CODE")]
    pub exit_code: bool,

    /// Render every owner on both sides, not only what the changed files can affect.
    #[arg(long, env = "FLUXSIM_FULL")]
    pub full: bool,

    /// `diff images`: also list the images only the base uses.
    #[arg(long, env = "FLUXSIM_INCLUDE_REMOVED")]
    pub include_removed: bool,

    /// Output format: unified (default; also `diff`, `object`), markdown, json, yaml, stat; for
    /// `diff images`: name (default, one per line), json or yaml (a list of image references).
    #[arg(short, long, value_enum, env = "FLUXSIM_OUTPUT")]
    pub output: Option<DiffFormat>,

    #[command(flatten)]
    pub scope_args: ScopeArgs,

    #[command(flatten)]
    pub filters: OutputFilterArgs,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiffScope {
    #[value(alias = "kustomization", alias = "kustomizations")]
    Ks,
    #[value(alias = "helmrelease", alias = "helmreleases")]
    Hr,
    All,
    #[value(alias = "image")]
    Images,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiffFormat {
    #[value(alias = "diff", alias = "object")]
    Unified,
    Markdown,
    Json,
    Yaml,
    Stat,
    Name,
}

#[derive(Args, Debug)]
pub struct PlanArgs {
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = PlanFormat::Text, env = "FLUXSIM_OUTPUT")]
    pub output: PlanFormat,

    #[command(flatten)]
    pub checks: CheckArgs,
}

/// Options of the checks `plan` and `validate` run.
#[derive(Args, Debug)]
pub struct CheckArgs {
    /// CRDs assumed installed outside the repository: "group/Kind", "group" or "*.suffix"
    /// (comma separated).
    #[arg(
        long,
        value_name = "LIST",
        value_delimiter = ',',
        env = "FLUXSIM_ASSUME_CRDS"
    )]
    pub assume_crds: Vec<String>,

    /// Schema checks of every rendered object (built-in kinds against the Kubernetes OpenAPI of
    /// --kube-version, default 1.37; custom resources against their CRD in the render or a
    /// --schema-location): error fails the owner, warning reports it, off skips the checks.
    #[arg(long, value_enum, default_value = "error", env = "FLUXSIM_SCHEMA")]
    pub schema: SchemaLevel,

    /// Folder of JSON schemas tried, in order, for kinds neither built in nor rendered as CRDs,
    /// in kubeconform's template syntax, e.g. `schemas/{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json`
    /// (the datreeio CRDs-catalog layout). Repeat or comma-separate.
    #[arg(
        long = "schema-location",
        value_name = "DIR",
        value_delimiter = ',',
        env = "FLUXSIM_SCHEMA_LOCATION"
    )]
    pub schema_locations: Vec<String>,
}

/// What a schema violation is.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SchemaLevel {
    Error,
    Warning,
    Off,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanFormat {
    Text,
    Markdown,
    Json,
    Mermaid,
    Dot,
}

#[derive(Args, Debug)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub target: TestTargetArgs,

    /// Output format.
    #[arg(short, long, value_enum, default_value_t = ValidateFormat::Text, env = "FLUXSIM_OUTPUT")]
    pub output: ValidateFormat,

    /// Fail (exit 1) when anything could not be checked offline (a chart not cached, an unmapped
    /// source, no key for a secret), for CIs that must check everything.
    #[arg(long, env = "FLUXSIM_REQUIRE_COMPLETE")]
    pub require_complete: bool,
    /// error: fail on failed or blocked owners (default); warning: on any warning too.
    #[arg(long, value_enum, value_name = "LEVEL", default_value_t = FailOn::Error, env = "FLUXSIM_FAIL_ON")]
    pub fail_on: FailOn,

    #[command(flatten)]
    pub changed: ChangedOnlyArgs,

    #[command(flatten)]
    pub checks: CheckArgs,

    #[command(flatten)]
    pub scope: ScopeArgs,

    /// Accepted for flux-local and flate command lines; validate checks every object.
    #[command(flatten)]
    pub filters: OutputFilterArgs,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValidateFormat {
    Text,
    Json,
    Junit,
}

#[derive(Subcommand, Debug)]
pub enum CacheWhat {
    /// Remove entries not used for --max-age, then the oldest until under --max-size.
    #[command(after_help = help::CACHE)]
    Gc {
        /// e.g. 30d, 12h.
        #[arg(
            long,
            value_name = "AGE",
            default_value = "30d",
            env = "FLUXSIM_MAX_AGE"
        )]
        max_age: String,
        /// e.g. 2G, 500M.
        #[arg(long, value_name = "SIZE", env = "FLUXSIM_MAX_SIZE")]
        max_size: Option<String>,
    },
    /// Remove everything fluxsim stored in --cache-dir.
    #[command(after_help = help::CACHE)]
    Clear,
    /// Show how much each cache holds.
    #[command(after_help = help::CACHE)]
    Usage,
}
