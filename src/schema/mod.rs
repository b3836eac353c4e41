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
//!
//! ```
//! use fluxsim::schema::{Catalog, Checked};
//! use serde_json::json;
//!
//! let rendered = vec![json!({"apiVersion": "v1", "kind": "ConfigMap",
//!                            "metadata": {"name": "c"}, "data": {"replicas": 3}})];
//! let mut catalog = Catalog::builtin(None)?;
//! // CRDs first, so that their custom resources are checked rather than skipped.
//! for object in rendered.iter().filter(|o| o["kind"] == "CustomResourceDefinition") {
//!     catalog.learn_crd(object)?;
//! }
//! let Checked::Invalid(found) = catalog.check(&rendered[0]) else { panic!() };
//! assert_eq!(found[0].path, "/data/replicas");
//! assert_eq!(found[0].message, "expected string, got integer");
//! # Ok::<(), fluxsim::schema::SchemaError>(())
//! ```

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
