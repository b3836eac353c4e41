//! The `ArtifactGenerator` object (source.extensions.fluxcd.io/v1beta1), parsed and validated the
//! way source-watcher does before it builds anything.
//!
//! Fields and rules: fluxcd/source-watcher `api/v1beta1/artifactgenerator_types.go` (sources,
//! artifacts, copy `from`/`to`/`exclude`/`strategy`, `revision`/`originRevision`), the CRD
//! `config/crd/bases/source.extensions.fluxcd.io_artifactgenerators.yaml` (enums, patterns), and
//! `internal/controller/artifactgenerator_validation.go` (duplicate aliases and artifact names,
//! `revision` must name a source alias). Source kinds: `docs/spec/v1beta1/artifactgenerators.md`.

use serde_json::Value;

use super::GeneratorError;
use crate::object;

/// The API group of ArtifactGenerator.
pub const GROUP: &str = "source.extensions.fluxcd.io";
/// Annotation that pauses reconciliation when set to `disabled` (case-insensitive).
const RECONCILE_ANNOTATION: &str = "source.extensions.fluxcd.io/reconcile";
/// Source kinds source-watcher reads (the CRD enum; HelmChart and ExternalArtifact since 2.1).
const SOURCE_KINDS: &[&str] = &[
    "Bucket",
    "GitRepository",
    "OCIRepository",
    "HelmChart",
    "ExternalArtifact",
];

/// A source object, by kind, namespace and name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SourceId {
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

impl std::fmt::Display for SourceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}/{}", self.kind, self.namespace, self.name)
    }
}

/// One entry of `spec.sources`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRef {
    pub alias: String,
    pub id: SourceId,
}

/// How a copy operation writes files (`Overwrite` by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// Later copies replace earlier files.
    Overwrite,
    /// A YAML file merged into an existing one, Helm-values style.
    Merge,
    /// `.tar.gz`/`.tgz` files unpacked into the destination.
    Extract,
}

/// One entry of an artifact's `copy` list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyOp {
    pub from: String,
    pub to: String,
    pub exclude: Vec<String>,
    pub strategy: Strategy,
    /// A copy whose source matches nothing is skipped instead of failing.
    pub optional: bool,
}

/// One entry of `spec.artifacts`: an ExternalArtifact to compose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputArtifact {
    pub name: String,
    /// `@alias` whose revision the artifact takes; its content digest otherwise.
    pub revision: Option<String>,
    /// `@alias` whose origin revision (e.g. the Git commit) annotates the artifact.
    pub origin_revision: Option<String>,
    pub copy: Vec<CopyOp>,
}

/// A parsed ArtifactGenerator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generator {
    pub namespace: String,
    pub name: String,
    pub sources: Vec<SourceRef>,
    pub artifacts: Vec<OutputArtifact>,
    /// `source.extensions.fluxcd.io/reconcile: disabled`: the controller composes nothing.
    pub disabled: bool,
}

impl Generator {
    /// Parses and validates an ArtifactGenerator object. A missing namespace means `default`.
    pub fn from_object(obj: &Value) -> Result<Generator, GeneratorError> {
        let name = object::name(obj).to_string();
        let namespace = object::namespace(obj).unwrap_or("default").to_string();
        let id = format!("{namespace}/{name}");
        let invalid = |field: &str, reason: String| GeneratorError::Invalid {
            generator: id.clone(),
            field: field.to_string(),
            reason,
        };
        if object::kind(obj) != "ArtifactGenerator"
            || object::group_of(object::api_version(obj)) != GROUP
        {
            return Err(invalid(
                "kind",
                "not a source.extensions.fluxcd.io ArtifactGenerator".into(),
            ));
        }
        let spec = obj.get("spec").cloned().unwrap_or(Value::Null);
        if spec.get("pathPattern").is_some_and(|v| !v.is_null()) {
            return Err(GeneratorError::Unsupported {
                generator: id,
                field: "spec.pathPattern".into(),
            });
        }
        let sources = parse_sources(&spec, &namespace).map_err(|(f, r)| invalid(&f, r))?;
        let artifacts = parse_artifacts(&spec).map_err(|(f, r)| invalid(&f, r))?;
        validate(&sources, &artifacts).map_err(|(f, r)| invalid(&f, r))?;
        let disabled = object::annotations(obj)
            .and_then(|a| a.get(RECONCILE_ANNOTATION))
            .and_then(Value::as_str)
            .is_some_and(|v| v.eq_ignore_ascii_case("disabled"));
        Ok(Generator {
            namespace,
            name,
            sources,
            artifacts,
            disabled,
        })
    }

