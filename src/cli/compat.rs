//! flux-local and flate command lines: their spellings that clap cannot express alone (a
//! positional folder, `--sources`, `--log-level`, `--output-file`) become fluxsim's own settings
//! once, right after parsing, so the commands only ever see fluxsim's meaning.

use super::args::{BuildWhat, Cli, Command};
use super::args_compat::LogLevel;
use super::exit::SetupFailure;
use super::output;
use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory, FromArgMatches};
use fluxsim::model::OwnerKind;
use std::path::{Path, PathBuf};

/// The command line, parsed and with the flux-local/flate spellings resolved. Usage errors end
/// the process with status 2, as clap's own do; `--version` prints [`super::version::report`].
pub fn parse() -> Cli {
    let matches = match Cli::command().try_get_matches() {
        Ok(m) => m,
        Err(e) if e.kind() == clap::error::ErrorKind::DisplayVersion => {
            print!("{}", super::version::report());
            std::process::exit(0);
        }
        Err(e) => e.exit(),
    };
    let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    match prepare(&mut cli, &matches) {
        Ok(notes) => notes.iter().for_each(|n| output::warn(n)),
        Err(f) => std::process::exit(i32::from(output::fail(&f))),
    }
    cli
}

/// Resolves the compatibility spellings in `cli`; returns warnings about what it ignored.
pub fn prepare(cli: &mut Cli, matches: &ArgMatches) -> Result<Vec<String>, SetupFailure> {
    let mut notes = Vec::new();
    let explicit_path = given_on_command_line(matches, "path");
    let positional = positional_path(&mut cli.command, &mut notes)?;
    if let Some(path) = positional {
        if explicit_path && path != cli.global.path {
            return Err(SetupFailure::new(format!(
                "two folders: --path {} and {}",
                cli.global.path.display(),
                path.display()
            ))
            .with_hint("give the cluster folder once"));
        }
        cli.global.path = path;
    }
    let g = &mut cli.global;
    for item in parse_sources(&g.compat.source_list)? {
        if let Some(dir) = &item.dir {
            let ns = item
                .namespace
                .as_deref()
                .unwrap_or(DEFAULT_SOURCE_NAMESPACE);
            g.sources
                .push(format!("{ns}/{}={}", item.name, dir.display()));
        }
    }
    if let Some(n) = g.compat.verbosity {
        g.verbose = g.verbose.max(n);
    }
    match g.compat.log_level {
        Some(LogLevel::Debug) => g.verbose = g.verbose.max(1),
        Some(LogLevel::Error | LogLevel::Critical) => g.quiet = true,
        _ => {}
    }
    if let Some(file) = &g.compat.output_file {
        output::set_output_file(file)
            .map_err(|e| SetupFailure::new(format!("--output-file {}: {e}", file.display())))?;
    }
    Ok(notes)
}

/// The namespace a `--sources NAME=DIR` mapping gets (flux-local names sources without one).
const DEFAULT_SOURCE_NAMESPACE: &str = "flux-system";

/// Whether `id` was given on the command line (not from a default or the environment), at any
/// level of subcommands (global flags may follow the subcommand).
fn given_on_command_line(matches: &ArgMatches, id: &str) -> bool {
    let mut m = Some(matches);
    while let Some(level) = m {
        if level.try_contains_id(id).unwrap_or(false)
            && level.value_source(id) == Some(ValueSource::CommandLine)
        {
            return true;
        }
        m = level.subcommand().map(|(_, sub)| sub);
    }
    false
}

