//! Formatter tests on the fixtures: structure, escaping and determinism (snapshots are the lead's job).

use super::super::checks::check;
use super::super::fixtures::{self, OwnerExt, ks};
use super::super::input::Scenario;
use super::super::report::validate_report;
use super::super::waves::plan;
use super::*;
use serde_json::json;

fn blocked_cluster() -> Scenario {
    let r = fixtures::root();
    let a = ks("flux-system", "a", json!({"wait": true}))
        .under(&r)
        .failed("bad <yaml> & \"quotes\"\u{1}");
    let b = ks(
        "flux-system",
        "b",
        json!({"wait": true, "dependsOn": [{"name": "a"}]}),
    )
    .under(&r);
    fixtures::cluster(vec![r, a, b])
}

#[test]
fn plan_text_is_a_tree_with_defaults_shown() {
    let input = fixtures::kube_prometheus_stack();
    let p = plan(&input.input());
    let f = check(&input.input(), &p);
    let text = plan_text(&p, &f, false);
    assert!(
        text.starts_with("Bootstrap plan: 6 owners in 4 waves, critical path 39m\n"),
        "{text}"
    );
    assert!(text.contains("Wave 2 (3 owners, worst case 5m)"), "{text}");
    assert!(
        text.contains("timeout 9m30s (default: interval - 30s)"),
        "{text}"
    );
    assert!(
        text.contains("timeout 5m (default: helm-controller default) · helm wait"),
        "{text}"
    );
    assert!(
        text.contains("waits for: ks/flux-system/flux-system, ks/flux-system/infrastructure"),
        "{text}"
    );
    assert!(text.contains("Critical path: 39m"), "{text}");
    assert!(!text.contains('\x1b'));
    assert!(plan_text(&p, &f, true).contains("\x1b[1m"));
    assert_eq!(
        text,
        plan_text(&plan(&input.input()), &check(&input.input(), &p), false)
    );
}

#[test]
fn plan_text_lists_cycles_and_findings() {
    let input = fixtures::cycle();
    let p = plan(&input.input());
    let text = plan_text(&p, &check(&input.input(), &p), false);
    assert!(text.contains("Cycles (excluded from waves)\n  ks/flux-system/a -> ks/flux-system/b -> ks/flux-system/a"), "{text}");
    assert!(
        text.contains("Unscheduled (wait on a cycle)\n  ks/flux-system/c"),
        "{text}"
    );
    assert!(
        text.contains("error[dependency-cycle] ks/flux-system/a:"),
        "{text}"
    );
}

#[test]
fn markdown_escapes_cells() {
    let input = fixtures::cycle();
    let p = plan(&input.input());
    let md = plan_markdown(&p, &check(&input.input(), &p));
    assert!(md.contains("| Wave | Owner | Timeout |"), "{md}");
    assert!(md.contains("### Cycles"), "{md}");
    for line in md.lines().filter(|l| l.starts_with("| error")) {
        // Severity, code, owner, message: exactly 5 unescaped pipes.
        assert_eq!(
            line.matches('|').count() - line.matches("\\|").count(),
            5,
            "{line}"
        );
    }
}

#[test]
fn json_has_stable_field_order() {
    let input = fixtures::vars();
    let p = plan(&input.input());
    let out = plan_json(&p, &check(&input.input(), &p));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let keys: Vec<&String> = v["plan"].as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "owners",
            "waves",
            "cycles",
            "unscheduled",
            "critical_path",
            "edges"
        ]
    );
    assert_eq!(
        v["plan"]["owners"][0]["timing"]["timeout"]["value"],
        "9m30s"
    );
    assert_eq!(v["plan"]["owners"][0]["timing"]["timeout"]["seconds"], 570);
    assert_eq!(v["findings"][0]["severity"], "warning");
}

#[test]
fn mermaid_and_dot_have_one_group_per_wave() {
    let input = fixtures::cycle();
    let p = plan(&input.input());
    let m = plan_mermaid(&p);
    assert!(
        m.starts_with("flowchart LR\n  subgraph wave0[\"Wave 0\"]\n"),
        "{m}"
    );
    assert!(m.contains("subgraph unscheduled"), "{m}");
    assert!(m.contains("-.->|\"parent, sourceRef\"|"), "{m}");
    assert!(m.contains("-->|\"dependsOn\"|"), "{m}");
    let d = plan_dot(&p);
    assert!(d.starts_with("digraph plan {"), "{d}");
    assert!(d.contains("subgraph cluster_wave0 {"), "{d}");
    assert!(d.contains("\"ks/flux-system/a\" [color=red];"), "{d}");
    assert!(
        d.contains("[label=\"parent, sourceRef\", style=dashed]"),
        "{d}"
    );
    assert!(d.trim_end().ends_with('}'));
}

#[test]
fn report_text_folds_blocked_under_root_cause() {
    let input = blocked_cluster();
    let p = plan(&input.input());
    let rep = validate_report(&input.input(), &p, &check(&input.input(), &p));
    let text = report_text(&rep, false);
    let expected_tail = "✗ ks/flux-system/a\n    render failed: bad <yaml> & \"quotes\"\u{1}\n    ⊘ ks/flux-system/b blocked\n";
    assert!(text.contains(expected_tail), "{text}");
    assert!(
        text.ends_with("\n1 passed, 1 failed, 1 skipped\n"),
        "{text}"
    );
}

#[test]
fn junit_escapes_and_counts() {
    let input = blocked_cluster();
    let p = plan(&input.input());
    let rep = validate_report(&input.input(), &p, &check(&input.input(), &p));
    let xml = report_junit(&rep);
    assert!(
        xml.contains("<testsuite name=\"fluxsim validate\" tests=\"3\" disabled=\"1\" errors=\"0\" failures=\"1\">"),
        "{xml}"
    );
    assert!(
        xml.contains("bad &lt;yaml&gt; &amp; &quot;quotes&quot;"),
        "{xml}"
    );
    assert!(!xml.contains('\u{1}'));
    assert!(
        xml.contains("<skipped message=\"blocked by ks/flux-system/a\"/>"),
        "{xml}"
    );
    assert!(xml.contains("name=\"flux-system/a\" classname=\"Kustomization.flux-system\" file=\"clusters/main/flux-system/a.yaml\""), "{xml}");
    let v: serde_json::Value = serde_json::from_str(&report_json(&rep)).unwrap();
    assert_eq!(v["summary"]["skipped"], 1);
    assert_eq!(v["entries"][1]["status"], "blocked");
    assert_eq!(v["entries"][0]["status"], "failed");
}
