//! Deferred patches: the top kustomization's patches on custom resources, applied in Rust to
//! kustomize's output instead of inside kustomize.
//!
//! Why: kustomize parses its built-in OpenAPI schema (~150 ms, 55 MB per process) as soon as it
//! applies a strategic-merge patch, even to a kind the schema does not know. Flux repositories
//! whose root Kustomization patches every child (HelmRelease defaults through the children's
//! `spec.patches`) pay that on every build. Those patches target custom resources, where kyaml
//! merges without a schema, which is simple and is reproduced here ([`merge`]).
//!
//! When it is the same: kustomize runs the top kustomization's `patches` right after its
//! resources, components and generators, before its namespace, prefix/suffix, labels,
//! annotations and images transformers (api/internal/target/kusttarget_configplugin.go) and
//! before hash suffixes, name back-references and `vars`. Applying a patch after those steps
//! gives the same objects when
//! - it selects the same objects: [`plan`] accepts a name only when nothing renames objects and
//!   a namespace only when nothing sets namespaces, and label/annotation selectors only on keys
//!   the transformers do not write;
//! - it writes nothing those steps write or read: never the identity, kustomize's own
//!   annotations, the transformers' label/annotation keys, nor image fields under an images
//!   transformer ([`Rules`]), and only on kinds with no built-in schema and no built-in
//!   transformer field specs (checked per object in [`apply`]);
//! - nothing in the build adds field specs, schemas or variables (`configurations`, `crds`,
//!   `openapi`, `vars`, comment schemas) — see [`plan`].
//!
//! Anything else, or any error here, means the build runs the full kustomization instead.

mod json6902;
mod merge;
mod patch_text;
mod plan;
mod select;

pub use plan::defer;

use crate::object;
use json6902::JsonPatch;
use select::Target;
use serde_json::Value;
use std::collections::BTreeSet;

/// Why a patch cannot be deferred, or why applying it failed (the build then runs kustomize).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DeferError {
    #[error("not deferrable: {0}")]
    Unsupported(String),
    #[error("patch does not apply: {0}")]
    Merge(String),
    #[error("patch selects {0}, which kustomize may treat specially")]
    KnownKind(String),
}

/// The patches removed from the kustomization kustomize runs, in their order.
#[derive(Debug, Clone)]
pub struct DeferredPatches {
    patches: Vec<Deferred>,
}

impl DeferredPatches {
    pub fn len(&self) -> usize {
        self.patches.len()
    }

    pub fn is_empty(&self) -> bool {
        self.patches.is_empty()
    }
}

#[derive(Debug, Clone)]
struct Deferred {
    /// `None`: a strategic-merge patch matched by its own apiVersion, kind, name and namespace.
    target: Option<Target>,
    body: Body,
}

#[derive(Debug, Clone)]
enum Body {
    /// One or more strategic-merge patch documents, applied one after the other.
    Strategic(Vec<Value>),
    Json6902(JsonPatch),
}

/// What the later top-level transformers write, which a deferred patch must leave alone.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    /// Keys set by `commonLabels` / `labels`.
    label_keys: BTreeSet<String>,
    /// Keys set by `commonAnnotations`.
    annotation_keys: BTreeSet<String>,
    /// The top kustomization has an `images` transformer.
    images: bool,
}

/// Annotation prefixes kustomize uses for its own bookkeeping, present while it patches but not
/// in its output (or deciding what it outputs, like `config.kubernetes.io/local-config`).
const RESERVED_ANNOTATION_PREFIXES: &[&str] = &[
    "config.kubernetes.io/",
    "internal.config.kubernetes.io/",
    "kustomize.config.k8s.io/",
    "config.k8s.io/",
    "kubectl.kubernetes.io/",
];

/// Field names the images transformer rewrites (api/filters/imagetag: the legacy filter walks
/// every `containers`/`initContainers` list; the field specs end in `image`).
const IMAGE_FIELDS: &[&str] = &["containers", "initContainers", "image"];

impl Rules {
    fn label_key_ok(&self, key: &str) -> bool {
        !self.label_keys.contains(key)
    }

    fn annotation_key_ok(&self, key: &str) -> bool {
        !self.annotation_keys.contains(key)
            && !RESERVED_ANNOTATION_PREFIXES
                .iter()
                .any(|p| key.starts_with(p))
    }

    /// A JSON pointer (as tokens) a deferred JSON patch may read or write.
    fn check_pointer(&self, tokens: &[String]) -> Result<(), DeferError> {
        let refuse = || DeferError::Unsupported(format!("JSON patch path /{}", tokens.join("/")));
        match tokens {
            [] => return Err(refuse()),
            [first, ..] if first == "apiVersion" || first == "kind" => return Err(refuse()),
            // Only when no transformer writes the map: it may be missing while kustomize patches
            // (an `add` below it fails there) and present in the output.
            [first, rest @ ..] if first == "metadata" => match rest {
                [map, _, ..] if map == "labels" && self.label_keys.is_empty() => {}
                [map, key, ..]
                    if map == "annotations"
                        && self.annotation_keys.is_empty()
                        && self.annotation_key_ok(key) => {}
                _ => return Err(refuse()),
            },
            _ => {}
        }
        if self.images && tokens.iter().any(|t| IMAGE_FIELDS.contains(&t.as_str())) {
            return Err(refuse());
        }
        Ok(())
    }

