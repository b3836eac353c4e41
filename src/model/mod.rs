//! The one model of the rendered cluster that every stage reads: identities of objects and
//! owners, each owner's [`Outcome`], [`Diagnostic`]s, and the [`Cluster`] map of owner records.
//! Data only: no I/O, no processes, no printing.

mod diagnostic;
pub mod flux;
mod identity;
mod outcome;
mod record;

pub use diagnostic::{Diagnostic, Severity};
pub use identity::{NamespacedName, ObjectKey, OwnerId, OwnerKind};
pub use outcome::{Blocked, Failure, FailureReason, Outcome, Skip, SkipReason};
pub use record::{
    ChartInfo, Cluster, FluxFile, OwnerRecord, RenderedObject, SecretValue, Timing, VarOrigin,
    VarsSeen,
};
