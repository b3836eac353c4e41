//! Rendering Flux HelmReleases the way helm-controller does: charts are resolved and fetched by
//! our own code into a content-addressed cache, and rendered by the real `helm template`.
//!
//! Flow: [`resolve_source`] (which chart) → fetch (HTTP index, OCI, Git folder) → chart edits
//! (valuesFiles, `.Chart.Version` metadata) → [`merge_values`] → `helm template` → post-renderers
//! → origin labels. [`Renderer`] runs it all and caches renders on disk.
//!
//! `.Chart.Version` metadata: `+<manifest digest[:12]>` for `chartRef` OCIRepository (as
//! helm-controller); `+<generation>` when non-trivial valuesFiles are set (as source-controller; the
//! generation is the HelmChart's `metadata.generation`, or 1 for a chart template). Git
//! `reconcileStrategy: Revision` metadata (the commit) is not known here and is not added.

mod cache;
mod chart_dir;
mod error;
mod fetch;
mod http_repo;
mod name;
mod oci;
mod postrender;
mod renderer;
mod semver;
mod source;
mod strvals;
mod template;
mod tls;
mod values;
mod view;

pub use error::HelmError;
pub use name::{release_name, release_namespace, shorten_name};
pub use oci::HELM_CHART_LAYER;
pub use postrender::{ORIGIN_NAME, ORIGIN_NAMESPACE};
pub use renderer::{ChartSource, HelmOptions, RenderedRelease, Renderer};
pub use source::{ChartRequest, OciRef, SourceKind, resolve_source};
pub use values::{merge_maps, merge_values};
pub use view::ClusterView;