    /// A value a deferred patch writes (outside `metadata`).
    fn check_value(&self, value: &Value) -> Result<(), DeferError> {
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    if self.images && IMAGE_FIELDS.contains(&k.as_str()) {
                        return Err(DeferError::Unsupported(format!(
                            "patch writes {k} under an images transformer"
                        )));
                    }
                    self.check_value(v)?;
                }
                Ok(())
            }
            Value::Array(items) => items.iter().try_for_each(|v| self.check_value(v)),
            _ => Ok(()),
        }
    }
}

/// Applies the deferred patches, in order, to kustomize's output documents.
pub fn apply(deferred: &DeferredPatches, docs: &mut [Value]) -> Result<(), DeferError> {
    let mut touched = vec![false; docs.len()];
    for patch in &deferred.patches {
        match &patch.body {
            Body::Strategic(parts) => {
                for part in parts {
                    for i in selected(patch.target.as_ref(), part, docs)? {
                        apply_strategic(&mut docs[i], part)?;
                        touched[i] = true;
                    }
                }
            }
            Body::Json6902(ops) => {
                let target = patch
                    .target
                    .as_ref()
                    .ok_or_else(|| DeferError::Unsupported("JSON patch without a target".into()))?;
                for i in selected(Some(target), &Value::Null, docs)? {
                    let before = identity(&docs[i]);
                    ops.apply(&mut docs[i])?;
                    if identity(&docs[i]) != before {
                        return Err(DeferError::Merge("patch changed the object's id".into()));
                    }
                    touched[i] = true;
                }
            }
        }
    }
    // kustomize writes every object through encoding/json: keys sorted at every level.
    for (doc, touched) in docs.iter_mut().zip(touched) {
        if touched {
            doc.sort_all_objects();
        }
    }
    Ok(())
}

/// Indices of the documents a patch applies to; each must be a kind we may patch.
fn selected(
    target: Option<&Target>,
    part: &Value,
    docs: &[Value],
) -> Result<Vec<usize>, DeferError> {
    let mut out = Vec::new();
    for (i, doc) in docs.iter().enumerate() {
        let hit = match target {
            Some(t) => t.matches(doc)?,
            None => same_id(doc, part),
        };
        if hit {
            check_kind(doc)?;
            out.push(i);
        }
    }
    if target.is_none() && out.len() != 1 {
        // kustomize's GetById fails on no match or several: let it say so.
        return Err(DeferError::Merge(format!(
            "{} objects match the patch's own id",
            out.len()
        )));
    }
    Ok(out)
}

/// kustomize's `ResId.Equals` for kinds it does not know (namespaced, `default` when empty).
fn same_id(doc: &Value, patch: &Value) -> bool {
    object::api_version(doc) == object::api_version(patch)
        && object::kind(doc) == object::kind(patch)
        && object::name(doc) == object::name(patch)
        && select::effective_namespace(doc) == select::effective_namespace(patch)
}

fn identity(doc: &Value) -> (String, String, String, String) {
    (
        object::api_version(doc).to_string(),
        object::kind(doc).to_string(),
        object::name(doc).to_string(),
        doc.pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
    )
}

/// kustomize's `Resource.ApplySmPatch`: merge, then restore kind, name and namespace; the patch
/// copy carries the object's apiVersion (`resWrangler.ApplySmPatch`), so only the body and the
/// labels/annotations merge.
fn apply_strategic(doc: &mut Value, part: &Value) -> Result<(), DeferError> {
    let mut body = part.clone();
    let body_map = body
        .as_object_mut()
        .ok_or_else(|| DeferError::Unsupported("patch is not a mapping".into()))?;
    body_map.remove("apiVersion");
    body_map.remove("kind");
    if let Some(Value::Object(meta)) = body_map.get_mut("metadata") {
        meta.remove("name");
        meta.remove("namespace");
    }
    let merged = merge::merge_value(Some(doc), &body)?
        .ok_or_else(|| DeferError::Unsupported("patch deletes the object".into()))?;
    *doc = merged;
    Ok(())
}

/// Kinds kustomize has a schema or built-in field specs for (any group): never patched here.
/// The field-spec kinds come from api/konfig/builtinpluginconsts (name references, labels,
/// namespaces, replicas), matched by kind alone there.
const SPECIAL_KINDS: &[&str] = &[
    "APIService",
    "ClusterRole",
    "ClusterRoleBinding",
    "ConfigMap",
    "CronJob",
    "CustomResourceDefinition",
    "DaemonSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "HTTPRoute",
    "Ingress",
    "IngressClass",
    "Job",
    "MutatingWebhookConfiguration",
    "Namespace",
    "NetworkPolicy",
    "Node",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "Pod",
    "PodDisruptionBudget",
    "PodTemplate",
    "PriorityClass",
    "ReplicaSet",
    "ReplicationController",
    "Role",
    "RoleBinding",
    "Secret",
    "Service",
    "ServiceAccount",
    "StatefulSet",
    "StorageClass",
    "ValidatingWebhookConfiguration",
];

/// Groups of the Kubernetes API itself (the built-in schema's): no dot, or `*.k8s.io`.
pub fn is_builtin_group(group: &str) -> bool {
    !group.contains('.') || group == "k8s.io" || group.ends_with(".k8s.io")
}

fn is_special_kind(kind: &str) -> bool {
    SPECIAL_KINDS.contains(&kind) || kind.ends_with("List")
}

fn check_kind(doc: &Value) -> Result<(), DeferError> {
    let (group, _) = select::split_api_version(object::api_version(doc));
    let kind = object::kind(doc);
    if is_builtin_group(group) || is_special_kind(kind) {
        return Err(DeferError::KnownKind(format!(
            "{} {kind}",
            object::api_version(doc)
        )));
    }
    Ok(())
}
