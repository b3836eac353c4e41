//! `plan` + checks on a generated 2,000-owner graph: time and peak memory.
//! `cargo bench --bench plan`; under `cargo test` it runs on 100 owners as a smoke test.

use fluxsim::plan::{ClusterInput, check, plan, synthetic_input};
use std::time::Instant;

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let n = if bench { 2000 } else { 100 };
    let scenario = synthetic_input(n, 7);
    let objects: usize = scenario.cluster.all().map(|o| o.objects.len()).sum();
    let started = Instant::now();
    // What a run does after rendering: the graph once, then the plan and the checks on it.
    let analysis = fluxsim::graph::analyze(&scenario.cluster);
    let input = ClusterInput {
        analysis: &analysis,
        ..scenario.input()
    };
    let p = plan(&input);
    let planned = started.elapsed();
    let findings = check(&input, &p);
    let total = started.elapsed();
    println!(
        "plan: {n} owners ({objects} objects): plan {:.3} s, plan+checks {:.3} s, {} waves, {} findings, peak {:.1} MB",
        planned.as_secs_f64(),
        total.as_secs_f64(),
        p.waves.len(),
        findings.len(),
        peak_rss_mb()
    );
}
