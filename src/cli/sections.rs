//! One machine-readable document when a command renders several clusters.
//!
//! Each cluster's run prints its own view; concatenated, two JSON documents (or two JUnit
//! reports) are no longer one valid document. While a [`Sections`] collection is open, data is
//! kept per cluster and printed once at the end: JSON and YAML views become
//! `{"clusters": [{"name", "path", "output"}]}`, JUnit reports one `<testsuites>` with a suite per
//! cluster. Text, tables and YAML streams (`build -o yaml`) still print as they come.

use super::args::{BuildFormat, Command, GetFormat, GetWhat, ImagesFormat, ValidateFormat};
use fluxsim::plan;
use serde_json::{Value, json};
use std::sync::Mutex;

/// How a command's data is combined across clusters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wrap {
    Json,
    Yaml,
    Junit,
}

/// What one cluster printed.
enum Part {
    Text(String),
    Report(Box<plan::Report>),
}

struct Section {
    name: String,
    path: String,
    parts: Vec<Part>,
}

struct Sections {
    wrap: Wrap,
    done: Vec<Section>,
}

static OPEN: Mutex<Option<Sections>> = Mutex::new(None);

/// The wrap `command` needs when it renders several clusters (None: print as it comes).
pub fn wrap_for(command: &Command) -> Option<Wrap> {
    let by_get = |f: GetFormat| match f {
        GetFormat::Json => Some(Wrap::Json),
        GetFormat::Yaml => Some(Wrap::Yaml),
        _ => None,
    };
    match command {
        Command::Get { what } => match what {
            GetWhat::Ks(a) | GetWhat::Hr(a) => by_get(a.output),
            GetWhat::Images(a) => match a.output {
                ImagesFormat::Json => Some(Wrap::Json),
                ImagesFormat::Yaml => Some(Wrap::Yaml),
                _ => None,
            },
            GetWhat::Clusters(_) => None,
        },
        Command::Build(a) if a.output_dir.is_none() && a.output == BuildFormat::Json => {
            Some(Wrap::Json)
        }
        Command::Validate(a) => match a.output {
            ValidateFormat::Json => Some(Wrap::Json),
            ValidateFormat::Junit => Some(Wrap::Junit),
            ValidateFormat::Text => None,
        },
        _ => None,
    }
}

fn lock() -> std::sync::MutexGuard<'static, Option<Sections>> {
    OPEN.lock().unwrap_or_else(|p| p.into_inner())
}

/// Starts collecting; every later [`take`] goes to the current section.
pub fn open(wrap: Wrap) {
    *lock() = Some(Sections {
        wrap,
        done: Vec::new(),
    });
}

/// Starts the section of one cluster.
pub fn start(name: &str, path: &str) {
    if let Some(s) = lock().as_mut() {
        s.done.push(Section {
            name: name.to_string(),
            path: path.to_string(),
            parts: Vec::new(),
        });
    }
}

/// Keeps `text` for the current section when a collection is open; gives it back otherwise.
pub fn take(text: &str) -> Option<&str> {
    let mut open = lock();
    match open.as_mut().and_then(|s| s.done.last_mut()) {
        Some(section) => {
            section.parts.push(Part::Text(text.to_string()));
            None
        }
        None => Some(text),
    }
}

/// Keeps a validation report for a combined JUnit document; false when none is being collected.
pub fn take_report(report: &plan::Report) -> bool {
    let mut open = lock();
    match open.as_mut() {
        Some(s) if s.wrap == Wrap::Junit => match s.done.last_mut() {
            Some(section) => {
                section.parts.push(Part::Report(Box::new(report.clone())));
                true
            }
            None => false,
        },
        _ => false,
    }
}

/// Ends the collection and returns the one document (None when none was open).
pub fn close() -> Option<String> {
    let sections = lock().take()?;
    Some(combine(sections.wrap, &sections.done))
}

fn combine(wrap: Wrap, sections: &[Section]) -> String {
    if wrap == Wrap::Junit {
        let reports: Vec<(String, &plan::Report)> = sections
            .iter()
            .flat_map(|s| {
                s.parts.iter().filter_map(move |p| match p {
                    Part::Report(r) => Some((s.name.clone(), r.as_ref())),
                    Part::Text(_) => None,
                })
            })
            .collect();
        return plan::report_junit_clusters(&reports);
    }
    let clusters: Vec<Value> = sections
        .iter()
        .map(|s| {
            let outputs: Vec<Value> = s
                .parts
                .iter()
                .filter_map(|p| match p {
                    Part::Text(t) => Some(parse(wrap, t)),
                    Part::Report(_) => None,
                })
                .collect();
            let output = match <[Value; 1]>::try_from(outputs) {
                Ok([one]) => one,
                Err(many) => Value::Array(many),
            };
            json!({"name": s.name, "path": s.path, "output": output})
        })
        .collect();
    let doc = json!({ "clusters": clusters });
    match wrap {
        Wrap::Yaml => fluxsim::yaml::to_yaml(&doc),
        _ => serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n",
    }
}

/// A view's document back as a value (a view that printed something else keeps it as a string).
fn parse(wrap: Wrap, text: &str) -> Value {
    let parsed = match wrap {
        Wrap::Yaml => fluxsim::yaml::parse_one(text).ok(),
        _ => serde_json::from_str(text).ok(),
    };
    parsed.unwrap_or_else(|| Value::String(text.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(name: &str, texts: &[&str]) -> Section {
        Section {
            name: name.into(),
            path: format!("clusters/{name}"),
            parts: texts.iter().map(|t| Part::Text(t.to_string())).collect(),
        }
    }

    #[test]
    fn json_views_of_several_clusters_are_one_document() {
        let doc = combine(
            Wrap::Json,
            &[
                section("production", &["[{\"name\": \"a\"}]\n"]),
                section("staging", &["[]\n"]),
            ],
        );
        let v: Value = serde_json::from_str(&doc).unwrap();
        assert_eq!(v["clusters"][0]["name"], "production");
        assert_eq!(v["clusters"][0]["path"], "clusters/production");
        assert_eq!(v["clusters"][0]["output"][0]["name"], "a");
        assert_eq!(v["clusters"][1]["output"], json!([]));
    }

    #[test]
    fn yaml_views_parse_back() {
        let doc = combine(Wrap::Yaml, &[section("one", &["- name: a\n"])]);
        let v = fluxsim::yaml::parse_one(&doc).unwrap();
        assert_eq!(v["clusters"][0]["output"][0]["name"], "a");
    }
}
