//! Several clusters below one `--path`: which ones a command renders, `get clusters`, and the
//! header that names each cluster's part of the output.

use super::args::GetFormat;
use super::exit::SetupFailure;
use super::output::{pretty, print_data};
use fluxsim::discover::Discovery;
use serde_json::{Value, json};

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