    /// The sources this generator reads.
    pub fn sources(&self) -> impl Iterator<Item = &SourceId> {
        self.sources.iter().map(|s| &s.id)
    }
}

type FieldError = (String, String);

fn str_field(v: &Value, key: &str, at: &str) -> Result<String, FieldError> {
    match v.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        _ => Err((format!("{at}.{key}"), "required".into())),
    }
}

fn opt_str(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn list<'a>(v: &'a Value, key: &str, at: &str) -> Result<&'a Vec<Value>, FieldError> {
    match v.get(key) {
        Some(Value::Array(a)) if !a.is_empty() => Ok(a),
        _ => Err((
            format!("{at}.{key}"),
            "at least one entry is required".into(),
        )),
    }
}

fn parse_sources(spec: &Value, namespace: &str) -> Result<Vec<SourceRef>, FieldError> {
    let mut out = Vec::new();
    for (i, s) in list(spec, "sources", "spec")?.iter().enumerate() {
        let at = format!("spec.sources[{i}]");
        let kind = str_field(s, "kind", &at)?;
        if !SOURCE_KINDS.contains(&kind.as_str()) {
            return Err((
                format!("{at}.kind"),
                format!("unsupported source kind {kind:?}"),
            ));
        }
        out.push(SourceRef {
            alias: str_field(s, "alias", &at)?,
            id: SourceId {
                kind,
                namespace: opt_str(s, "namespace").unwrap_or_else(|| namespace.to_string()),
                name: str_field(s, "name", &at)?,
            },
        });
    }
    Ok(out)
}

fn parse_artifacts(spec: &Value) -> Result<Vec<OutputArtifact>, FieldError> {
    let mut out = Vec::new();
    for (i, a) in list(spec, "artifacts", "spec")?.iter().enumerate() {
        let at = format!("spec.artifacts[{i}]");
        let mut copy = Vec::new();
        for (j, c) in list(a, "copy", &at)?.iter().enumerate() {
            copy.push(parse_copy(c, &format!("{at}.copy[{j}]"))?);
        }
        out.push(OutputArtifact {
            name: str_field(a, "name", &at)?,
            revision: opt_str(a, "revision"),
            origin_revision: opt_str(a, "originRevision"),
            copy,
        });
    }
    Ok(out)
}

fn parse_copy(c: &Value, at: &str) -> Result<CopyOp, FieldError> {
    let strategy = match c.get("strategy").and_then(Value::as_str).unwrap_or("") {
        "" | "Overwrite" => Strategy::Overwrite,
        "Merge" => Strategy::Merge,
        "Extract" => Strategy::Extract,
        other => {
            return Err((
                format!("{at}.strategy"),
                format!("unsupported strategy {other:?}"),
            ));
        }
    };
    let exclude = match c.get("exclude") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        Some(_) => return Err((format!("{at}.exclude"), "must be a list of patterns".into())),
    };
    Ok(CopyOp {
        from: str_field(c, "from", at)?,
        to: str_field(c, "to", at)?,
        exclude,
        strategy,
        optional: c.get("optional").and_then(Value::as_bool).unwrap_or(false),
    })
}

