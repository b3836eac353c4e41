//! Persistent, content-addressed caches, so that a second run does almost no work.
//!
//! [`Store`] keeps entries on disk in versioned buckets; [`KeyBuilder`] makes stable keys;
//! [`kustomize_read_set`] and [`digest_files`] say which files a kustomize build depends on, so a
//! cached build is used only when none of them changed.

mod digest;
mod entry;
mod escape;
mod key;
mod plugins;
mod readset;
mod store;

pub use digest::digest_files;
pub use escape::{Escape, PathKind};
pub use key::{Key, KeyBuilder};
pub use readset::{KUSTOMIZATION_FILE_NAMES, ReadSet, RemoteEntry, kustomize_read_set};
pub use store::{GcReport, Store};
