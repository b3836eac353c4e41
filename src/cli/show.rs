//! `build`: the rendered cluster as YAML, JSON or a snapshot folder.

use super::args::{BuildArgs, BuildFormat, BuildWhat, GlobalArgs};
use super::filters::{ObjectFilter, OwnerFilter};
use super::output::{Printer, pretty};
use super::{EXIT_OK, EXIT_SETUP, compat};
use fluxsim::model::{OwnerKind, OwnerRecord};
use fluxsim::pipeline::Run;
use fluxsim::text::count;
use fluxsim::{snapshot, yaml};
use serde_json::{Value, json};

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
                    out.message(&format!(
                        "wrote {} to {}\n",
                        count(n, "object"),
                        dir.display()
                    ));
                }
                EXIT_OK
            }
            Err(e) => {
                out.message(&format!("error: {e}\n"));
                EXIT_SETUP
            }
        };
    }
    let owners = select(run, args, g);
    if owners.is_empty()
        && let Some(BuildWhat::Ks { name: Some(name) } | BuildWhat::Hr { name: Some(name) }) =
            &args.what
    {
        out.message(&format!("error: nothing named {name}\n"));
        return EXIT_SETUP;
    }
    let shown = ObjectFilter::new(&args.filters);
    let objects: Vec<(&OwnerRecord, Vec<Value>)> = owners
        .into_iter()
        .map(|o| {
            (
                o,
                shown.apply(snapshot::owner_objects(run, o, g.show_secrets)),
            )
        })
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

/// The owners `args` selects, in output order: each Kustomization, then the HelmReleases it
/// produced.
fn select<'a>(run: &'a Run, args: &BuildArgs, g: &GlobalArgs) -> Vec<&'a OwnerRecord> {
    let (kind, name) = match &args.what {
        None | Some(BuildWhat::All { .. }) => (None, None),
        Some(BuildWhat::Ks { name }) => (Some(OwnerKind::Kustomization), name.as_deref()),
        Some(BuildWhat::Hr { name }) => (Some(OwnerKind::HelmRelease), name.as_deref()),
    };
    let filter = OwnerFilter::new(kind, name, &args.scope, &compat::source_filter(g));
    let mut out = Vec::new();
    for ks in snapshot::ordered(run) {
        out.push(ks);
        out.extend(snapshot::releases_of(run, &ks.id));
    }
    out.retain(|r| filter.keeps(&run.cluster, r));
    out
}
