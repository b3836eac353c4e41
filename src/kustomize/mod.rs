//! Building a Flux Kustomization's folder with kustomize, as kustomize-controller does.

pub mod generate;
pub mod runner;

pub use generate::{Generated, write_kustomization};
pub use runner::{KustomizeCommand, KustomizeError};
