//! Human and machine views of a run: the `get ks` table and JSON, and the end-of-run summary.
//! Functions return text; the CLI prints it.

use crate::model::{Outcome, OwnerRecord, SkipReason};
use crate::pipeline::Run;
use crate::snapshot;
use crate::text::count;
use comfy_table::{Cell, Color, ContentArrangement, Table, presets};
use serde_json::{Value, json};

/// One row per Kustomization (synthetic root excluded), in output order.
pub fn kustomization_rows(run: &Run) -> Vec<Value> {
    snapshot::ordered(run)
        .filter(|r| !r.synthetic)
        .map(|r| {
            let ks = r.kustomization.as_ref();
            json!({
                "name": r.id.name,
                "namespace": r.id.namespace,
                "path": ks.and_then(|k| k.spec.path.clone()),
                "source": ks.map(|k| crate::flux::source_display(&k.source())),
                "parent": r.parent.as_ref().map(|p| p.name().to_string()),
                "file": r.file,
                "dependsOn": ks.map(|k| k.dependencies().iter().map(|d| d.to_string()).collect::<Vec<_>>()).unwrap_or_default(),
                "status": r.outcome.label(),
                "message": r.outcome.message(),
                "objects": r.objects.len(),
            })
        })
        .collect()
}

/// One row per HelmRelease, ordered by namespace/name.
pub fn release_rows(run: &Run) -> Vec<Value> {
    run.cluster
        .releases()
        .map(|hr| {
            let chart = hr.chart.clone().unwrap_or_default();
            let version = chart.version.filter(|_| hr.outcome == Outcome::Rendered);
            json!({
                "name": hr.id.name,
                "namespace": hr.id.namespace,
                "kustomization": hr.parent.as_ref().map(|p| p.name().to_string()),
                "file": hr.file,
                "chart": chart.requested,
                "version": version,
                "status": hr.outcome.label(),
                "message": hr.outcome.message(),
                "objects": hr.objects.len(),
                "fromCache": hr.from_cache,
            })
        })
        .collect()
}

/// Columns of the `get ks` table: (header, row field).
pub const KUSTOMIZATION_COLUMNS: [(&str, &str); 6] = [
    ("NAMESPACE", "namespace"),
    ("NAME", "name"),
    ("PATH", "path"),
    ("OBJECTS", "objects"),
    ("STATUS", "status"),
    ("MESSAGE", "message"),
];

/// Columns of the `get hr` table: (header, row field).
pub const RELEASE_COLUMNS: [(&str, &str); 6] = [
    ("NAMESPACE", "namespace"),
    ("NAME", "name"),
    ("CHART", "chart"),
    ("OBJECTS", "objects"),
    ("STATUS", "status"),
    ("MESSAGE", "message"),
];

pub fn kustomization_table(run: &Run, color: bool) -> String {
    rows_table(&kustomization_rows(run), &KUSTOMIZATION_COLUMNS, color)
}

pub fn release_table(run: &Run, color: bool) -> String {
    rows_table(&release_rows(run), &RELEASE_COLUMNS, color)
}

/// A `get` table of `rows` (as [`kustomization_rows`] makes them): one column per (header,
/// field); lists print comma separated, messages their first line, and a `status` column is
/// coloured on a terminal.
pub fn rows_table(rows: &[Value], columns: &[(&str, &str)], color: bool) -> String {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            columns
                .iter()
                .map(|(_, field)| match *field {
                    "message" => first_line(&text(&r[field])).to_string(),
                    _ => text(&r[field]),
                })
                .collect()
        })
        .collect();
    let header: Vec<&str> = columns.iter().map(|(h, _)| *h).collect();
    let status = columns.iter().position(|(_, f)| *f == "status");
    table(&header, cells, status, color)
}

/// A cell: strings as they are, numbers in decimal, lists comma separated, null empty.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Array(items) => items.iter().map(text).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

