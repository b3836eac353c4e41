//! fluxsim: simulate Flux v2 reconciliation locally.
//!
//! The pipeline, one module per step: [`discover`] the root → resolve [`sources`] → [`build`]
//! each Kustomization (with [`kustomize`], [`decrypt`], [`postbuild`] substitution) under the
//! [`engine`] → order and check with [`graph`] → write a [`snapshot`] / [`report`], with
//! [`redact`] keeping secrets out. [`pipeline::run`] runs it all.

pub mod build;
pub mod cache;
pub mod changes;
pub mod decrypt;
pub mod diff;
pub mod discover;
pub mod engine;
pub mod flux;
pub mod graph;
pub mod helm;
pub mod kustomize;
pub mod object;
pub mod pipeline;
pub mod plan;
pub mod planning;
pub mod postbuild;
pub mod redact;
pub mod releases;
pub mod report;
pub mod schema;
pub mod select;
pub mod snapshot;
pub mod sops;
pub mod sources;
pub mod substitute;
pub mod taint;
#[cfg(test)]
mod testing;
pub mod workspace;
pub mod yaml;
