//! One scenario per check, built from the hand-made fixtures.

use super::super::fixtures::{self, hr_id, ks_id};
use super::super::input::Scenario;
use super::super::waves::plan;
use super::{Code, Finding, Severity, check};

fn findings(s: &Scenario) -> Vec<Finding> {
    let input = &s.input();
    check(input, &plan(input))
}

fn codes(f: &[Finding], severity: Severity) -> Vec<Code> {
    f.iter()
        .filter(|f| f.severity == severity)
        .map(|f| f.code)
        .collect()
}

fn only(f: &[Finding], code: Code) -> Vec<&Finding> {
    f.iter().filter(|f| f.code == code).collect()
}

#[test]
fn cycle_is_reported_with_its_path() {
    let f = findings(&fixtures::cycle());
    let cycles = only(&f, Code::DependencyCycle);
    assert_eq!(cycles.len(), 1, "{f:#?}");
    let c = cycles[0];
    assert_eq!(c.severity, Severity::Error);
    assert_eq!(c.owner, Some(ks_id("flux-system", "a")));
    assert_eq!(c.also, vec![ks_id("flux-system", "b")]);
    assert!(
        c.message
            .contains("ks/flux-system/a -> ks/flux-system/b -> ks/flux-system/a"),
        "{}",
        c.message
    );
    assert!(
        c.message.contains("1 dependent owner(s) are blocked"),
        "{}",
        c.message
    );
}

#[test]
fn missing_dependency_is_an_error() {
    let f = findings(&fixtures::missing_dependency());
    let m = only(&f, Code::MissingDependency);
    assert_eq!(m.len(), 1, "{f:#?}");
    assert_eq!(m[0].owner, Some(ks_id("flux-system", "apps")));
    assert!(
        m[0].message
            .contains("Kustomization flux-system/infra-configs"),
        "{}",
        m[0].message
    );
    assert_eq!(
        m[0].files,
        vec!["clusters/main/flux-system/apps.yaml".to_string()]
    );
}

#[test]
fn crd_from_an_unrelated_owner_is_an_error() {
    let f = findings(&fixtures::crd_in_later_wave());
    let m = only(&f, Code::CrdNotOrdered);
    assert_eq!(m.len(), 1, "{f:#?}");
    assert_eq!(m[0].severity, Severity::Error);
    assert_eq!(m[0].owner, Some(ks_id("flux-system", "apps")));
    assert!(
        m[0].message.contains("Certificate.cert-manager.io web/tls"),
        "{}",
        m[0].message
    );
    assert!(
        m[0].message
            .contains("HelmRelease cert-manager/cert-manager (wave 2)"),
        "{}",
        m[0].message
    );
    assert_eq!(codes(&f, Severity::Error), vec![Code::CrdNotOrdered]);
}

#[test]
fn cert_manager_chain_is_clean() {
    let f = findings(&fixtures::cert_manager_chain());
    assert_eq!(codes(&f, Severity::Error), vec![], "{f:#?}");
    assert_eq!(codes(&f, Severity::Warning), vec![], "{f:#?}");
}

#[test]
fn issuers_without_wait_on_cert_manager_are_caught() {
    // Same chain, but cert-manager's Kustomization does not wait: its HelmRelease (and CRDs) may come later.
    let mut input = fixtures::cert_manager_chain();
    for o in input.cluster.owners.values_mut() {
        if o.id == ks_id("flux-system", "cert-manager") {
            o.object["spec"]["wait"] = serde_json::json!(false);
        }
    }
    input.reanalyze();
    let f = findings(&input);
    let owners: Vec<_> = only(&f, Code::CrdNotOrdered)
        .iter()
        .filter_map(|f| f.owner.clone())
        .collect();
    assert_eq!(
        owners,
        vec![
            ks_id("flux-system", "cert-manager-issuers"),
            hr_id("cert-manager", "cert-manager-webhook-ovh")
        ],
        "{f:#?}"
    );
    assert_eq!(only(&f, Code::DependencyNotWaited).len(), 1);
}

#[test]
fn kube_prometheus_stack_is_clean() {
    let f = findings(&fixtures::kube_prometheus_stack());
    assert_eq!(codes(&f, Severity::Error), vec![], "{f:#?}");
    assert_eq!(codes(&f, Severity::Warning), vec![], "{f:#?}");
}

