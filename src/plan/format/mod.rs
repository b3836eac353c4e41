//! Formatters: the plan (text tree, markdown, JSON, Mermaid, Graphviz DOT) and the validation report (text,
//! JSON, JUnit XML). All return plain Strings; ANSI colour only when asked for.

mod common;
mod dot;
mod json;
mod junit;
mod markdown;
mod mermaid;
mod report_text;
#[cfg(test)]
mod tests;
mod text;

pub use dot::plan_dot;
pub use json::{plan_json, report_json};
pub use junit::{report_junit, report_junit_clusters};
pub use markdown::plan_markdown;
pub use mermaid::plan_mermaid;
pub use report_text::report_text;
pub use text::plan_text;
