//! What became of one owner: the single verdict every stage reads and every report prints.

use super::identity::OwnerId;
use serde::Serialize;

/// The verdict for one Kustomization or HelmRelease.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "state")]
pub enum Outcome {
    /// Not built yet.
    Pending,
    Rendered,
    Failed(Failure),
    /// Rendered, but Flux would never apply it: something it waits for is not ready.
    Blocked(Blocked),
    /// Cannot be known offline (an unmapped source, a chart not cached, no key): never a pass.
    Skipped(Skip),
    /// Changed-only mode did not build it: nothing it reads changed.
    Unchanged,
}

/// Why an owner failed: the category, and Flux's message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Failure {
    pub reason: FailureReason,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum FailureReason {
    /// The object itself is malformed (spec does not decode, no namespace).
    InvalidObject,
    /// The source it builds from does not exist or cannot be read.
    Source,
    /// kustomize, decryption or substitution failed (kustomize-controller's BuildFailed).
    Build,
    /// helm-controller could not render the release (chart, values, template).
    Render,
    /// A `dependsOn` target does not exist.
    MissingDependency,
    /// It is part of a dependency cycle.
    DependencyCycle,
    /// Something the run itself could not do (no helm program, a task that died).
    Internal,
}

/// What an owner waits for that is not ready.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Blocked {
    pub by: OwnerId,
    pub message: String,
}

/// Why an owner could not be checked offline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Skip {
    pub reason: SkipReason,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum SkipReason {
    /// Its source exists but points somewhere remote and is not mapped to a folder.
    SourceUnavailable,
    /// Its chart cannot be fetched (an unreachable host, an unmapped chart source).
    ChartUnavailable,
    /// `--offline`, and its chart is not in the cache: a run with network fills it.
    ChartNotCached,
    /// Encrypted values it needs cannot be decrypted with the keys given.
    NeedsKey,
}

impl Outcome {
    pub fn failed(reason: FailureReason, message: impl Into<String>) -> Outcome {
        Outcome::Failed(Failure {
            reason,
            message: message.into(),
        })
    }

    pub fn skipped(reason: SkipReason, message: impl Into<String>) -> Outcome {
        Outcome::Skipped(Skip {
            reason,
            message: message.into(),
        })
    }

    /// `rendered`, `failed`, `blocked`, `unavailable`: the status word reports print. An owner
    /// changed-only mode left unbuilt counts as rendered (it is unchanged from the base).
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Pending => "pending",
            Outcome::Rendered | Outcome::Unchanged => "rendered",
            Outcome::Failed(_) => "failed",
            Outcome::Blocked(_) => "blocked",
            Outcome::Skipped(_) => "unavailable",
        }
    }

    /// The message that goes with the status ("" when rendered).
    pub fn message(&self) -> &str {
        match self {
            Outcome::Pending | Outcome::Rendered | Outcome::Unchanged => "",
            Outcome::Failed(f) => &f.message,
            Outcome::Blocked(b) => &b.message,
            Outcome::Skipped(s) => &s.message,
        }
    }

    pub fn is_failure(&self) -> bool {
        matches!(self, Outcome::Failed(_))
    }

    /// Rendered, or left unbuilt because unchanged: what it applies is known.
    pub fn is_rendered(&self) -> bool {
        matches!(self, Outcome::Rendered | Outcome::Unchanged)
    }

    /// Flux would not get it Ready: dependents of it are blocked.
    pub fn is_not_ready(&self) -> bool {
        matches!(
            self,
            Outcome::Failed(_) | Outcome::Blocked(_) | Outcome::Skipped(_)
        )
    }
}
