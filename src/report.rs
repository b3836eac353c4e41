//! Human and machine views of a run: the `get ks` table and JSON, and the end-of-run summary.

use crate::graph::Status;
use crate::pipeline::Run;
use crate::snapshot;
use comfy_table::{Cell, Color, ContentArrangement, Table, presets};
use serde_json::{Value, json};

/// One row per Kustomization (synthetic root excluded), in output order.
pub fn kustomization_rows(run: &Run) -> Vec<Value> {
    snapshot::ordered(run)
        .filter(|(_, n)| !n.synthetic)
        .map(|(id, n)| {
            let status = run
                .analysis
                .status
                .get(id)
                .cloned()
                .unwrap_or(Status::Rendered);
            json!({
                "name": id.name,
                "namespace": id.namespace,
                "path": n.ks.spec.path,
                "source": crate::flux::source_display(&n.ks.source()),
                "parent": n.parent.as_ref().map(|p| p.to_string()),
                "file": n.file,
                "dependsOn": n.ks.dependencies().iter().map(|d| d.to_string()).collect::<Vec<_>>(),
                "status": status.label(),
                "message": status.message(),
                "objects": n.outcome.output().map_or(0, |o| o.objects.len()),
            })
        })
        .collect()
}

/// One row per HelmRelease, ordered by namespace/name.
pub fn release_rows(run: &Run) -> Vec<Value> {
    run.releases
        .values()
        .map(|hr| {
            let status = run
                .release_status
                .get(&hr.id)
                .cloned()
                .unwrap_or(Status::Rendered);
            let (version, from_cache) = match &hr.outcome {
                crate::releases::HrOutcome::Rendered(r) => {
                    (Some(r.chart.version.clone()), r.from_cache)
                }
                _ => (None, false),
            };
            json!({
                "name": hr.id.name,
                "namespace": hr.id.namespace,
                "kustomization": hr.parent.to_string(),
                "file": hr.file,
                "chart": hr.chart,
                "version": version,
                "status": status.label(),
                "message": status.message(),
                "objects": hr.outcome.objects().len(),
                "fromCache": from_cache,
            })
        })
        .collect()
}

pub fn kustomization_table(run: &Run, color: bool) -> String {
    owner_table(&kustomization_rows(run), ("PATH", "path"), color)
}

pub fn release_table(run: &Run, color: bool) -> String {
    owner_table(&release_rows(run), ("CHART", "chart"), color)
}

/// The `get` table: namespace, name, one owner-specific column, objects, status, message.
fn owner_table(rows: &[Value], (header, field): (&str, &str), color: bool) -> String {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                text(&r["namespace"]),
                text(&r["name"]),
                text(&r[field]),
                r["objects"].to_string(),
                text(&r["status"]),
                first_line(&text(&r["message"])).to_string(),
            ]
        })
        .collect();
    let header = ["NAMESPACE", "NAME", header, "OBJECTS", "STATUS", "MESSAGE"];
    table(&header, cells, 4, color)
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or("").to_string()
}

