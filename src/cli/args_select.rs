//! Flags that choose what a command shows: which owners (`-n`, `-A`, `-l`) and which objects
//! (`--skip-crds`, `--skip-secrets`, `--skip-kinds`). They change what is printed, never what is
//! rendered or checked. The names are flux-local's and flate's, so their command lines work.

use clap::{ArgAction, Args, ValueEnum};

/// Which owners a command shows.
#[derive(Args, Debug, Clone, Default)]
#[command(next_help_heading = "Selection")]
pub struct ScopeArgs {
    /// Only owners in this namespace. Default: every namespace (flux-local's default is
    /// flux-system; fluxsim's is all of them).
    #[arg(
        short = 'n',
        long,
        value_name = "NS",
        global = true,
        env = "FLUXSIM_NAMESPACE"
    )]
    pub namespace: Option<String>,

    /// Every namespace: the default; overrides -n (flux-local's -A).
    #[arg(
        short = 'A',
        long,
        alias = "all",
        global = true,
        env = "FLUXSIM_ALL_NAMESPACES"
    )]
    pub all_namespaces: bool,

    /// Only owners whose labels include KEY=VALUE (repeatable or comma separated; all must match).
    #[arg(
        short = 'l',
        long = "selector",
        visible_alias = "label-selector",
        value_name = "KEY=VALUE",
        value_delimiter = ',',
        value_parser = parse_label,
        global = true,
        env = "FLUXSIM_SELECTOR"
    )]
    pub selector: Vec<(String, String)>,
}

/// `KEY=VALUE` (also `KEY==VALUE`, as kubectl accepts).
fn parse_label(s: &str) -> Result<(String, String), String> {
    let (key, value) = s
        .split_once("==")
        .or_else(|| s.split_once('='))
        .ok_or_else(|| format!("expected KEY=VALUE, got {s:?}"))?;
    if key.trim().is_empty() {
        return Err(format!("expected KEY=VALUE, got {s:?}"));
    }
    Ok((key.trim().to_string(), value.trim().to_string()))
}

/// Which objects `build`, `diff` and `get images` print. As in flate and flux-local, CRDs and
/// Secrets are left out by default (`--skip-crds=false`, `--no-skip-secrets` keep them); an
/// `--output-dir` snapshot, the checks and `validate` always see every object.
#[derive(Args, Debug, Clone, Default)]
#[command(next_help_heading = "Output filters (build, diff, get images)")]
pub struct OutputFilterArgs {
    /// Leave CustomResourceDefinitions out of stdout (the default, as in flate; `--skip-crds=false`
    /// or `--no-skip-crds` keeps them).
    #[arg(
        long,
        value_name = "BOOL",
        action = ArgAction::Set,
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        default_value = "true",
        overrides_with = "no_skip_crds",
        global = true,
        env = "FLUXSIM_SKIP_CRDS"
    )]
    pub skip_crds: bool,

    #[arg(long, hide = true, overrides_with = "skip_crds", global = true)]
    pub no_skip_crds: bool,

    /// Leave Secrets out of stdout (the default, as in flate; `--skip-secrets=false` or
    /// `--no-skip-secrets` keeps them, their values as redaction tokens).
    #[arg(
        long,
        value_name = "BOOL",
        action = ArgAction::Set,
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        default_value = "true",
        overrides_with = "no_skip_secrets",
        global = true,
        env = "FLUXSIM_SKIP_SECRETS"
    )]
    pub skip_secrets: bool,

    #[arg(long, hide = true, overrides_with = "skip_secrets", global = true)]
    pub no_skip_secrets: bool,

    /// Leave objects of this kind out: KIND or KIND.GROUP (repeatable or comma separated).
    #[arg(
        long = "skip-kinds",
        visible_alias = "skip-kind",
        value_name = "KIND",
        value_delimiter = ',',
        global = true,
        env = "FLUXSIM_SKIP_KINDS"
    )]
    pub skip_kinds: Vec<String>,
}

impl OutputFilterArgs {
    pub fn skips_crds(&self) -> bool {
        self.skip_crds && !self.no_skip_crds
    }

    pub fn skips_secrets(&self) -> bool {
        self.skip_secrets && !self.no_skip_secrets
    }
}

/// What makes `validate` fail.
#[derive(ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FailOn {
    /// Failed and blocked owners (the default).
    #[default]
    Error,
    /// Also any warning.
    Warning,
}

/// `validate`'s (and `test`'s) positionals: flate's `test all|ks|hr [NAME]`, or flux-local's
/// `test [TEST_PATH]`.
#[derive(Args, Debug, Clone, Default)]
pub struct TestTargetArgs {
    /// all (default), ks or hr: which owners to report. Any other value is flux-local's
    /// test_path: its part before `::` is used as --path.
    #[arg(value_name = "WHAT")]
    pub what: Option<String>,

    /// Only the owner with this name (NAME or NAMESPACE/NAME).
    #[arg(value_name = "NAME")]
    pub name: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_parse_with_one_or_two_equals() {
        assert_eq!(parse_label("app=web"), Ok(("app".into(), "web".into())));
        assert_eq!(parse_label("app==web"), Ok(("app".into(), "web".into())));
        assert_eq!(parse_label("app="), Ok(("app".into(), String::new())));
        assert!(parse_label("app").is_err());
        assert!(parse_label("=web").is_err());
    }
}