/// A borderless table like kubectl's, without colour.
pub fn plain_table(header: &[&str], rows: Vec<Vec<String>>) -> String {
    table(header, rows, None, false)
}

/// A borderless table like kubectl's; the status column is coloured on a terminal.
fn table(
    header: &[&str],
    rows: Vec<Vec<String>>,
    status_col: Option<usize>,
    color: bool,
) -> String {
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
                if color && Some(i) == status_col {
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
    fn add(&mut self, r: &OwnerRecord) {
        self.total += 1;
        self.objects += r.objects.len();
        match r.outcome {
            Outcome::Failed(_) => self.failed += 1,
            Outcome::Blocked(_) => self.blocked += 1,
            Outcome::Skipped(_) => self.unavailable += 1,
            _ => self.rendered += 1,
        }
    }
}

/// Kustomizations per status (the synthetic sync of --path excluded).
pub fn counts(run: &Run) -> Counts {
    let mut c = Counts::default();
    run.cluster
        .kustomizations()
        .filter(|r| !r.synthetic)
        .for_each(|r| c.add(r));
    c
}

/// HelmReleases per status.
pub fn release_counts(run: &Run) -> Counts {
    let mut c = Counts::default();
    run.cluster.releases().for_each(|r| c.add(r));
    c
}

/// `-v`: one line per build with its time (waiting for a slot apart), whether the cache served
/// it, and its object count.
pub fn timings(run: &Run) -> String {
    let mut out = String::new();
    for r in snapshot::ordered(run) {
        let t = r.timing;
        out.push_str(&format!(
            "  Kustomization {}: {} in {:.3}s{}{}\n",
            r.id.name(),
            count(r.objects.len(), "object"),
            t.run.as_secs_f64(),
            if t.queued.is_zero() {
                String::new()
            } else {
                format!(" (+{:.3}s queued)", t.queued.as_secs_f64())
            },
            if r.from_cache { " (cached)" } else { "" }
        ));
    }
    for hr in run.cluster.releases() {
        if let (Outcome::Rendered, Some(chart)) = (&hr.outcome, &hr.chart) {
            out.push_str(&format!(
                "  HelmRelease {}: {}, chart {} {}{}\n",
                hr.id.name(),
                count(hr.objects.len(), "object"),
                chart.name.as_deref().unwrap_or(""),
                chart.version.as_deref().unwrap_or(""),
                if hr.from_cache { " (cached)" } else { "" }
            ));
        }
    }
    out
}

/// `✗ failed`, `⊘ blocked` or `? unavailable`, coloured by `paint`.
fn status_label(outcome: &Outcome, paint: &dyn Fn(&str, Color) -> String) -> String {
    match outcome {
        Outcome::Failed(_) => paint("✗ failed", Color::Red),
        Outcome::Blocked(_) => paint("⊘ blocked", Color::Yellow),
        _ => paint("? unavailable", Color::Yellow),
    }
}

/// The synthetic sync of --path, when it failed (nothing below it is known then).
fn failed_root(run: &Run) -> Option<&OwnerRecord> {
    run.cluster
        .kustomizations()
        .find(|r| r.synthetic && r.outcome.is_failure())
}

/// The end-of-run summary for stderr: each problem with its cause, then one line of counts.
pub fn summary(run: &Run, color: bool) -> String {
    let c = counts(run);
    let paint = |s: &str, c: Color| paint(s, c, color);
    let mut out = String::new();
    for r in snapshot::ordered(run).filter(|r| !r.outcome.is_rendered()) {
        let where_ = r
            .file
            .as_deref()
            .map(|f| format!(" ({f})"))
            .unwrap_or_default();
        let label = status_label(&r.outcome, &paint);
        out.push_str(&format!(
            "{label} Kustomization {}{where_}: {}\n",
            r.id.name(),
            r.outcome.message()
        ));
    }
    for d in &run.cluster.diagnostics {
        out.push_str(&format!("{} {}\n", paint("✗", Color::Red), d.message));
    }
    for r in run.cluster.kustomizations() {
        for d in &r.diagnostics {
            let bang = paint("!", Color::Yellow);
            out.push_str(&format!(
                "{bang} Kustomization {}: {}\n",
                r.id.name(),
                d.message
            ));
        }
    }
    let not_cached = |r: &&OwnerRecord| matches!(&r.outcome, Outcome::Skipped(s) if s.reason == SkipReason::ChartNotCached);
    let uncached = run.cluster.releases().filter(not_cached).count();
    // One line for many uncached charts: the cure is the same for all of them.
    let collapse = uncached > 1;
    for r in run.cluster.releases().filter(|r| !r.outcome.is_rendered()) {
        if collapse && not_cached(&r) {
            continue;
        }
        let label = status_label(&r.outcome, &paint);
        out.push_str(&format!(
            "{label} HelmRelease {}: {}\n",
            r.id.name(),
            r.outcome.message()
        ));
    }
    if collapse {
        out.push_str(&format!(
            "{} {} need charts that are not cached: run once with network to fill the cache (`fluxsim get hr` lists them)\n",
            paint("? unavailable", Color::Yellow),
            count(uncached, "HelmRelease")
        ));
    }
    for r in run.cluster.releases() {
        for d in &r.diagnostics {
            let bang = paint("!", Color::Yellow);
            out.push_str(&format!(
                "{bang} HelmRelease {}: {}\n",
                r.id.name(),
                d.message
            ));
        }
    }
    let h = release_counts(run);
    let mut line = match failed_root(run) {
        // "0 of 0 rendered; 0 failed" would hide that nothing was seen at all.
        Some(root) if c.total == 0 => format!(
            "the root Kustomization {} failed to build, so nothing below it was rendered",
            root.id.name()
        ),
        _ => format!(
            "{} of {} rendered ({}); {} failed, {} blocked, {} unavailable offline",
            c.rendered,
            count(c.total, "Kustomization"),
            count(c.objects, "object"),
            c.failed,
            c.blocked,
            c.unavailable,
        ),
    };
    if h.total > 0 {
        line.push_str(&format!(
            "\n{} of {} rendered ({}); {} failed, {} blocked, {} unavailable offline",
            h.rendered,
            count(h.total, "HelmRelease"),
            count(h.objects, "object"),
            h.failed,
            h.blocked,
            h.unavailable
        ));
    }
    line.push_str(&format!("; {:.2}s", run.wall_time.as_secs_f64()));
    out.push_str(&line);
    out.push('\n');
    if let Some(c) = &run.changed_only {
        out.push_str(&changed_only_line(run, c));
    }
    out
}

/// Colours `s` as a terminal shows it, when `color`.
pub fn paint(s: &str, c: Color, color: bool) -> String {
    use owo_colors::OwoColorize;
    match (color, c) {
        (false, _) => s.to_string(),
        (true, Color::Red) => s.red().to_string(),
        (true, Color::Green) => s.green().to_string(),
        (true, _) => s.yellow().to_string(),
    }
}

/// `changed-only: 2 files changed; …`: what the report leaves out and why.
fn changed_only_line(run: &Run, c: &crate::pipeline::ChangedOnlySummary) -> String {
    let hidden = &run.cluster.hidden;
    let built = hidden
        .values()
        .filter(|r| !matches!(r.outcome, Outcome::Unchanged))
        .count();
    let scope = if c.everything {
        "a change no file map can follow (ignore rules or a chart folder) selects everything"
            .to_string()
    } else {
        format!(
            "{} and {} affected; {} not shown ({built} of them built to find what they hold)",
            count(c.selected_ks.len(), "Kustomization"),
            count(c.selected_hr.len(), "HelmRelease"),
            count(hidden.len(), "Kustomization"),
        )
    };
    format!(
        "changed-only: {} changed; {scope}\n",
        count(c.changed.len(), "file")
    )
}
