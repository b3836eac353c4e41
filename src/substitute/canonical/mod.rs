//! Flux's per-object YAML round trip around envsubst.
//!
//! kustomize-controller substitutes `res.AsYAML()` (go-yaml v2 `Marshal` of the object's
//! JSON: keys sorted, YAML 1.1-ambiguous strings quoted) and reads the result back with
//! `yaml.YAMLToJSON` + `res.UnmarshalJSON`. `emit` and `parse` reproduce those two steps;
//! `resolve` is go-yaml v2's scalar typing and `sort` its key order.

mod emit;
mod parse;
mod resolve;
mod sort;

#[cfg(test)]
mod tests;

pub(crate) use emit::to_yaml;
pub(crate) use parse::from_yaml;
pub(crate) use sort::sort_value;
