//! ResourceSet rendering tests, built on the examples of Flux Operator's docs
//! (docs/api/v1/resourceset.md) and its builder testdata (`internal/builder/testdata/resourceset`).

use serde_json::{Value, json};

use super::*;
use crate::yaml::parse_one;

fn rs(text: &str) -> Value {
    parse_one(text).unwrap()
}

fn no_providers(_: &ProviderRef) -> Vec<Value> {
    Vec::new()
}

fn names(r: &Rendered) -> Vec<String> {
    r.objects
        .iter()
        .map(|o| format!("{}/{}", crate::object::kind(o), crate::object::name(o)))
        .collect()
}

const TENANTS: &str = r#"
apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSet
metadata: {name: podinfo, namespace: default}
spec:
  commonMetadata:
    labels: {app.kubernetes.io/name: podinfo}
  inputs:
    - tenant: "team1"
      app: {version: "6.7.x", replicas: 2}
      layerSelector:
        mediaType: "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
        operation: copy
    - tenant: "team2"
      app: {version: "6.6.x", replicas: 3}
      layerSelector: {operation: extract}
  resources:
    - apiVersion: source.toolkit.fluxcd.io/v1
      kind: OCIRepository
      metadata:
        name: podinfo
        namespace: default
      spec:
        url: oci://ghcr.io/stefanprodan/charts/podinfo
    - apiVersion: helm.toolkit.fluxcd.io/v2
      kind: HelmRelease
      metadata:
        name: podinfo-<< inputs.tenant >>
        namespace: default
        annotations:
          fluxcd.controlplane.io/reconcile: << if eq inputs.tenant "team1" >>enabled<< else >>disabled<< end >>
      spec:
        releaseName: podinfo-<< inputs.tenant >>
        layerSelector: << inputs.layerSelector | toYaml | nindent 4 >>
        values:
          replicaCount: << inputs.app.replicas | int >>
          version: << inputs.app.version | quote >>
"#;

#[test]
fn resources_render_per_input_set_with_dedup_exclusion_and_common_metadata() {
    let r = render(&rs(TENANTS), &no_providers).unwrap();
    // The shared OCIRepository once; team2's HelmRelease is disabled.
    assert_eq!(
        names(&r),
        vec!["OCIRepository/podinfo", "HelmRelease/podinfo-team1"]
    );
    let hr = &r.objects[1];
    assert_eq!(hr["spec"]["values"]["replicaCount"], json!(2));
    assert_eq!(hr["spec"]["values"]["version"], json!("6.7.x"));
    assert_eq!(hr["spec"]["layerSelector"]["operation"], json!("copy"));
    assert_eq!(
        hr["metadata"]["labels"]["app.kubernetes.io/name"],
        json!("podinfo")
    );
    assert!(r.unavailable.is_empty());
}

const BUNDLES: &str = r#"
apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSet
metadata: {name: bundles, namespace: flux-system}
spec:
  inputs:
    - bundle: addons
      decryption: false
      components: [ingress-nginx, cert-manager]
    - bundle: apps
      decryption: true
      components: [frontend, backend]
  resourcesTemplate: |
    ---
    apiVersion: source.toolkit.fluxcd.io/v1
    kind: OCIRepository
    metadata:
      name: << inputs.bundle >>
      namespace: flux-system
    spec:
      interval: 10m
      url: oci://registry.example.com/<< inputs.bundle >>
    <<- range $component := inputs.components >>
    ---
    apiVersion: kustomize.toolkit.fluxcd.io/v1
    kind: Kustomization
    metadata:
      name: << $component >>
      namespace: flux-system
    spec:
      interval: 1h
      prune: true
      <<- if inputs.decryption >>
      decryption:
        provider: sops
        secretRef:
          name: << inputs.bundle >>-sops
      <<- end >>
      sourceRef:
        kind: OCIRepository
        name: << inputs.bundle >>
      path: ./<< $component >>
    <<- end >>
"#;

#[test]
fn resources_template_with_range_and_if() {
    let r = render(&rs(BUNDLES), &no_providers).unwrap();
    assert_eq!(
        names(&r),
        vec![
            "OCIRepository/addons",
            "Kustomization/ingress-nginx",
            "Kustomization/cert-manager",
            "OCIRepository/apps",
            "Kustomization/frontend",
            "Kustomization/backend"
        ]
    );
    assert!(r.objects[1]["spec"].get("decryption").is_none());
    assert_eq!(
        r.objects[4]["spec"]["decryption"]["secretRef"]["name"],
        json!("apps-sops")
    );
    assert_eq!(r.objects[5]["spec"]["path"], json!("./backend"));
}

fn provider(name: &str, labels: Value, ty: &str, values: Value) -> Value {
    json!({
        "apiVersion": "fluxcd.controlplane.io/v1",
        "kind": "ResourceSetInputProvider",
        "metadata": {"name": name, "namespace": "apps", "labels": labels},
        "spec": {"type": ty, "defaultValues": values}
    })
}

fn cluster() -> Vec<Value> {
    vec![
        provider(
            "env-dev",
            json!({"app": "podinfo"}),
            "Static",
            json!({"env": "dev"}),
        ),
        provider(
            "env-prod",
            json!({"app": "podinfo"}),
            "Static",
            json!({"env": "prod"}),
        ),
        provider(
            "prs",
            json!({"app": "podinfo"}),
            "GitHubPullRequest",
            json!({}),
        ),
        provider(
            "other",
            json!({"app": "other"}),
            "Static",
            json!({"env": "x"}),
        ),
    ]
}

