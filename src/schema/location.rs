//! `--schema-location`: where to look for schemas the catalog does not have, as kubeconform does.
//!
//! A location is a folder path or an `http(s)` URL, usually a Go-template string. The variables
//! and their values are kubeconform's (yannh/kubeconform `pkg/registry/registry.go`,
//! `schemaPath`, and its Readme "Overriding schemas location"):
//!
//! | variable | value for `apps/v1` `Deployment` | for `v1` `ConfigMap` |
//! |---|---|---|
//! | `NormalizedKubernetesVersion` | `v1.37.0` (`master` stays `master`) | same |
//! | `StrictSuffix` | `-strict` (fluxsim always checks strictly) | same |
//! | `ResourceKind` | `deployment` (lower case) | `configmap` |
//! | `ResourceAPIVersion` | `v1` | `v1` |
//! | `Group` | `apps` | `v1` (kubeconform's quirk: the first part of apiVersion) |
//! | `KindSuffix` | `-apps-v1` (first label of the group, then the version) | `-v1` |
//!
//! A location that does not end in `json` is a folder in the yannh/kubernetes-json-schema
//! layout: `/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json`
//! is appended. The datreeio CRDs-catalog layout is
//! `https://raw.githubusercontent.com/datreeio/CRDs-catalog/main/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json`.

use super::builtin::KubeVersion;
use super::error::SchemaError;

/// Appended to a location that does not end in `json` (kubeconform does the same).
const FOLDER_LAYOUT: &str = "/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json";

/// One place to look for schemas: a folder or URL template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaLocation {
    /// The location as given.
    text: String,
    /// The template after the folder layout was appended.
    template: Vec<Piece>,
    is_url: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variable {
    NormalizedKubernetesVersion,
    StrictSuffix,
    ResourceKind,
    ResourceApiVersion,
    Group,
    KindSuffix,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Variable(Variable),
}

impl SchemaLocation {
    /// Parses a `--schema-location` value. kubeconform's alias `default` means its own schema
    /// site; in fluxsim the built-in schemas play that part, so the caller drops `default` (the
    /// catalog always consults its built-ins before any location).
    pub fn parse(location: &str) -> Result<SchemaLocation, SchemaError> {
        let bad = |reason: &str| SchemaError::BadLocation {
            location: location.to_string(),
            reason: reason.to_string(),
        };
        if location.is_empty() {
            return Err(bad("empty"));
        }
        if location == "default" {
            return Err(bad(
                "`default` names the built-in schemas, which are always used; leave it out",
            ));
        }
        let full = if location.ends_with("json") {
            location.to_string()
        } else {
            format!("{}{FOLDER_LAYOUT}", location.trim_end_matches('/'))
        };
        Ok(SchemaLocation {
            text: location.to_string(),
            template: parse_template(&full).map_err(|reason| bad(&reason))?,
            is_url: location.starts_with("http://") || location.starts_with("https://"),
        })
    }

    /// The location as given.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether schemas come from a URL (through the fetcher) rather than a file.
    pub fn is_url(&self) -> bool {
        self.is_url
    }

    /// The file path or URL of the schema of `kind` in `api_version`.
    pub fn render(&self, version: &KubeVersion, api_version: &str, kind: &str) -> String {
        let (group, resource_version) = match api_version.split_once('/') {
            Some((group, version)) => (group, version),
            None => (api_version, api_version),
        };
        let group_label = group.split('.').next().unwrap_or(group).to_lowercase();
        let kind_suffix = if api_version.contains('/') {
            format!("-{group_label}-{}", resource_version.to_lowercase())
        } else {
            format!("-{group_label}")
        };
        let mut out = String::new();
        for piece in &self.template {
            match piece {
                Piece::Text(text) => out.push_str(text),
                Piece::Variable(variable) => out.push_str(&match variable {
                    Variable::NormalizedKubernetesVersion => version.normalized(),
                    Variable::StrictSuffix => "-strict".to_string(),
                    Variable::ResourceKind => kind.to_lowercase(),
                    Variable::ResourceApiVersion => resource_version.to_string(),
                    Variable::Group => group.to_string(),
                    Variable::KindSuffix => kind_suffix.clone(),
                }),
            }
        }
        out
    }
}

/// Splits `a/{{ .Group }}/b` into text and variables. Only `{{ .Name }}` (spaces optional) is
/// Go-template syntax kubeconform users write; anything else is refused rather than guessed.
fn parse_template(template: &str) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        if start > 0 {
            pieces.push(Piece::Text(rest[..start].to_string()));
        }
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| "a `{{` is never closed".to_string())?;
        let name = after[..end].trim();
        let variable = match name {
            ".NormalizedKubernetesVersion" => Variable::NormalizedKubernetesVersion,
            ".StrictSuffix" => Variable::StrictSuffix,
            ".ResourceKind" => Variable::ResourceKind,
            ".ResourceAPIVersion" => Variable::ResourceApiVersion,
            ".Group" => Variable::Group,
            ".KindSuffix" => Variable::KindSuffix,
            other => return Err(format!("unknown template variable `{other}`")),
        };
        pieces.push(Piece::Variable(variable));
        rest = &after[end + 2..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest.to_string()));
    }
    Ok(pieces)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(location: &str, api_version: &str, kind: &str) -> String {
        let version = KubeVersion::parse("1.30.0").unwrap();
        SchemaLocation::parse(location)
            .expect("parses")
            .render(&version, api_version, kind)
    }

    #[test]
    fn kubeconform_default_layout_for_folders() {
        assert_eq!(
            render("/schemas/", "apps/v1", "Deployment"),
            "/schemas/v1.30.0-standalone-strict/deployment-apps-v1.json"
        );
        assert_eq!(
            render("https://example.test/k8s", "v1", "ConfigMap"),
            "https://example.test/k8s/v1.30.0-standalone-strict/configmap-v1.json"
        );
        assert_eq!(
            render("/s", "networking.k8s.io/v1", "Ingress"),
            "/s/v1.30.0-standalone-strict/ingress-networking-v1.json"
        );
    }

    #[test]
    fn datree_catalog_layout() {
        let catalog =
            "https://example.test/{{.Group}}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json";
        assert_eq!(
            render(catalog, "monitoring.coreos.com/v1", "PrometheusRule"),
            "https://example.test/monitoring.coreos.com/prometheusrule_v1.json"
        );
        assert_eq!(
            render(catalog, "v1", "Service"),
            "https://example.test/v1/service_v1.json"
        );
    }

    #[test]
    fn urls_and_folders_are_told_apart() {
        assert!(
            SchemaLocation::parse("https://x.test/a.json")
                .unwrap()
                .is_url()
        );
        assert!(
            !SchemaLocation::parse("schemas/{{ .ResourceKind }}.json")
                .unwrap()
                .is_url()
        );
    }

    #[test]
    fn bad_templates_are_refused() {
        for bad in [
            "",
            "default",
            "/s/{{ .Kind }}.json",
            "/s/{{ .ResourceKind .json",
            "/s/{{ printf \"%s\" .Group }}.json",
        ] {
            assert!(
                matches!(
                    SchemaLocation::parse(bad),
                    Err(SchemaError::BadLocation { .. })
                ),
                "{bad:?} should be refused"
            );
        }
    }
}
