//! Objects a build made that make more of the cluster: an ArtifactGenerator composes
//! ExternalArtifact sources (at once, so Kustomizations on them can build), and a Flux Operator
//! ResourceSet renders the objects it applies (once everything else is built, since its inputs
//! come from ResourceSetInputProviders anywhere in the cluster).

use crate::artifact_generator::{self, Generator, GeneratorError, SourceId};
use crate::flux::SourceRef;
use crate::model::{Diagnostic, OwnerId, OwnerRecord, RenderedObject};
use crate::object;
use crate::resourceset;
use crate::sources::Sources;
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

const GENERATOR_GROUP: &str = "source.extensions.fluxcd.io";
const OPERATOR_GROUP: &str = "fluxcd.controlplane.io";
/// Labels the Flux Operator puts on everything a ResourceSet applies (it sets no owner refs).
const RS_NAME_LABEL: &str = "resourceset.fluxcd.controlplane.io/name";
const RS_NAMESPACE_LABEL: &str = "resourceset.fluxcd.controlplane.io/namespace";

fn is(obj: &Value, group: &str, kind: &str) -> bool {
    object::kind(obj) == kind && object::group_of(object::api_version(obj)) == group
}

pub(super) fn is_resource_set(obj: &Value) -> bool {
    is(obj, OPERATOR_GROUP, "ResourceSet")
}

/// What the ArtifactGenerators of one build declared and composed.
#[derive(Default)]
pub(super) struct Composed {
    /// Every ExternalArtifact declared (namespace, name), composed or not: it exists in Flux.
    pub declared: Vec<(String, String)>,
    /// Artifacts whose generator failed, with why: their Kustomizations fail with it.
    pub failed: Vec<((String, String), String)>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Composes the artifacts of every ArtifactGenerator in `objects` into `dest` and registers
/// them as sources. An artifact whose sources are remote stays unknown (its Kustomizations are
/// unavailable offline); one whose copy rules fail fails its Kustomizations.
pub(super) fn compose_artifacts(
    sources: &Sources,
    objects: &[RenderedObject],
    dest: &Path,
) -> Composed {
    let mut out = Composed::default();
    for o in objects
        .iter()
        .filter(|o| is(&o.object, GENERATOR_GROUP, "ArtifactGenerator"))
    {
        let generator = match Generator::from_object(&o.object) {
            Ok(g) => g,
            Err(e) => {
                out.diagnostics
                    .push(Diagnostic::error(e.to_string()).in_file(o.origin.clone()));
                continue;
            }
        };
        let names: Vec<(String, String)> = generator
            .artifacts
            .iter()
            .map(|a| (generator.namespace.clone(), a.name.clone()))
            .collect();
        out.declared.extend(names.iter().cloned());
        match compose_one(sources, &generator, dest) {
            Ok(()) => {}
            Err(e @ GeneratorError::SourceUnavailable { .. }) => {
                let d = Diagnostic::warning(e.to_string()).in_file(o.origin.clone());
                out.diagnostics.push(d);
            }
            Err(e) => {
                let message = e.to_string();
                out.failed
                    .extend(names.into_iter().map(|n| (n, message.clone())));
                let d = Diagnostic::error(message).in_file(o.origin.clone());
                out.diagnostics.push(d);
            }
        }
    }
    out
}

fn compose_one(
    sources: &Sources,
    generator: &Generator,
    dest: &Path,
) -> Result<(), GeneratorError> {
    let mut trees = HashMap::new();
    for id in generator.sources() {
        let r = SourceRef {
            kind: id.kind.clone(),
            name: id.name.clone(),
            namespace: Some(id.namespace.clone()),
        };
        if let Ok(tree) = sources.tree(&r) {
            trees.insert(id.clone(), tree);
        }
    }
    let resolve = |id: &SourceId| trees.get(id).map(Arc::as_ref);
    let dir = dest.join(format!("{}__{}", generator.namespace, generator.name));
    for artifact in artifact_generator::compose(generator, &resolve, &dir)? {
        sources.add_composed(&artifact.namespace, &artifact.name, artifact.tree);
    }
    Ok(())
}

/// A ResourceSet waiting for the rest of the cluster, and the owner whose output holds it.
pub(super) struct ParkedResourceSet {
    pub parent: OwnerId,
    pub object: Value,
    pub origin: Option<String>,
}

/// Renders a ResourceSet against everything rendered so far (its input providers), adding what
/// it applies to its parent's objects with the operator's labels. Returns the new objects.
pub(super) fn render_resource_set(
    rs: &ParkedResourceSet,
    done: &mut std::collections::BTreeMap<OwnerId, OwnerRecord>,
) -> Vec<RenderedObject> {
    let providers = |r: &resourceset::ProviderRef| -> Vec<Value> {
        done.values()
            .flat_map(OwnerRecord::values)
            .filter(|o| r.matches(o))
            .cloned()
            .collect()
    };
    let rendered = resourceset::render(&rs.object, &providers);
    let Some(parent) = done.get_mut(&rs.parent) else {
        return Vec::new();
    };
    let rendered = match rendered {
        Ok(r) => r,
        Err(e) => {
            parent
                .diagnostics
                .push(Diagnostic::error(e.to_string()).in_file(rs.origin.clone()));
            return Vec::new();
        }
    };
    let (name, namespace) = (object::name(&rs.object), object::namespace(&rs.object));
    for provider in &rendered.unavailable {
        parent.diagnostics.push(
            Diagnostic::warning(format!(
                "ResourceSet {}/{name}: input provider {provider} needs the network; rendered without its inputs",
                namespace.unwrap_or("default")
            ))
            .in_file(rs.origin.clone()),
        );
    }
    let made: Vec<RenderedObject> = rendered
        .objects
        .into_iter()
        .map(|mut obj| {
            object::set_metadata_entry(&mut obj, "labels", RS_NAME_LABEL, name);
            object::set_metadata_entry(
                &mut obj,
                "labels",
                RS_NAMESPACE_LABEL,
                namespace.unwrap_or("default"),
            );
            RenderedObject::new(obj, rs.origin.clone())
        })
        .collect();
    parent.objects.extend(made.iter().cloned());
    made
}
