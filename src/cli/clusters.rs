//! Several clusters below one `--path`: which ones a command renders, `get clusters`, and the
//! header that names each cluster's part of the output.

use super::args::GetFormat;
use super::exit::SetupFailure;
use super::output::{pretty, print_data};
use fluxsim::discover::Discovery;
use fluxsim::model::OwnerKind;
use fluxsim::pipeline::{self, RunOptions};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::PathBuf;

/// The clusters to render: the one named `--cluster` (by name or synced folder), else all.
pub fn select(all: Vec<Discovery>, wanted: Option<&str>) -> Result<Vec<Discovery>, SetupFailure> {
    let Some(wanted) = wanted else {
        return Ok(all);
    };
    let names: Vec<String> = all.iter().map(|d| d.name.clone()).collect();
    let chosen: Vec<Discovery> = all
        .into_iter()
        .filter(|d| d.name == wanted || d.sync_path.to_string_lossy() == wanted)
        .collect();
    if chosen.is_empty() {
        return Err(
            SetupFailure::new(format!("--cluster {wanted}: no such cluster below --path"))
                .with_hint(format!("the clusters are: {}", names.join(", "))),
        );
    }
    Ok(chosen)
}

fn rows(clusters: &[Discovery]) -> Vec<Value> {
    clusters
        .iter()
        .map(|d| {
            json!({
                "name": d.name,
                "path": d.sync_path.to_string_lossy(),
                "root": d.root.id.to_string(),
                "synthetic": d.synthetic,
                "foundBy": d.origin.describe(),
            })
        })
        .collect()
}

/// `fluxsim get clusters`.
pub fn get(clusters: &[Discovery], format: GetFormat) -> u8 {
    let rows = rows(clusters);
    match format {
        GetFormat::Json => print_data(&(pretty(&json!(rows)) + "\n")),
        GetFormat::Yaml => print_data(&fluxsim::yaml::to_yaml(&json!(rows))),
        GetFormat::Name => print_data(
            &clusters
                .iter()
                .map(|d| format!("{}\n", d.name))
                .collect::<String>(),
        ),
        GetFormat::Table | GetFormat::Wide => {
            let cells = rows
                .iter()
                .map(|r| {
                    ["name", "path", "root", "foundBy"]
                        .iter()
                        .map(|k| r[k].as_str().unwrap_or("").to_string())
                        .collect()
                })
                .collect();
            let header = ["NAME", "PATH", "ROOT", "FOUND BY"];
            print_data(&fluxsim::report::plain_table(&header, cells))
        }
    }
}

/// `== cluster production (clusters/production) ==` on stderr before each cluster's output,
/// when a command renders several.
pub fn header(d: &Discovery) -> String {
    format!("== cluster {} ({}) ==\n", d.name, d.sync_path.display())
}

/// The Flux files (kind, path) each cluster of the repository applies, by synced folder: in
/// `plan` and `validate` a file another cluster applies is no orphan, even when `--cluster`
/// or `--path` chose one cluster only.
#[derive(Default)]
pub struct Reach(Vec<(PathBuf, FileSet)>);

type FileSet = BTreeSet<(OwnerKind, String)>;

impl Reach {
    /// Reconciles the Kustomizations of every cluster of the repository `chosen` belong to;
    /// nothing when it has only one.
    pub async fn of(opts: &RunOptions, chosen: &[Discovery]) -> Reach {
        let Some(first) = chosen.first() else {
            return Reach::default();
        };
        let all = pipeline::repository_clusters(first);
        if all.len() < 2 {
            return Reach::default();
        }
        let mut out = Vec::new();
        for d in &all {
            // A cluster that cannot be set up reports that in its own run.
            let files = pipeline::reached_files(opts, d).await.unwrap_or_default();
            out.push((d.sync_path.clone(), files));
        }
        Reach(out)
    }

    /// What the clusters other than `d` apply.
    pub fn elsewhere(&self, d: &Discovery) -> FileSet {
        self.0
            .iter()
            .filter(|(path, _)| *path != d.sync_path)
            .flat_map(|(_, files)| files.iter().cloned())
            .collect()
    }
}