fn with_providers(r: &ProviderRef) -> Vec<Value> {
    cluster().into_iter().filter(|o| r.matches(o)).collect()
}

fn from_providers(inputs_from: &str, strategy: &str) -> Value {
    rs(&format!(
        r#"
apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSet
metadata: {{name: my-rset, namespace: apps}}
spec:
  {strategy}
  inputsFrom: {inputs_from}
  resources:
    - apiVersion: v1
      kind: ConfigMap
      metadata:
        name: cm-<< inputs.id >>
        namespace: apps
      data:
        env: << inputs.env | quote >>
        provider: << inputs.provider.name | quote >>
"#
    ))
}

#[test]
fn static_providers_by_name_and_by_selector() {
    let r = render(
        &from_providers("[{kind: ResourceSetInputProvider, name: env-dev}]", ""),
        &with_providers,
    )
    .unwrap();
    assert_eq!(r.objects.len(), 1);
    assert_eq!(
        r.objects[0]["data"],
        json!({"env": "dev", "provider": "env-dev"})
    );

    let sel = "[{kind: ResourceSetInputProvider, selector: {matchLabels: {app: podinfo}}}]";
    let r = render(&from_providers(sel, ""), &with_providers).unwrap();
    let envs: Vec<&Value> = r.objects.iter().map(|o| &o["data"]["env"]).collect();
    assert_eq!(envs, vec!["dev", "prod"]);
    // The GitHub provider needs the network: reported, not an error.
    assert_eq!(r.unavailable, vec!["apps/prs (GitHubPullRequest)"]);
}

#[test]
fn a_provider_named_but_missing_is_an_error() {
    let e = render(
        &from_providers("[{kind: ResourceSetInputProvider, name: nope}]", ""),
        &with_providers,
    )
    .unwrap_err();
    assert!(
        e.to_string().contains("apps/my-rset") && e.to_string().contains("apps/nope"),
        "{e}"
    );
}

#[test]
fn only_unavailable_providers_render_nothing() {
    let r = render(
        &from_providers("[{kind: ResourceSetInputProvider, name: prs}]", ""),
        &with_providers,
    )
    .unwrap();
    assert!(r.objects.is_empty());
    assert_eq!(r.unavailable.len(), 1);
}

#[test]
fn permute_nests_inputs_under_provider_names() {
    let text = r#"
apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSet
metadata: {name: my-rset, namespace: apps}
spec:
  inputStrategy: {name: Permute}
  inputs:
    - {id: id1, someField: foo}
    - {id: id2, someField: bar}
  inputsFrom:
    - {kind: ResourceSetInputProvider, name: env-dev}
  resources:
    - apiVersion: v1
      kind: ConfigMap
      metadata: {name: "cm-<< inputs.my_rset.id >>", namespace: apps}
      data:
        permutation: << inputs.id | quote >>
        someField: << inputs.my_rset.someField | quote >>
        env: << inputs.env_dev.env | quote >>
        kind: << inputs.env_dev.provider.kind | quote >>
"#;
    let r = render(&rs(text), &with_providers).unwrap();
    assert_eq!(names(&r), vec!["ConfigMap/cm-id1", "ConfigMap/cm-id2"]);
    assert_eq!(r.objects[1]["data"]["someField"], json!("bar"));
    assert_eq!(r.objects[1]["data"]["env"], json!("dev"));
    assert_eq!(
        r.objects[0]["data"]["kind"],
        json!("ResourceSetInputProvider")
    );
    assert_eq!(
        r.objects[0]["data"]["permutation"],
        json!(inputs::id("my_rset=0/env_dev=0"))
    );
}

#[test]
fn template_errors_name_the_resource_set_input_set_and_line() {
    let text = BUNDLES.replace(
        "name: << $component >>",
        "name: << $component >>-<< inputs.missing >>",
    );
    let e = render(&rs(&text), &no_providers).unwrap_err();
    match &e {
        ResourceSetError::Template {
            resource_set,
            template,
            input_set,
            line,
            message,
        } => {
            assert_eq!(resource_set, "flux-system/bundles");
            assert_eq!(template, "resourcesTemplate");
            assert!(input_set.starts_with("0 (id "), "{input_set}");
            assert_eq!(*line, 15);
            assert!(message.contains("missing"));
        }
        other => panic!("unexpected {other}"),
    }
}

#[test]
fn no_inputs_render_once_and_steps_keep_objects_apart() {
    let text = r#"
apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSet
metadata: {name: plain, namespace: apps}
spec:
  steps:
    - name: first
      resources:
        - {apiVersion: v1, kind: Namespace, metadata: {name: a}}
    - name: second
      resourcesTemplate: |
        apiVersion: v1
        kind: Namespace
        metadata: {name: << "b" | upper | lower >>}
"#;
    let r = render(&rs(text), &no_providers).unwrap();
    assert_eq!(names(&r), vec!["Namespace/a", "Namespace/b"]);
    let dup = text.replace("<< \"b\" | upper | lower >>", "a");
    assert!(matches!(
        render(&rs(&dup), &no_providers),
        Err(ResourceSetError::DuplicateInSteps { .. })
    ));
}

#[test]
fn unknown_strategy_is_invalid() {
    let e = render(
        &from_providers("[]", "inputStrategy: {name: Shuffle}"),
        &with_providers,
    )
    .unwrap_err();
    assert!(e.to_string().contains("unknown input strategy: 'Shuffle'"));
}