/// flux-local's positional folders: `build all PATH` and `test [TEST_PATH]`. Taken out of the
/// command (so it only sees fluxsim's meaning) and returned.
fn positional_path(
    command: &mut Command,
    notes: &mut Vec<String>,
) -> Result<Option<PathBuf>, SetupFailure> {
    match command {
        Command::Build(b) => match &mut b.what {
            Some(BuildWhat::All { folder }) => Ok(folder.take()),
            _ => Ok(None),
        },
        Command::Validate(v) => {
            let Some(what) = v.target.what.take() else {
                return Ok(None);
            };
            if let Some(scope) = test_scope(&what) {
                v.target.what = Some(scope.to_string());
                return Ok(None);
            }
            if let Some(name) = &v.target.name {
                return Err(SetupFailure::new(format!(
                    "'{what}' is neither all, ks nor hr, so {name:?} has no meaning"
                ))
                .with_hint(
                    "fluxsim validate [all|ks|hr] [NAME], or flux-local's test [TEST_PATH]",
                ));
            }
            // flux-local: the part before `::` is the path; the rest a pytest node filter.
            let (path, node) = what.split_once("::").unwrap_or((&what, ""));
            if !node.is_empty() {
                notes.push(format!(
                    "test path {what:?}: the test filter '::{node}' has no fluxsim meaning; every owner under {path} is checked"
                ));
            }
            Ok(Some(PathBuf::from(path)))
        }
        _ => Ok(None),
    }
}

/// `all`, `ks` or `hr` for flate's `test all|ks|hr` (and their long forms); None otherwise.
pub fn test_scope(what: &str) -> Option<&'static str> {
    match what {
        "all" => Some("all"),
        "ks" | "kustomization" | "kustomizations" => Some("ks"),
        "hr" | "helmrelease" | "helmreleases" => Some("hr"),
        _ => None,
    }
}

/// The owner kind a resolved `test_scope` stands for (None: both).
pub fn scope_kind(scope: Option<&str>) -> Option<OwnerKind> {
    match scope {
        Some("ks") => Some(OwnerKind::Kustomization),
        Some("hr") => Some(OwnerKind::HelmRelease),
        _ => None,
    }
}

/// One item of flux-local's `--sources`: `NAME`, `NS/NAME`, `NAME=DIR` or `NS/NAME=DIR`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceItem {
    pub namespace: Option<String>,
    pub name: String,
    pub dir: Option<PathBuf>,
}

/// The `--sources` items; an empty item is no item (flux-local: "an empty string means no
/// filter").
pub fn parse_sources(items: &[String]) -> Result<Vec<SourceItem>, SetupFailure> {
    let mut out = Vec::new();
    for raw in items.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        let (id, dir) = match raw.split_once('=') {
            Some((id, dir)) => (id, Some(dir)),
            None => (raw, None),
        };
        let (namespace, name) = match id.split_once('/') {
            Some((ns, name)) => (Some(ns), name),
            None => (None, id),
        };
        let bad = namespace.is_some_and(str::is_empty)
            || name.is_empty()
            || name.contains('/')
            || dir.is_some_and(str::is_empty);
        if bad {
            return Err(SetupFailure::new(format!(
                "--sources {raw:?}: expected NAME, NAMESPACE/NAME, NAME=DIR or NAMESPACE/NAME=DIR"
            )));
        }
        out.push(SourceItem {
            namespace: namespace.map(str::to_string),
            name: name.to_string(),
            dir: dir.map(|d| Path::new(d).to_path_buf()),
        });
    }
    Ok(out)
}

