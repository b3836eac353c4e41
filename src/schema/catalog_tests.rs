//! Catalog checks of built-in kinds and of CRD-backed kinds (the `gadgets` test chart's CRD).

use super::*;
use crate::schema::{DEFAULT_KUBE_VERSION, ViolationKind};
use serde_json::json;

fn catalog() -> Catalog {
    Catalog::builtin(None).expect("built-in catalog")
}

/// `(path, kind)` of each violation, or a panic naming the outcome that is not `Invalid`.
fn violations_of(checked: Checked) -> Vec<(String, ViolationKind)> {
    match checked {
        Checked::Invalid(found) => found.into_iter().map(|v| (v.path, v.kind)).collect(),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

fn assert_valid(checked: Checked) {
    assert!(
        matches!(checked, Checked::Valid),
        "expected Valid, got {checked:?}"
    );
}

fn deployment() -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "creationTimestamp": null,
                     "labels": {"app": "web"}, "annotations": {"note": "x"}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "strategy": {"rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}},
            "template": {
                "metadata": {"labels": {"app": "web"}, "creationTimestamp": null},
                "spec": {"containers": [{
                    "name": "web",
                    "image": "nginx:1.27",
                    "imagePullPolicy": "IfNotPresent",
                    "ports": [{"name": "http", "containerPort": 8080}],
                    "readinessProbe": {"httpGet": {"path": "/", "port": "http"}},
                    "resources": {"limits": {"cpu": 1, "memory": "128Mi"},
                                  "requests": {"cpu": "500m", "memory": 0.5}},
                    "env": null
                }]}
            }
        }
    })
}

#[test]
fn builtin_valid_object_with_int_or_string_quantities_and_nulls() {
    assert_valid(catalog().check(&deployment()));
    let service = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
        "spec": {"ports": [{"port": 80, "targetPort": 8080}, {"port": 81, "targetPort": "http"},
                           {"port": 82, "targetPort": null}]}});
    assert_valid(catalog().check(&service));
}

#[test]
fn builtin_unknown_field() {
    let mut object = deployment();
    object["spec"]["template"]["spec"]["containers"][0]["imagePullPolcy"] = json!("Always");
    object["metadata"]["lables"] = json!({});
    assert_eq!(
        violations_of(catalog().check(&object)),
        [
            ("/metadata/lables".to_string(), ViolationKind::UnknownField),
            (
                "/spec/template/spec/containers/0/imagePullPolcy".to_string(),
                ViolationKind::UnknownField
            ),
        ]
    );
}

#[test]
fn builtin_wrong_types() {
    let mut object = deployment();
    object["spec"]["replicas"] = json!("2");
    object["metadata"]["labels"]["tier"] = json!(1);
    object["spec"]["strategy"]["rollingUpdate"]["maxSurge"] = json!(true);
    object["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["cpu"] = json!([1]);
    let found = violations_of(catalog().check(&object));
    let paths: Vec<&str> = found.iter().map(|(path, _)| path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/metadata/labels/tier",
            "/spec/replicas",
            "/spec/strategy/rollingUpdate/maxSurge",
            "/spec/template/spec/containers/0/resources/limits/cpu",
        ]
    );
    assert!(
        found
            .iter()
            .all(|(_, kind)| *kind == ViolationKind::WrongType)
    );
}

#[test]
fn builtin_wrong_type_message_names_both_types() {
    let mut object = deployment();
    object["spec"]["strategy"]["rollingUpdate"]["maxSurge"] = json!(true);
    let Checked::Invalid(found) = catalog().check(&object) else {
        panic!("expected Invalid");
    };
    assert_eq!(found[0].message, "expected integer or string, got boolean");
}

#[test]
fn builtin_missing_required() {
    let mut object = deployment();
    let container = object["spec"]["template"]["spec"]["containers"][0]
        .as_object_mut()
        .expect("a container");
    container.remove("name");
    assert_eq!(
        violations_of(catalog().check(&object)),
        [(
            "/spec/template/spec/containers/0/name".to_string(),
            ViolationKind::MissingRequired
        )]
    );
}

#[test]
fn unknown_kinds_and_objects_without_type_meta_are_skipped() {
    let widget =
        json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}});
    assert!(matches!(
        catalog().check(&widget),
        Checked::Skipped(SkipReason::NoSchema { .. })
    ));
    // A built-in group at a version the schemas do not have is unknown too.
    let old =
        json!({"apiVersion": "apps/v1beta1", "kind": "Deployment", "metadata": {"name": "w"}});
    assert!(matches!(catalog().check(&old), Checked::Skipped(_)));
    assert!(matches!(
        catalog().check(&json!({"kind": "ConfigMap"})),
        Checked::Skipped(SkipReason::MissingTypeMeta)
    ));
}