fn validate(sources: &[SourceRef], artifacts: &[OutputArtifact]) -> Result<(), FieldError> {
    let mut aliases = std::collections::HashSet::new();
    for s in sources {
        if !aliases.insert(s.alias.as_str()) {
            return Err((
                "spec.sources".into(),
                format!("duplicate source alias '{}' found", s.alias),
            ));
        }
    }
    let mut names = std::collections::HashSet::new();
    for a in artifacts {
        if !names.insert(a.name.as_str()) {
            return Err((
                "spec.artifacts".into(),
                format!("duplicate artifact name '{}' found", a.name),
            ));
        }
        if let Some(rev) = &a.revision {
            let alias = rev.trim_start_matches('@');
            if !aliases.contains(alias) {
                return Err((
                    "spec.artifacts".into(),
                    format!(
                        "artifact {} revision source alias '{alias}' not found",
                        a.name
                    ),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse_one;

    const EXAMPLE: &str = r#"
apiVersion: source.extensions.fluxcd.io/v1beta1
kind: ArtifactGenerator
metadata: {name: gen, namespace: apps}
spec:
  sources:
    - {alias: repo, kind: GitRepository, name: mono}
    - {alias: chart, kind: OCIRepository, name: podinfo, namespace: charts}
  artifacts:
    - name: app
      originRevision: "@repo"
      copy:
        - {from: "@repo/deploy/**", to: "@artifact/", exclude: ["*.md"]}
        - {from: "@chart/values.yaml", to: "@artifact/values.yaml", strategy: Merge}
"#;

    #[test]
    fn parses_sources_with_default_namespace_and_copy_rules() {
        let g = Generator::from_object(&parse_one(EXAMPLE).unwrap()).unwrap();
        assert_eq!(g.namespace, "apps");
        assert_eq!(g.sources[0].id.namespace, "apps");
        assert_eq!(g.sources[1].id.namespace, "charts");
        let a = &g.artifacts[0];
        assert_eq!(a.origin_revision.as_deref(), Some("@repo"));
        assert_eq!(a.copy[0].exclude, vec!["*.md"]);
        assert_eq!(a.copy[0].strategy, Strategy::Overwrite);
        assert_eq!(a.copy[1].strategy, Strategy::Merge);
        assert!(!g.disabled);
    }

    fn error_of(text: &str) -> String {
        Generator::from_object(&parse_one(text).unwrap())
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn validation_errors_follow_the_controller() {
        let dup = EXAMPLE.replace("alias: chart", "alias: repo");
        assert!(
            error_of(&dup).contains("duplicate source alias 'repo'"),
            "{}",
            error_of(&dup)
        );
        let rev = EXAMPLE.replace("originRevision: \"@repo\"", "revision: \"@nope\"");
        assert!(error_of(&rev).contains("revision source alias 'nope' not found"));
        let kind = EXAMPLE.replace("kind: OCIRepository", "kind: HelmRepository");
        assert!(error_of(&kind).contains("unsupported source kind"));
        let strategy = EXAMPLE.replace("strategy: Merge", "strategy: Append");
        assert!(error_of(&strategy).contains("apps/gen"));
        let no_copy = EXAMPLE.replace("copy:", "copy: []\n      x:");
        assert!(error_of(&no_copy).contains("copy"));
    }

    #[test]
    fn path_pattern_is_reported_unsupported() {
        let pp = EXAMPLE.replace("spec:\n", "spec:\n  pathPattern: \"@repo/apps/{app}\"\n");
        assert!(error_of(&pp).contains("spec.pathPattern"));
    }

    #[test]
    fn disabled_annotation_is_read() {
        let d = EXAMPLE.replace(
            "metadata: {name: gen, namespace: apps}",
            "metadata: {name: gen, namespace: apps, annotations: {source.extensions.fluxcd.io/reconcile: Disabled}}",
        );
        assert!(
            Generator::from_object(&parse_one(&d).unwrap())
                .unwrap()
                .disabled
        );
    }
}