/// The `--sources` filter of a parsed command line (already checked by [`prepare`]).
pub fn source_filter(g: &super::args::GlobalArgs) -> Vec<SourceItem> {
    parse_sources(&g.compat.source_list).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cli(args: &[&str]) -> Result<Cli, SetupFailure> {
        let matches = Cli::command()
            .try_get_matches_from(std::iter::once("fluxsim").chain(args.iter().copied()))
            .map_err(|e| SetupFailure::new(e.to_string()))?;
        let mut cli = Cli::from_arg_matches(&matches).unwrap();
        prepare(&mut cli, &matches)?;
        Ok(cli)
    }

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    /// Every flag of every command, with the command path it belongs to.
    fn flags(cmd: &clap::Command, path: &str, out: &mut Vec<(String, clap::Arg)>) {
        for arg in cmd.get_arguments() {
            if !arg.is_positional() {
                out.push((path.to_string(), arg.clone()));
            }
        }
        for sub in cmd.get_subcommands() {
            flags(sub, &format!("{path} {}", sub.get_name()), out);
        }
    }

    #[test]
    fn every_flag_has_an_environment_variable() {
        let mut all = Vec::new();
        flags(&Cli::command(), "fluxsim", &mut all);
        let missing: Vec<String> = all
            .iter()
            .filter(|(_, a)| !a.is_hide_set() && a.get_env().is_none())
            .filter(|(_, a)| !matches!(a.get_id().as_str(), "help" | "version"))
            .map(|(path, a)| format!("{path} --{}", a.get_id()))
            .collect();
        assert!(missing.is_empty(), "flags without FLUXSIM_*: {missing:?}");
        for (path, a) in &all {
            if let Some(env) = a.get_env() {
                let env = env.to_string_lossy();
                assert!(
                    env.starts_with("FLUXSIM_"),
                    "{path} --{}: {env}",
                    a.get_id()
                );
            }
        }
    }

    #[test]
    fn sources_parse_in_flux_locals_four_spellings() {
        let items = parse_sources(&[
            "flux-system".into(),
            "apps/repo".into(),
            "other=../other".into(),
            "ns/oci=./oci".into(),
            "".into(),
        ])
        .unwrap();
        assert_eq!(items.len(), 4);
        assert_eq!(
            (items[0].namespace.as_deref(), items[0].dir.as_deref()),
            (None, None)
        );
        assert_eq!(items[1].namespace.as_deref(), Some("apps"));
        assert_eq!(items[2].dir.as_deref(), Some(Path::new("../other")));
        assert_eq!(items[3].name, "oci");
        for bad in ["/x", "a/", "a=", "a/b/c"] {
            assert!(parse_sources(&[bad.into()]).is_err(), "{bad}");
        }
    }

    #[test]
    fn sources_with_a_folder_become_source_mappings() {
        let c = cli(&[
            "get",
            "ks",
            "--sources",
            "flux-system,other=../o,apps/x=./x",
        ])
        .unwrap();
        assert_eq!(c.global.sources, ["flux-system/other=../o", "apps/x=./x"]);
    }

    #[test]
    fn positional_paths_stand_for_path() {
        let c = cli(&["build", "all", "clusters/prod"]).unwrap();
        assert_eq!(c.global.path, Path::new("clusters/prod"));
        let c = cli(&["build", "all", "--path", "clusters/prod"]).unwrap();
        assert_eq!(c.global.path, Path::new("clusters/prod"));
        let c = cli(&["test", "./clusters/prod::some::node"]).unwrap();
        assert_eq!(c.global.path, Path::new("./clusters/prod"));
        let c = cli(&["test", "hr", "echo"]).unwrap();
        let Command::Validate(v) = &c.command else {
            panic!()
        };
        assert_eq!(v.target.what.as_deref(), Some("hr"));
        assert_eq!(c.global.path, Path::new("."));
        let c = cli(&["test", "kustomizations"]).unwrap();
        let Command::Validate(v) = &c.command else {
            panic!()
        };
        assert_eq!(v.target.what.as_deref(), Some("ks"));
        // The same folder twice is fine; two different ones are not.
        assert!(cli(&["--path", "a", "build", "all", "a"]).is_ok());
        assert!(cli(&["build", "all", "a", "--path", "b"]).is_err());
        assert!(cli(&["test", "./a", "x"]).is_err());
    }

    #[test]
    fn log_levels_map_to_quiet_and_verbose() {
        let c = cli(&["--log-level", "DEBUG", "get", "ks"]).unwrap();
        assert_eq!(c.global.verbose, 1);
        let c = cli(&["get", "ks", "--log-level", "error"]).unwrap();
        assert!(c.global.quiet);
    }
}
