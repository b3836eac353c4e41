//! What the stages tell the user while they run, as events. Stages emit; the CLI's renderers
//! draw (a TTY progress bar, plain text, JSON). Nothing below the CLI prints.

use crate::model::{Diagnostic, OwnerId};

/// The stages that report progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    Kustomizations,
    HelmReleases,
}

impl Stage {
    pub fn noun(self) -> &'static str {
        match self {
            Stage::Kustomizations => "Kustomizations",
            Stage::HelmReleases => "HelmReleases",
        }
    }
}

/// One thing that happened.
#[derive(Clone, Debug)]
pub enum Event<'a> {
    /// `count` more owners are waiting in `stage`.
    Queued { stage: Stage, count: u64 },
    /// One owner of `stage` is done.
    Finished { stage: Stage, owner: &'a OwnerId },
    /// The stage has nothing left to do.
    StageDone { stage: Stage },
    /// Something worth telling as it happens (the record keeps it too).
    Diagnostic(&'a Diagnostic),
}

/// Receives events; implementations must be cheap and must not block.
pub trait Reporter: Send + Sync {
    fn report(&self, event: Event<'_>);
}

/// Discards everything (tests, benchmarks, the base side of a diff).
pub struct Silent;

impl Reporter for Silent {
    fn report(&self, _: Event<'_>) {}
}
