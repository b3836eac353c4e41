//! Schema checks: catalog load, first pass (finds and compiles each kind's schema) and a warm
//! pass over synthetic rendered objects (built-in kinds and a learned CRD), with peak memory.
//! `cargo bench --bench schema_check`; under `cargo test` it runs on 100 objects as a smoke test.

use fluxsim::schema::{Catalog, Checked};
use serde_json::{Value, json};
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

/// The objects of one app, as a Kustomization or a chart renders them.
fn app(index: usize) -> Vec<Value> {
    let name = format!("app-{index}");
    let labels = json!({"app.kubernetes.io/name": name, "app.kubernetes.io/instance": name});
    vec![
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": "apps", "labels": labels},
            "spec": {"replicas": 1, "selector": {"matchLabels": labels},
                "strategy": {"rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}},
                "template": {"metadata": {"labels": labels, "creationTimestamp": null},
                    "spec": {"containers": [{"name": "app", "image": "ghcr.io/example/app:1.0",
                        "ports": [{"name": "http", "containerPort": 8080}],
                        "env": [{"name": "TZ", "value": "UTC"}],
                        "livenessProbe": {"httpGet": {"path": "/healthz", "port": "http"}},
                        "resources": {"requests": {"cpu": "10m", "memory": "64Mi"},
                                      "limits": {"memory": "256Mi"}}}]}}}}),
        json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "namespace": "apps", "labels": labels},
            "spec": {"selector": labels, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}}),
        json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": format!("{name}-config"), "namespace": "apps"},
            "data": {"LOG_LEVEL": "info", "TZ": "UTC"}}),
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": name, "namespace": "apps"},
            "spec": {"rules": [{"host": format!("{name}.example.com"), "http": {"paths": [{"path": "/",
                "pathType": "Prefix", "backend": {"service": {"name": name, "port": {"name": "http"}}}}]}}]}}),
        json!({"apiVersion": "fixtures.fluxsim.dev/v1", "kind": "Gadget",
            "metadata": {"name": name, "namespace": "apps"},
            "spec": {"size": 3, "mode": "Fast", "port": 8080, "resources": {"memory": "1Gi"}}}),
    ]
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let wanted = if bench { 1000 } else { 100 };
    let objects: Vec<Value> = (0..).flat_map(app).take(wanted).collect();
    let crd_path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/charts/gadgets/crds/gadgets.fixtures.fluxsim.dev.yaml"
    );
    let crd = fluxsim::yaml::parse_one(&std::fs::read_to_string(crd_path).expect("the test CRD"))
        .expect("the CRD parses");

    let started = Instant::now();
    let mut catalog = Catalog::builtin(None).expect("built-in catalog");
    catalog.learn_crd(&crd).expect("learns the CRD");
    let loaded = started.elapsed();
    let first = Instant::now();
    let valid = objects
        .iter()
        .filter(|o| matches!(catalog.check(o), Checked::Valid))
        .count();
    let first = first.elapsed();
    let warm = Instant::now();
    for object in &objects {
        std::hint::black_box(catalog.check(object));
    }
    let warm = warm.elapsed();
    assert_eq!(valid, objects.len(), "every synthetic object is valid");
    println!(
        "schema_check: {} objects: catalog load {:.1} ms, first pass (compile + check) {:.1} ms, \
         warm pass {:.1} ms ({:.1} us/object), peak {:.1} MB",
        objects.len(),
        loaded.as_secs_f64() * 1e3,
        first.as_secs_f64() * 1e3,
        warm.as_secs_f64() * 1e3,
        warm.as_secs_f64() * 1e6 / objects.len() as f64,
        peak_rss_mb()
    );
}
