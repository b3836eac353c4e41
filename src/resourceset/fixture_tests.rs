//! Rendering the `resourceset` fixture's ResourceSet with the providers the fixture defines.

use std::fs;
use std::path::Path;

use serde_json::{Value, json};

use super::*;

fn fixture_objects() -> Vec<Value> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/repos/resourceset/tenants");
    ["providers.yaml", "resourceset.yaml"]
        .iter()
        .flat_map(|f| {
            crate::yaml::parse_documents(&fs::read_to_string(dir.join(f)).unwrap()).unwrap()
        })
        .collect()
}

#[test]
fn fixture_resource_set_renders_sources_kustomizations_and_a_plain_app() {
    let objects = fixture_objects();
    let rset = objects
        .iter()
        .find(|o| crate::object::kind(o) == "ResourceSet")
        .unwrap();
    let providers = |r: &ProviderRef| objects.iter().filter(|o| r.matches(o)).cloned().collect();
    let r = render(rset, &providers).unwrap();
    let ids: Vec<String> = r
        .objects
        .iter()
        .map(|o| {
            format!(
                "{}/{}/{}",
                crate::object::kind(o),
                crate::object::namespace(o).unwrap_or("-"),
                crate::object::name(o)
            )
        })
        .collect();
    assert_eq!(
        ids,
        vec![
            "GitRepository/flux-system/team-a",
            "GitRepository/flux-system/team-b",
            "Kustomization/flux-system/team-a",
            "Kustomization/flux-system/team-b",
            "Namespace/-/team-a",
            "Namespace/-/team-b",
            "Deployment/team-a/web",
            "Deployment/team-b/web",
            "Service/team-a/web",
            "Service/team-b/web",
            "ConfigMap/team-a/components",
            "ConfigMap/team-b/components",
        ]
    );
    assert_eq!(
        r.unavailable,
        vec!["flux-system/tenant-previews (GitHubPullRequest)"]
    );
    let ks = &r.objects[2];
    assert_eq!(
        ks["spec"]["postBuild"]["substitute"],
        json!({"DOMAIN": "team-a.home.example.com", "TIER": "gold"})
    );
    assert_eq!(
        ks["spec"]["sourceRef"],
        json!({"kind": "GitRepository", "name": "team-a"})
    );
    assert_eq!(
        ks["metadata"]["labels"]["app.kubernetes.io/managed-by"],
        json!("tenants")
    );
    assert_eq!(r.objects[6]["spec"]["replicas"], json!(2));
    assert_eq!(
        r.objects[10]["data"],
        json!({"component-0": "api", "component-1": "worker"})
    );
    assert_eq!(r.objects[11]["data"], json!({"component-0": "api"}));
}
