//! `get images` and `diff images`: the container images of the objects a command would print
//! (redacted, selection and output filters applied), as a table, a list, YAML or JSON.

use super::args::{DiffFormat, GetImagesArgs, GlobalArgs, ImagesFormat};
use super::filters::{ObjectFilter, OwnerFilter};
use super::output::{Printer, pretty, stdout_color};
use super::{EXIT_SETUP, compat};
use fluxsim::diff::Side;
use fluxsim::images::{self, ImageIndex};
use fluxsim::pipeline::Run;
use fluxsim::{report, snapshot, yaml};
use serde_json::{Value, json};

pub fn get(run: &Run, a: &GetImagesArgs, g: &GlobalArgs) -> u8 {
    let owners = OwnerFilter::new(None, None, &a.scope, &compat::source_filter(g));
    let objects = ObjectFilter::new(&a.filters);
    let reported = snapshot::ordered(run).chain(run.cluster.releases());
    let rendered: Vec<_> = reported
        .filter(|r| owners.keeps(&run.cluster, r))
        .map(|r| {
            let shown = objects.apply(snapshot::owner_objects(run, r, g.show_secrets));
            (r.id.clone(), shown)
        })
        .collect();
    let index = images::index(rendered.iter().map(|(id, o)| (id, o.as_slice())));
    let text = match a.output {
        ImagesFormat::Table => table(&index),
        ImagesFormat::Name => lines(index.keys()),
        ImagesFormat::Json => pretty(&json!(users(&index))) + "\n",
        ImagesFormat::Yaml => yaml::to_yaml(&json!(users(&index))),
    };
    Printer::new(run).data(&text)
}

/// The images of one side of a diff.
pub fn side_index(side: &Side) -> ImageIndex {
    images::index(side.owners.iter().map(|(id, o)| (id, o.objects.as_slice())))
}

/// `diff images`: the list a pre-pull job reads, in flate's shapes (a plain list of references).
pub fn print_introduced(out: &Printer, list: &[String], format: Option<DiffFormat>) -> u8 {
    let text = match format {
        None | Some(DiffFormat::Name) => lines(list.iter()),
        Some(DiffFormat::Json) => pretty(&json!(list)) + "\n",
        Some(DiffFormat::Yaml) => yaml::to_yaml(&json!(list)),
        Some(other) => {
            let name = format!("{other:?}").to_lowercase();
            out.message(&format!(
                "error: diff images prints name, json or yaml, not {name}\n"
            ));
            return EXIT_SETUP;
        }
    };
    out.data(&text)
}

fn lines<'a>(images: impl Iterator<Item = &'a String>) -> String {
    images.map(|i| format!("{i}\n")).collect()
}

/// One entry per image with who uses it.
fn users(index: &ImageIndex) -> Vec<Value> {
    index
        .iter()
        .map(|(image, users)| json!({"image": image, "users": users}))
        .collect()
}

/// IMAGE, OWNER, OBJECT: one row per object that runs an image.
fn table(index: &ImageIndex) -> String {
    let rows: Vec<Value> = index
        .iter()
        .flat_map(|(image, users)| {
            users.iter().map(move |u| {
                json!({"image": image, "owner": u.owner.short(), "object": u.object.label()})
            })
        })
        .collect();
    let columns = [("IMAGE", "image"), ("OWNER", "owner"), ("OBJECT", "object")];
    report::rows_table(&rows, &columns, stdout_color())
}
