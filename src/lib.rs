//! fluxsim: simulate Flux v2 reconciliation locally.
//!
//! A pipeline of small modules; [`pipeline::run`] runs it all and returns a [`pipeline::Run`]
//! whose [`model::Cluster`] every report reads.
//!
//! # Layers
//!
//! Modules are listed bottom-up. A module may use the modules in its own layer and in the layers
//! above it in this list (that is, below it in the pipeline), never one listed after it. The CLI
//! (`src/cli`, in the binary) sits on top of everything and is the only code that prints.
//!
//! 1. Foundations, knowing nothing of Flux's flow:
//!    - [`yaml`]: YAML text in and out, with Go tooling's semantics.
//!    - [`object`]: accessors on untyped Kubernetes objects.
//!    - [`model`]: the one model of the cluster: object and owner identities, typed Flux views
//!      ([`model::flux`]), outcomes, diagnostics, owner records.
//!    - [`reporter`]: the events stages emit while they run.
//!    - [`process`]: the only place programs are started (explicit environment, timeout,
//!      bounded output, Landlock confinement of kustomize and helm).
//!    - [`rundir`]: the run's private folders (0700, locked, swept when a killed run left them).
//!    - [`testing`]: helpers for unit tests.
//!    - [`text`]: small text helpers views share (counted nouns).
//! 2. Leaves, each one job over its inputs:
//!    - [`sops`]: SOPS decryption with age keys; knows nothing about Flux.
//!    - [`substitute`]: postBuild `${VAR}` substitution, Flux's envsubst.
//!    - [`taint`]: marks where secret values landed; [`redact`]: turns them into tokens.
//!    - [`cache`]: the persistent, content-addressed store and the read sets keys are made of.
//!    - [`workspace`]: a source artifact's file list and private copies of it.
//!    - [`changes`]: which files changed between two trees.
//!    - [`kustomize`]: the generated kustomization and the kustomize program.
//!    - [`net`]: the one guarded, bounded HTTP client (timeouts, size limits, address policy).
//!    - [`helm`]: charts, values and `helm template`, as helm-controller renders a release.
//!    - [`schema`]: rendered objects checked against Kubernetes and CRD OpenAPI schemas.
//! 3. Steps of one owner:
//!    - [`sources`]: which folder stands for which Flux source.
//!    - [`artifact_generator`]: composes the ExternalArtifacts of a source-watcher
//!      ArtifactGenerator from its sources' trees.
//!    - [`resourceset`]: renders a Flux Operator ResourceSet into the objects it applies.
//!    - [`discover`]: the repository root and the root Kustomization for `--path`.
//!    - [`decrypt`], [`postbuild`]: the decryption and substitution stages of a build.
//!    - [`select`]: changed-only mode's decision for one owner.
//!    - [`build`]: one Flux Kustomization, as kustomize-controller builds it (and its likely
//!      children ahead of time, on idle job slots).
//! 4. The whole cluster:
//!    - [`engine`]: every Kustomization, in parallel, as their inputs appear.
//!    - [`releases`]: every HelmRelease the Kustomizations produced.
//!    - [`graph`]: the owner graph, cycles, missing dependencies, verdicts and order.
//!    - [`pipeline`]: the whole run.
//! 5. Views of a finished run (none of them prints; they return text or data):
//!    - [`plan`]: bootstrap waves, critical path, checks and the validation report.
//!    - [`snapshot`]: the rendered cluster as files.
//!    - [`diff`]: two runs compared.
//!    - [`report`]: tables, rows and the end-of-run summary.
//!    - [`images`]: the container images rendered objects run, and those a change introduces.

pub mod model;
pub mod object;
pub mod yaml;
pub use model::flux;
pub mod process;
pub mod reporter;
pub mod rundir;
#[cfg(test)]
mod testing;
pub mod text;

pub mod cache;
pub mod changes;
pub mod helm;
pub mod kustomize;
pub mod net;
pub mod redact;
pub mod schema;
pub mod sops;
pub mod substitute;
pub mod taint;
pub mod workspace;

pub mod artifact_generator;
pub mod build;
pub mod decrypt;
pub mod discover;
pub mod postbuild;
pub mod resourceset;
pub mod select;
pub mod sources;

pub mod engine;
pub mod graph;
pub mod pipeline;
pub mod releases;

pub mod diff;
pub mod images;
pub mod plan;
pub mod report;
pub mod snapshot;
