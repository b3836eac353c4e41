//! Turns a finished run into the planner's input: every Kustomization and HelmRelease with what
//! it renders, the variables it saw, and every Flux object file of the repository (for orphans).

use crate::engine::Outcome;
use crate::flux::{self, NamespacedName};
use crate::graph::Status;
use crate::pipeline::Run;
use crate::plan::{ClusterInput, FluxFile, Owner, OwnerId, OwnerKind, RenderStatus, VarDef};
use crate::releases::HrOutcome;
use crate::yaml;

pub fn cluster_input(run: &Run, assume_crds: &[String]) -> ClusterInput {
    let ks_id =
        |id: &NamespacedName| OwnerId::new(OwnerKind::Kustomization, &id.namespace, &id.name);
    // The synthetic root (the flux-system Kustomization bootstrap creates for --path) is a
    // real owner in the cluster: it creates the namespaces and Kustomizations of the sync path.
    let mut owners = Vec::new();
    // Changed-only mode left these out of the report; they still exist in the cluster.
    let hidden = run.changed_only.iter().flat_map(|c| &c.hidden);
    for (id, node) in run.render.kustomizations.iter().chain(hidden.clone()) {
        let status = match (&node.outcome, run.analysis.status.get(id)) {
            (Outcome::Failed(m), _) => RenderStatus::Failed(m.clone()),
            (_, Some(Status::Failed(m))) => RenderStatus::Failed(m.clone()),
            _ => RenderStatus::Rendered,
        };
        let out = node.outcome.output();
        owners.push(Owner {
            id: ks_id(id),
            object: node.ks.object.clone(),
            parent: node.parent.as_ref().map(ks_id),
            file: node.file.clone(),
            status,
            objects: out.map(|o| o.objects.clone()).unwrap_or_default(),
            vars_defined: out
                .map(|o| {
                    o.vars
                        .defined
                        .iter()
                        .map(|(k, v)| {
                            (
                                k.clone(),
                                VarDef {
                                    source: v.source.clone(),
                                    digest: v.digest.clone(),
                                },
                            )
                        })
                        .collect()
                })
                .unwrap_or_default(),
            vars_used: out
                .filter(|o| o.vars.substituted)
                .map(|o| o.vars.used.clone())
                .unwrap_or_default(),
            // A ${VAR:=default} is fine undefined; only plain ${VAR}s are not.
            vars_with_default: out
                .filter(|o| o.vars.substituted)
                .map(|o| o.vars.used.difference(&o.vars.used_bare).cloned().collect())
                .unwrap_or_default(),
        });
    }
    for (id, hr) in &run.releases {
        let status = match (&hr.outcome, run.release_status.get(id)) {
            (HrOutcome::Failed(m), _) => RenderStatus::Failed(m.clone()),
            (_, Some(Status::Failed(m))) => RenderStatus::Failed(m.clone()),
            _ => RenderStatus::Rendered,
        };
        owners.push(Owner {
            id: OwnerId::new(OwnerKind::HelmRelease, &id.namespace, &id.name),
            object: hr.object.clone(),
            parent: Some(ks_id(&hr.parent)),
            file: hr.file.clone(),
            status,
            objects: hr.outcome.objects().to_vec(),
            vars_defined: Default::default(),
            vars_used: Default::default(),
            vars_with_default: Default::default(),
        });
    }
    let unknown_outputs = run
        .analysis
        .status
        .iter()
        .filter(|(_, s)| matches!(s, Status::Unavailable(_)))
        .map(|(id, _)| ks_id(id))
        .chain(
            run.release_status
                .iter()
                .filter(|(_, s)| matches!(s, Status::Unavailable(_)))
                .map(|(id, _)| OwnerId::new(OwnerKind::HelmRelease, &id.namespace, &id.name)),
        )
        // Unbuilt, and the HelmReleases they hold are not known either.
        .chain(
            hidden
                .filter(|(_, n)| matches!(n.outcome, Outcome::Unchanged(_)))
                .map(|(id, _)| ks_id(id)),
        )
        .collect();
    ClusterInput {
        owners,
        flux_files: flux_files(run),
        assume_crds: assume_crds.to_vec(),
        unknown_outputs,
    }
}

/// Every Flux Kustomization/HelmRelease document in the repository's YAML files.
fn flux_files(run: &Run) -> Vec<FluxFile> {
    let root = &run.discovery.repo_root;
    let Ok(tree) = crate::workspace::SourceTree::scan(root) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for f in &tree.files {
        let is_yaml = f.extension().is_some_and(|e| e == "yaml" || e == "yml");
        if !is_yaml {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(root.join(f)) else {
            continue;
        };
        if !text.contains("toolkit.fluxcd.io") {
            continue;
        }
        let Ok(docs) = yaml::parse_documents(&text) else {
            continue;
        };
        for d in docs {
            let kind = if flux::is_kustomization(&d) {
                OwnerKind::Kustomization
            } else if flux::is_helmrelease(&d) {
                OwnerKind::HelmRelease
            } else {
                continue;
            };
            out.push(FluxFile {
                path: f.to_string_lossy().to_string(),
                kind,
                namespace: crate::object::namespace(&d).map(str::to_string),
                name: crate::object::name(&d).to_string(),
            });
        }
    }
    out
}
