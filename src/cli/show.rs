//! `get` and `build`: the rendered cluster as tables, YAML, JSON or a snapshot folder.

use super::args::{BuildArgs, BuildFormat, BuildWhat, GetFormat, GetWhat, GlobalArgs};
use super::output::{pretty, print, stdout_color};
use super::{EXIT_OK, EXIT_SETUP};
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
    };
    match format {
        GetFormat::Table => print(&table),
        GetFormat::Json => print(&(pretty(&json!(rows)) + "\n")),
        GetFormat::Yaml => print(&yaml::to_yaml(&json!(rows))),
    }
}

/// One owner's rendered objects, for stdout.
struct Owner {
    kind: &'static str,
    namespace: String,
    name: String,
    status: Option<fluxsim::graph::Status>,
    objects: Vec<Value>,
}

pub fn build(run: &Run, args: &BuildArgs, g: &GlobalArgs) -> u8 {
    if let Some(dir) = &args.output_dir {
        return match snapshot::write(run, dir, g.show_secrets) {
            Ok(n) => {
                if !g.quiet {
                    eprintln!("wrote {n} objects to {}", dir.display());
                }
                EXIT_OK
            }
            Err(e) => {
                eprintln!("error: {e}");
                EXIT_SETUP
            }
        };
    }
    let owners = select(run, args.what.as_ref(), g.show_secrets);
    if owners.is_empty()
        && let Some(BuildWhat::Ks { name } | BuildWhat::Hr { name }) = &args.what
    {
        eprintln!("error: nothing named {name}");
        return EXIT_SETUP;
    }
    match args.output {
        BuildFormat::Yaml => {
            let objects: Vec<&Value> = owners.iter().flat_map(|o| &o.objects).collect();
            print(&yaml::to_yaml_stream(objects))
        }
        BuildFormat::Json => {
            let list: Vec<Value> = owners
                .iter()
                .map(|o| {
                    json!({
                        "kind": o.kind,
                        "name": o.name,
                        "namespace": o.namespace,
                        "status": o.status.as_ref().map(|s| s.label()),
                        "message": o.status.as_ref().map(|s| s.message()),
                        "objects": o.objects,
                    })
                })
                .collect();
            print(&(pretty(&json!(list)) + "\n"))
        }
    }
}

/// Owners in output order: each Kustomization, then the HelmReleases it produced.
fn select(run: &Run, what: Option<&BuildWhat>, show_secrets: bool) -> Vec<Owner> {
    let matches =
        |id: &fluxsim::flux::NamespacedName, name: &str| id.name == name || id.to_string() == name;
    let mut out = Vec::new();
    for (id, node) in snapshot::ordered(run) {
        let want_ks = match what {
            None | Some(BuildWhat::All) => true,
            Some(BuildWhat::Ks { name }) => matches(id, name),
            Some(BuildWhat::Hr { .. }) => false,
        };
        if want_ks {
            out.push(Owner {
                kind: "Kustomization",
                namespace: id.namespace.clone(),
                name: id.name.clone(),
                status: run.analysis.status.get(id).cloned(),
                objects: snapshot::owner_objects(run, node, show_secrets),
            });
        }
        for hr in snapshot::releases_of(run, id) {
            let want_hr = match what {
                None | Some(BuildWhat::All) => true,
                Some(BuildWhat::Hr { name }) => matches(&hr.id, name),
                Some(BuildWhat::Ks { .. }) => false,
            };
            if want_hr {
                out.push(Owner {
                    kind: "HelmRelease",
                    namespace: hr.id.namespace.clone(),
                    name: hr.id.name.clone(),
                    status: run.release_status.get(&hr.id).cloned(),
                    objects: snapshot::release_objects(run, hr, show_secrets),
                });
            }
        }
    }
    out
}
