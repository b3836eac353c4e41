//! `get` and `build`: the rendered cluster as tables, YAML, JSON or a snapshot folder.

use super::args::{BuildArgs, BuildFormat, BuildWhat, GetFormat, GetWhat, GlobalArgs};
use super::output::{Printer, pretty, stdout_color};
use super::{EXIT_OK, EXIT_SETUP};
use fluxsim::model::{OwnerId, OwnerRecord};
use fluxsim::pipeline::Run;
use fluxsim::{report, snapshot, yaml};
use serde_json::{Value, json};

pub fn get(run: &Run, what: &GetWhat) -> u8 {
    let (rows, table, format) = match what {
        GetWhat::Ks(a) => (
            report::kustomization_rows(run),
            report::kustomization_table(run, stdout_color()),
            a.output,
        ),
        GetWhat::Hr(a) => (
            report::release_rows(run),
            report::release_table(run, stdout_color()),
            a.output,
        ),
        // Listed before any run (see cli::clusters).
        GetWhat::Clusters(_) => return super::EXIT_SETUP,
    };
    let out = Printer::new(run);
    match format {
        GetFormat::Table => out.data(&table),
        GetFormat::Json => out.data(&(pretty(&json!(rows)) + "\n")),
        GetFormat::Yaml => out.data(&yaml::to_yaml(&json!(rows))),
    }
}

/// `cluster`: the cluster's name when the run renders several (each gets its own snapshot
/// folder, and YAML streams are separated).
pub fn build(run: &Run, args: &BuildArgs, g: &GlobalArgs, cluster: Option<&str>) -> u8 {
    let out = Printer::new(run);
    if let Some(dir) = &args.output_dir {
        let dir = match cluster {
            Some(name) => dir.join(name),
            None => dir.clone(),
        };
        let dir = &dir;
        return match snapshot::write(run, dir, g.show_secrets) {
            Ok(n) => {
                if !g.quiet {
                    out.message(&format!("wrote {n} objects to {}\n", dir.display()));
                }
                EXIT_OK
            }
            Err(e) => {
                out.message(&format!("error: {e}\n"));
                EXIT_SETUP
            }
        };
    }
    let owners = select(run, args.what.as_ref());
    if owners.is_empty()
        && let Some(BuildWhat::Ks { name } | BuildWhat::Hr { name }) = &args.what
    {
        out.message(&format!("error: nothing named {name}\n"));
        return EXIT_SETUP;
    }
    let objects: Vec<(&OwnerRecord, Vec<Value>)> = owners
        .into_iter()
        .map(|o| (o, snapshot::owner_objects(run, o, g.show_secrets)))
        .collect();
    match args.output {
        BuildFormat::Yaml => {
            let all = objects.iter().flat_map(|(_, objects)| objects);
            let separator = if cluster.is_some() { "---\n" } else { "" };
            out.data(&format!("{separator}{}", yaml::to_yaml_stream(all)))
        }
        BuildFormat::Json => {
            let list: Vec<Value> = objects
                .iter()
                .map(|(o, objects)| {
                    json!({
                        "kind": o.id.kind.as_str(),
                        "name": o.id.name,
                        "namespace": o.id.namespace,
                        "status": o.outcome.label(),
                        "message": o.outcome.message(),
                        "objects": objects,
                    })
                })
                .collect();
            out.data(&(pretty(&json!(list)) + "\n"))
        }
    }
}

/// Owners in output order: each Kustomization, then the HelmReleases it produced.
fn select<'a>(run: &'a Run, what: Option<&BuildWhat>) -> Vec<&'a OwnerRecord> {
    let matches = |id: &OwnerId, name: &str| id.name == name || id.name().to_string() == name;
    let mut out = Vec::new();
    for ks in snapshot::ordered(run) {
        let want_ks = match what {
            None | Some(BuildWhat::All) => true,
            Some(BuildWhat::Ks { name }) => matches(&ks.id, name),
            Some(BuildWhat::Hr { .. }) => false,
        };
        if want_ks {
            out.push(ks);
        }
        for hr in snapshot::releases_of(run, &ks.id) {
            let want_hr = match what {
                None | Some(BuildWhat::All) => true,
                Some(BuildWhat::Hr { name }) => matches(&hr.id, name),
                Some(BuildWhat::Ks { .. }) => false,
            };
            if want_hr {
                out.push(hr);
            }
        }
    }
    out
}