/// A borderless table like kubectl's; the status column is coloured on a terminal.
fn table(header: &[&str], rows: Vec<Vec<String>>, status_col: usize, color: bool) -> String {
    let mut t = Table::new();
    t.load_preset(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(header.to_vec());
    for row in rows {
        let cells: Vec<Cell> = row
            .into_iter()
            .enumerate()
            .map(|(i, v)| {
                let c = Cell::new(&v);
                if color && i == status_col {
                    c.fg(match v.as_str() {
                        "rendered" => Color::Green,
                        "failed" => Color::Red,
                        _ => Color::Yellow,
                    })
                } else {
                    c
                }
            })
            .collect();
        t.add_row(cells);
    }
    let mut s = t.to_string();
    // comfy-table pads the first column with a leading space in the NOTHING preset.
    s = s
        .lines()
        .map(|l| l.strip_prefix(' ').unwrap_or(l).trim_end())
        .collect::<Vec<_>>()
        .join("\n");
    s.push('\n');
    s
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

/// Owners per status, and the objects they render.
#[derive(Default)]
pub struct Counts {
    pub total: usize,
    pub rendered: usize,
    pub failed: usize,
    pub blocked: usize,
    pub unavailable: usize,
    pub objects: usize,
}

impl Counts {
    fn add(&mut self, status: Option<&Status>, objects: usize) {
        self.total += 1;
        self.objects += objects;
        match status {
            Some(Status::Failed(_)) => self.failed += 1,
            Some(Status::Blocked(_)) => self.blocked += 1,
            Some(Status::Unavailable(_)) => self.unavailable += 1,
            _ => self.rendered += 1,
        }
    }
}

/// Kustomizations per status (the synthetic sync of --path excluded).
pub fn counts(run: &Run) -> Counts {
    let mut c = Counts::default();
    for n in run.real_kustomizations() {
        let objects = n.outcome.output().map_or(0, |o| o.objects.len());
        c.add(run.analysis.status.get(&n.ks.id), objects);
    }
    c
}

/// HelmReleases per status.
pub fn release_counts(run: &Run) -> Counts {
    let mut c = Counts::default();
    for hr in run.releases.values() {
        c.add(run.release_status.get(&hr.id), hr.outcome.objects().len());
    }
    c
}

/// `-v`: one line per build with its time, whether the cache served it, and its object count.
pub fn timings(run: &Run) -> String {
    let mut out = String::new();
    for (id, n) in snapshot::ordered(run) {
        let (objects, cached) = n
            .outcome
            .output()
            .map_or((0, false), |o| (o.objects.len(), o.from_cache));
        out.push_str(&format!(
            "  Kustomization {id}: {objects} objects in {:.3}s{}\n",
            n.elapsed.as_secs_f64(),
            if cached { " (cached)" } else { "" }
        ));
    }
    for hr in run.releases.values() {
        if let crate::releases::HrOutcome::Rendered(r) = &hr.outcome {
            out.push_str(&format!(
                "  HelmRelease {}: {} objects, chart {} {}{}\n",
                hr.id,
                r.objects.len(),
                r.chart.name,
                r.chart.version,
                if r.from_cache { " (cached)" } else { "" }
            ));
        }
    }
    out
}

/// `✗ failed`, `⊘ blocked` or `? unavailable`, coloured by `paint`.
fn status_label(status: &Status, paint: &dyn Fn(String, &str) -> String) -> String {
    match status {
        Status::Failed(_) => paint("✗ failed".into(), "31"),
        Status::Blocked(_) => paint("⊘ blocked".into(), "33"),
        _ => paint("? unavailable".into(), "33"),
    }
}

/// The end-of-run summary for stderr: one line of counts, then each problem with its cause.
pub fn summary(run: &Run, color: bool) -> String {
    let c = counts(run);
    let paint = |s: String, code: &str| {
        if color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s
        }
    };
    let mut out = String::new();
    for (id, n) in snapshot::ordered(run) {
        let Some(status) = run.analysis.status.get(id) else {
            continue;
        };
        if matches!(status, Status::Rendered) {
            continue;
        }
        let where_ = n
            .file
            .as_deref()
            .map(|f| format!(" ({f})"))
            .unwrap_or_default();
        let label = status_label(status, &paint);
        out.push_str(&format!(
            "{label} Kustomization {id}{where_}: {}\n",
            status.message()
        ));
    }
    for p in &run.render.problems {
        out.push_str(&format!("{} {p}\n", paint("✗".into(), "31")));
    }
    for n in run.render.kustomizations.values() {
        for w in n
            .outcome
            .output()
            .map(|o| o.warnings.as_slice())
            .unwrap_or_default()
        {
            out.push_str(&format!(
                "{} Kustomization {}: {w}\n",
                paint("!".into(), "33"),
                n.ks.id
            ));
        }
    }
    for (id, status) in &run.release_status {
        if matches!(status, Status::Rendered) {
            continue;
        }
        let label = status_label(status, &paint);
        out.push_str(&format!("{label} HelmRelease {id}: {}\n", status.message()));
    }
    for hr in run.releases.values() {
        for w in &hr.warnings {
            out.push_str(&format!(
                "{} HelmRelease {}: {w}\n",
                paint("!".into(), "33"),
                hr.id
            ));
        }
    }
    let h = release_counts(run);
    let mut line = format!(
        "{} of {} Kustomizations rendered ({} objects); {} failed, {} blocked, {} unavailable offline",
        c.rendered, c.total, c.objects, c.failed, c.blocked, c.unavailable,
    );
    if h.total > 0 {
        line.push_str(&format!(
            "\n{} of {} HelmReleases rendered ({} objects); {} failed, {} blocked, {} chart not available offline",
            h.rendered, h.total, h.objects, h.failed, h.blocked, h.unavailable
        ));
    }
    line.push_str(&format!("; {:.2}s", run.render.wall_time.as_secs_f64()));
    out.push_str(&line);
    out.push('\n');
    if let Some(c) = &run.changed_only {
        out.push_str(&changed_only_line(c));
    }
    out
}

/// `changed-only: 2 files changed; …`: what the report leaves out and why.
fn changed_only_line(c: &crate::pipeline::ChangedOnly) -> String {
    let built = c
        .hidden
        .values()
        .filter(|n| !matches!(n.outcome, crate::engine::Outcome::Unchanged(_)))
        .count();
    let scope = if c.everything {
        "a change no file map can follow (ignore rules or a chart folder) selects everything"
            .to_string()
    } else {
        format!(
            "{} Kustomizations and {} HelmReleases affected; {} Kustomizations not shown ({} of them built to find what they hold)",
            c.selected_ks.len(),
            c.selected_hr.len(),
            c.hidden.len(),
            built
        )
    };
    format!("changed-only: {} files changed; {scope}\n", c.changed.len())
}