#[test]
fn builtin_catalog_is_only_for_the_shipped_version() {
    assert!(Catalog::builtin(Some(DEFAULT_KUBE_VERSION)).is_ok());
    assert!(matches!(
        Catalog::builtin(Some("1.30.0")),
        Err(SchemaError::UnsupportedKubeVersion { .. })
    ));
    assert!(matches!(
        Catalog::builtin(Some("latest")),
        Err(SchemaError::BadKubeVersion { .. })
    ));
}

/// The CRD of the `gadgets` test chart, read from its `crds/` folder.
fn gadgets_crd() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/charts/gadgets/crds/gadgets.fixtures.fluxsim.dev.yaml"
    );
    let text = std::fs::read_to_string(path).expect("the chart's CRD");
    crate::yaml::parse_one(&text).expect("the CRD is YAML")
}

fn gadget_catalog() -> Catalog {
    let mut catalog = catalog();
    catalog.learn_crd(&gadgets_crd()).expect("learns the CRD");
    catalog
}

/// What the chart's template renders with its default values.
fn gadget() -> Value {
    json!({
        "apiVersion": "fixtures.fluxsim.dev/v1",
        "kind": "Gadget",
        "metadata": {"name": "demo", "labels": {"app.kubernetes.io/name": "gadgets"},
                     "creationTimestamp": null},
        "spec": {
            "size": 3,
            "mode": "Fast",
            "port": "http",
            "resources": {"memory": "256Mi"},
            "note": null,
            "config": {"anything": "goes", "nested": {"deep": [1, 2]}},
            "template": {"apiVersion": "v1", "kind": "ConfigMap",
                         "metadata": {"name": "demo-settings", "creationTimestamp": null},
                         "data": {"mode": "Fast"}}
        }
    })
}

#[test]
fn chart_crd_valid_custom_resource() {
    let catalog = gadget_catalog();
    assert_valid(catalog.check(&gadget()));
    let mut numeric = gadget();
    numeric["spec"]["port"] = json!(8080);
    numeric["spec"]["resources"]["memory"] = json!(1024);
    assert_valid(catalog.check(&numeric));
}

#[test]
fn chart_crd_invalid_custom_resource_reports_each_kind_of_violation() {
    let mut object = gadget();
    let spec = object["spec"].as_object_mut().expect("spec");
    spec.remove("size");
    spec.insert("mode".to_string(), json!("Sometimes"));
    spec.insert("port".to_string(), json!(true));
    spec.insert("colour".to_string(), json!("blue"));
    object["metadata"]["labels"]["count"] = json!(2);
    assert_eq!(
        violations_of(gadget_catalog().check(&object)),
        [
            (
                "/metadata/labels/count".to_string(),
                ViolationKind::WrongType
            ),
            ("/spec/colour".to_string(), ViolationKind::UnknownField),
            ("/spec/mode".to_string(), ViolationKind::BadEnum),
            ("/spec/port".to_string(), ViolationKind::WrongType),
            ("/spec/size".to_string(), ViolationKind::MissingRequired),
        ]
    );
}

#[test]
fn chart_crd_quantity_pattern_and_minimum_are_constraints() {
    let mut object = gadget();
    object["spec"]["resources"]["memory"] = json!("lots");
    object["spec"]["size"] = json!(0);
    assert_eq!(
        violations_of(gadget_catalog().check(&object)),
        [
            (
                "/spec/resources/memory".to_string(),
                ViolationKind::Constraint
            ),
            ("/spec/size".to_string(), ViolationKind::Constraint),
        ]
    );
}

#[test]
fn preserve_unknown_fields_allows_anything_below() {
    let mut object = gadget();
    object["spec"]["config"] = json!({"any": {"shape": [true, null, "x"]}});
    object["spec"]["template"]["spec"] = json!({"free": "form"});
    assert_valid(gadget_catalog().check(&object));
}

#[test]
fn unserved_versions_are_not_learned() {
    let mut object = gadget();
    object["apiVersion"] = json!("fixtures.fluxsim.dev/v0");
    assert!(matches!(
        gadget_catalog().check(&object),
        Checked::Skipped(SkipReason::NoSchema { .. })
    ));
}

#[test]
fn learning_a_crd_replaces_an_earlier_skip() {
    let mut catalog = catalog();
    assert!(matches!(catalog.check(&gadget()), Checked::Skipped(_)));
    catalog.learn_crd(&gadgets_crd()).expect("learns");
    assert_valid(catalog.check(&gadget()));
}

#[test]
fn learn_crd_refuses_other_objects() {
    assert!(matches!(
        catalog().learn_crd(&deployment()),
        Err(SchemaError::NotACrd { .. })
    ));
}

#[test]
fn checks_run_from_many_threads() {
    fn shared<T: Send + Sync>(_: &T) {}
    let catalog = gadget_catalog();
    shared(&catalog);
    let mut bad = deployment();
    bad["spec"]["replicas"] = json!("2");
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                for _ in 0..20 {
                    assert_valid(catalog.check(&deployment()));
                    assert_valid(catalog.check(&gadget()));
                    assert!(matches!(catalog.check(&bad), Checked::Invalid(_)));
                }
            });
        }
    });
}
