//! Schema checks of rendered objects, like `kubeconform -strict`: unknown fields, wrong types,
//! missing required fields and values outside an enum, with a JSON Pointer to each.
//!
//! A [`Catalog`] holds the schemas: the built-in ones of one Kubernetes version (shipped in
//! `data/`, see its README), the CRDs [learned](Catalog::learn_crd) from rendered
//! CustomResourceDefinitions, and `--schema-location` folders or URLs ([`SchemaLocation`], with
//! URLs read through the caller's [`SchemaFetcher`]). [`Catalog::check`] gives a [`Checked`] per
//! object; an object whose schema is unknown is [`Checked::Skipped`], never valid.
//!
//! This module does no HTTP, prints nothing and knows nothing of Flux: it checks
//! `serde_json::Value`s.

mod builtin;
mod catalog;
mod crd;
mod error;
mod location;
mod source;
mod violation;

pub use builtin::{DEFAULT_KUBE_VERSION, KubeVersion};
pub use catalog::{Catalog, Checked, SkipReason};
pub use error::{FetchError, SchemaError};
pub use location::SchemaLocation;
pub use source::SchemaFetcher;
pub use violation::{Violation, ViolationKind};
