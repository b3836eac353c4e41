//! The plan as a Mermaid flowchart: one subgraph per wave, dependsOn as solid arrows, implicit edges dotted.

use std::collections::HashMap;
use std::fmt::Write;

use super::super::model::Plan;
use crate::model::OwnerId;

/// Mermaid labels are quoted; `"` must be an entity and `<`/`>` would be read as HTML.
fn label(s: &str) -> String {
    s.replace('"', "#quot;")
        .replace('<', "#lt;")
        .replace('>', "#gt;")
}

pub fn plan_mermaid(plan: &Plan) -> String {
    let ids: HashMap<&OwnerId, usize> = plan
        .owners
        .iter()
        .enumerate()
        .map(|(i, o)| (&o.id, i))
        .collect();
    let mut out = String::from("flowchart LR\n");
    for wave in &plan.waves {
        let _ = writeln!(
            out,
            "  subgraph wave{}[\"Wave {}\"]",
            wave.index, wave.index
        );
        for id in &wave.owners {
            if let Some(i) = ids.get(id) {
                let _ = writeln!(out, "    n{i}[\"{}\"]", label(&id.short()));
            }
        }
        let _ = writeln!(out, "  end");
    }
    let stuck: Vec<&OwnerId> = plan
        .cycles
        .iter()
        .flat_map(|c| &c.members)
        .chain(plan.unscheduled.iter().map(|u| &u.owner))
        .collect();
    if !stuck.is_empty() {
        let _ = writeln!(out, "  subgraph unscheduled[\"Cycles and blocked\"]");
        for id in stuck {
            if let Some(i) = ids.get(id) {
                let _ = writeln!(out, "    n{i}[\"{}\"]", label(&id.short()));
            }
        }
        let _ = writeln!(out, "  end");
    }
    for e in &plan.edges {
        let (Some(a), Some(b)) = (ids.get(&e.from), ids.get(&e.to)) else {
            continue;
        };
        let mut labels: Vec<&str> = e.reasons.iter().map(|r| r.label()).collect();
        labels.dedup();
        let text = label(&labels.join(", "));
        if e.reasons.iter().any(|r| !r.is_implicit()) {
            let _ = writeln!(out, "  n{a} -->|\"{text}\"| n{b}");
        } else {
            let _ = writeln!(out, "  n{a} -.->|\"{text}\"| n{b}");
        }
    }
    out
}