#[test]
fn dependency_without_wait_is_a_warning() {
    let f = findings(&fixtures::wait_false_dependency());
    let m = only(&f, Code::DependencyNotWaited);
    assert_eq!(m.len(), 1, "{f:#?}");
    assert_eq!(m[0].severity, Severity::Warning);
    assert_eq!(m[0].owner, Some(ks_id("flux-system", "infra")));
    assert!(
        m[0].message.contains("Kustomization flux-system/apps"),
        "{}",
        m[0].message
    );
    assert!(m[0].message.contains("wait: unset"), "{}", m[0].message);
}

#[test]
fn variable_checks() {
    let f = findings(&fixtures::vars());
    let undefined = only(&f, Code::VarUndefined);
    assert_eq!(undefined.len(), 1, "{f:#?}");
    assert_eq!(undefined[0].owner, Some(ks_id("flux-system", "apps")));
    assert!(
        undefined[0].message.contains("${MISSING_VAR}"),
        "{}",
        undefined[0].message
    );
    let unused = only(&f, Code::VarUnused);
    assert_eq!(unused.len(), 1, "{f:#?}");
    assert!(
        unused[0]
            .message
            .contains("ConfigMap flux-system/cluster-settings defines variable UNUSED_VAR")
    );
    let conflict = only(&f, Code::VarConflict);
    assert_eq!(conflict.len(), 1, "{f:#?}");
    assert!(
        conflict[0].message.contains("variable DOMAIN"),
        "{}",
        conflict[0].message
    );
    assert!(!f.iter().any(|f| f.message.contains("NOT_SUBSTITUTED")));
}

#[test]
fn duplicate_objects_are_warnings_for_both_owners() {
    let f = findings(&fixtures::duplicates());
    let d = only(&f, Code::DuplicateObject);
    assert_eq!(d.len(), 1, "{f:#?}");
    assert_eq!(d[0].severity, Severity::Warning);
    assert_eq!(d[0].owner, Some(ks_id("flux-system", "a")));
    assert_eq!(d[0].also, vec![ks_id("flux-system", "b")]);
    assert_eq!(
        d[0].objects,
        vec!["ConfigMap flux-system/shared".to_string()]
    );
}

#[test]
fn namespaces_must_be_created_by_a_dependency() {
    let f = findings(&fixtures::namespaces());
    let n = only(&f, Code::NamespaceMissing);
    let owners: Vec<_> = n.iter().filter_map(|f| f.owner.clone()).collect();
    assert_eq!(
        owners,
        vec![ks_id("flux-system", "apps"), ks_id("flux-system", "db")],
        "{f:#?}"
    );
    assert!(
        n[0].message.contains("nothing in this cluster creates it"),
        "{}",
        n[0].message
    );
    assert!(
        n[1].message
            .contains("created by Kustomization flux-system/namespaces"),
        "{}",
        n[1].message
    );
}

#[test]
fn orphan_files_are_warnings() {
    let f = findings(&fixtures::orphans());
    let o = only(&f, Code::OrphanFile);
    assert_eq!(o.len(), 1, "{f:#?}");
    assert_eq!(o[0].severity, Severity::Warning);
    assert_eq!(o[0].files, vec!["clusters/old/apps.yaml".to_string()]);
}

#[test]
fn flux_kinds_are_an_info_note() {
    let f = findings(&fixtures::cert_manager_chain());
    let notes = only(&f, Code::FluxCrdAssumed);
    assert_eq!(notes.len(), 1);
    assert!(
        notes[0]
            .message
            .contains("Kustomization.kustomize.toolkit.fluxcd.io"),
        "{}",
        notes[0].message
    );
}

#[test]
fn assume_crds_silences_unrendered_crds() {
    let mut input = fixtures::cluster(vec![fixtures::OwnerExt::with(
        fixtures::root(),
        vec![fixtures::obj(
            "snapshot.storage.k8s.io/v1",
            "VolumeSnapshotClass",
            "",
            "csi",
        )],
    )]);
    let f = findings(&input);
    assert_eq!(only(&f, Code::CrdNotRendered).len(), 1, "{f:#?}");
    input.assume_crds = vec!["snapshot.storage.k8s.io".to_string()];
    assert_eq!(only(&findings(&input), Code::CrdNotRendered).len(), 0);
}

#[test]
fn findings_are_sorted_most_severe_first() {
    let f = findings(&fixtures::vars());
    let sev: Vec<Severity> = f.iter().map(|f| f.severity).collect();
    let mut sorted = sev.clone();
    sorted.sort();
    assert_eq!(sev, sorted);
}
