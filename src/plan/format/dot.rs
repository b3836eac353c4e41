//! The plan as Graphviz DOT: one cluster per wave, dependsOn solid, implicit edges dashed.

use std::fmt::Write;

use super::super::model::Plan;

/// A DOT double-quoted string.
fn quoted(s: &str) -> String {
    format!(
        "\"{}\"",
        s.replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n")
    )
}

pub fn plan_dot(plan: &Plan) -> String {
    let mut out = String::from("digraph plan {\n  rankdir=LR;\n  node [shape=box];\n");
    for wave in &plan.waves {
        let _ = writeln!(out, "  subgraph cluster_wave{} {{", wave.index);
        let _ = writeln!(
            out,
            "    label={};",
            quoted(&format!(
                "Wave {} (worst case {})",
                wave.index, wave.worst_case
            ))
        );
        for id in &wave.owners {
            let _ = writeln!(out, "    {};", quoted(&id.short()));
        }
        let _ = writeln!(out, "  }}");
    }
    for c in &plan.cycles {
        for id in &c.members {
            let _ = writeln!(out, "  {} [color=red];", quoted(&id.short()));
        }
    }
    for u in &plan.unscheduled {
        let _ = writeln!(out, "  {} [color=gray];", quoted(&u.owner.short()));
    }
    for e in &plan.edges {
        let mut labels: Vec<&str> = e.reasons.iter().map(|r| r.label()).collect();
        labels.dedup();
        let style = if e.reasons.iter().any(|r| !r.is_implicit()) {
            ""
        } else {
            ", style=dashed"
        };
        let _ = writeln!(
            out,
            "  {} -> {} [label={}{style}];",
            quoted(&e.from.short()),
            quoted(&e.to.short()),
            quoted(&labels.join(", "))
        );
    }
    out.push_str("}\n");
    out
}
