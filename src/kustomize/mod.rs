//! Building a Flux Kustomization's folder with kustomize, as kustomize-controller does.

pub mod deferred;
pub mod generate;
pub mod runner;

pub use generate::{Generated, Planned, plan_kustomization, write_planned};
pub use runner::{KustomizeCommand, KustomizeError};
