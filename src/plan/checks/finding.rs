//! A finding of a check: stable code, severity, the owner(s) it concerns, a message naming the objects, and files.

use std::fmt;

use serde::Serialize;

use crate::model::OwnerId;
pub use crate::model::Severity;

/// Stable identifier of a kind of finding (kebab-case in all output formats).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Code {
    /// Owners waiting on each other; Flux has no cycle detection.
    DependencyCycle,
    /// `dependsOn` names no existing Kustomization/HelmRelease.
    MissingDependency,
    /// Invalid or missing interval/timeout/retryInterval.
    InvalidSpec,
    /// A custom resource whose CRD comes from an owner this one does not depend on.
    CrdNotOrdered,
    /// Two owners render the same object.
    DuplicateObject,
    /// A dependsOn target that is Ready as soon as it is applied.
    DependencyNotWaited,
    /// A custom resource whose CRD nothing renders.
    CrdNotRendered,
    /// `${VAR}` used but not defined for a substituting Kustomization.
    VarUndefined,
    /// A variable defined with different values by different sources.
    VarConflict,
    /// Objects in a namespace that nothing this owner depends on creates.
    NamespaceMissing,
    /// A Flux file that no owner comes from.
    OrphanFile,
    /// Flux's own kinds, assumed installed by `flux bootstrap`.
    FluxCrdAssumed,
    /// A variable defined but used nowhere.
    VarUnused,
    /// A rendered object its schema rejects (unknown field, wrong type, missing required
    /// field, value outside an enum).
    SchemaInvalid,
    /// Rendered objects no schema is known for: not checked.
    SchemaSkipped,
    /// A schema that could not be loaded or compiled.
    SchemaUnavailable,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::DependencyCycle => "dependency-cycle",
            Code::MissingDependency => "missing-dependency",
            Code::InvalidSpec => "invalid-spec",
            Code::CrdNotOrdered => "crd-not-ordered",
            Code::DuplicateObject => "duplicate-object",
            Code::DependencyNotWaited => "dependency-not-waited",
            Code::CrdNotRendered => "crd-not-rendered",
            Code::VarUndefined => "var-undefined",
            Code::VarConflict => "var-conflict",
            Code::NamespaceMissing => "namespace-missing",
            Code::OrphanFile => "orphan-file",
            Code::FluxCrdAssumed => "flux-crd-assumed",
            Code::VarUnused => "var-unused",
            Code::SchemaInvalid => "schema-invalid",
            Code::SchemaSkipped => "schema-skipped",
            Code::SchemaUnavailable => "schema-unavailable",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem (or note) found in the rendered cluster.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub code: Code,
    pub severity: Severity,
    /// The owner the finding is about; None for repository-level findings (orphan files, shared variables).
    pub owner: Option<OwnerId>,
    /// Other owners the finding equally applies to (cycle members, other producers of a duplicate).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<OwnerId>,
    pub message: String,
    /// Objects concerned, as `Kind[.group] [namespace/]name`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub objects: Vec<String>,
    /// Repo-relative files, where known.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<String>,
}

impl Finding {
    pub fn new(code: Code, severity: Severity, owner: Option<OwnerId>, message: String) -> Self {
        Self {
            code,
            severity,
            owner,
            also: Vec::new(),
            message,
            objects: Vec::new(),
            files: Vec::new(),
        }
    }

    /// Whether this finding concerns `id` (as its owner or one of `also`).
    pub fn concerns(&self, id: &OwnerId) -> bool {
        self.owner.as_ref() == Some(id) || self.also.contains(id)
    }

    fn sort_key(&self) -> impl Ord + '_ {
        (self.severity, self.code, self.owner.as_ref(), &self.message)
    }
}

/// Sorts findings most severe first, then by code, owner and message; drops exact duplicates.
pub fn sort_findings(findings: &mut Vec<Finding>) {
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    findings.dedup();
}

/// `a, b, c and 4 more`: keeps messages readable when many objects are involved.
pub fn list_some<T: fmt::Display>(items: &[T], max: usize) -> String {
    let shown: Vec<String> = items.iter().take(max).map(T::to_string).collect();
    match items.len().saturating_sub(max) {
        0 => shown.join(", "),
        more => format!("{} and {more} more", shown.join(", ")),
    }
}
