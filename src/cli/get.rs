//! `get ks`, `get hr` and `get images`: the rendered cluster's owners (or images) as a table,
//! `kind/namespace/name` lines, YAML or JSON, with flux-local's and flate's selection flags.

use super::args::{GetArgs, GetFormat, GetWhat, GlobalArgs};
use super::filters::OwnerFilter;
use super::output::{Printer, pretty, stdout_color};
use super::{EXIT_SETUP, compat, images};
use fluxsim::model::{OwnerId, OwnerKind};
use fluxsim::pipeline::Run;
use fluxsim::{report, yaml};
use serde_json::{Value, json};

pub fn run(run: &Run, what: &GetWhat, g: &GlobalArgs) -> u8 {
    match what {
        GetWhat::Ks(a) => owners(run, OwnerKind::Kustomization, a, g),
        GetWhat::Hr(a) => owners(run, OwnerKind::HelmRelease, a, g),
        GetWhat::Images(a) => images::get(run, a, g),
        // Listed before any run (see cli::clusters).
        GetWhat::Clusters(_) => EXIT_SETUP,
    }
}

/// `-o wide` for Kustomizations: the table plus where each one comes from and waits for.
const KUSTOMIZATION_WIDE: [(&str, &str); 10] = [
    ("NAMESPACE", "namespace"),
    ("NAME", "name"),
    ("PATH", "path"),
    ("SOURCE", "source"),
    ("PARENT", "parent"),
    ("FILE", "file"),
    ("DEPENDS-ON", "dependsOn"),
    ("OBJECTS", "objects"),
    ("STATUS", "status"),
    ("MESSAGE", "message"),
];

/// `-o wide` for HelmReleases: the table plus the rendered version and where it is defined.
const RELEASE_WIDE: [(&str, &str); 9] = [
    ("NAMESPACE", "namespace"),
    ("NAME", "name"),
    ("CHART", "chart"),
    ("VERSION", "version"),
    ("KUSTOMIZATION", "kustomization"),
    ("FILE", "file"),
    ("OBJECTS", "objects"),
    ("STATUS", "status"),
    ("MESSAGE", "message"),
];

fn owners(run: &Run, kind: OwnerKind, a: &GetArgs, g: &GlobalArgs) -> u8 {
    let filter = OwnerFilter::new(
        Some(kind),
        a.name.as_deref(),
        &a.scope,
        &compat::source_filter(g),
    );
    let rows: Vec<Value> = match kind {
        OwnerKind::Kustomization => report::kustomization_rows(run),
        OwnerKind::HelmRelease => report::release_rows(run),
    }
    .into_iter()
    .filter(|row| filter.keeps_id(&run.cluster, &row_id(kind, row)))
    .collect();
    let out = Printer::new(run);
    if let (Some(name), true) = (&a.name, rows.is_empty()) {
        out.message(&format!("error: no {kind} named {name}\n"));
        return EXIT_SETUP;
    }
    let text = match (a.output, kind) {
        (GetFormat::Table, OwnerKind::Kustomization) => {
            report::rows_table(&rows, &report::KUSTOMIZATION_COLUMNS, stdout_color())
        }
        (GetFormat::Table, OwnerKind::HelmRelease) => {
            report::rows_table(&rows, &report::RELEASE_COLUMNS, stdout_color())
        }
        (GetFormat::Wide, OwnerKind::Kustomization) => {
            report::rows_table(&rows, &KUSTOMIZATION_WIDE, stdout_color())
        }
        (GetFormat::Wide, OwnerKind::HelmRelease) => {
            report::rows_table(&rows, &RELEASE_WIDE, stdout_color())
        }
        (GetFormat::Name, _) => names(kind, &rows),
        (GetFormat::Json, _) => pretty(&json!(rows)) + "\n",
        (GetFormat::Yaml, _) => yaml::to_yaml(&json!(rows)),
    };
    out.data(&text)
}

/// The owner a `get` row describes.
fn row_id(kind: OwnerKind, row: &Value) -> OwnerId {
    let field = |f: &str| row[f].as_str().unwrap_or("").to_string();
    OwnerId::new(kind, &field("namespace"), &field("name"))
}

/// `kustomization/flux-system/apps` per line, as `kubectl get -o name` names objects (with the
/// namespace, which a Flux owner's name needs).
fn names(kind: OwnerKind, rows: &[Value]) -> String {
    let kind = kind.as_str().to_lowercase();
    rows.iter()
        .map(|r| {
            let id = row_id(OwnerKind::Kustomization, r);
            format!("{kind}/{}/{}\n", id.namespace, id.name)
        })
        .collect()
}
