//! Which chart a HelmRelease needs: a pure reading of `spec.chart` / `spec.chartRef` and of the source
//! objects they point to, with Flux's namespace defaulting.

use super::error::HelmError;
use super::view::{ClusterView, bool_at, namespace_of, nonempty_at, object_id, str_at};
use serde::Serialize;
use serde_json::Value;
use std::path::PathBuf;

/// Where a chart comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SourceKind {
    /// HelmRepository with an HTTP `index.yaml`.
    HelmRepository,
    /// HelmRepository `type: oci`: `<url>/<chart>:<version>`.
    OciHelmRepository,
    /// `chartRef` to an OCIRepository: the artifact is the chart.
    OciRepository,
    /// `spec.chart` is a path inside a GitRepository (or Bucket) mapped to a local folder.
    GitRepository,
}

/// OCIRepository `spec.ref`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OciRef {
    pub digest: Option<String>,
    pub semver: Option<String>,
    pub semver_filter: Option<String>,
    pub tag: Option<String>,
}

/// What a HelmRelease asks for, before any network access.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChartRequest {
    /// `namespace/name` of the HelmRelease, for messages.
    pub hr: String,
    pub kind: SourceKind,
    /// `Kind/namespace/name` of the source object.
    pub source: String,
    /// Repository URL (`https://…`, `oci://…`); empty for Git.
    pub url: String,
    /// Chart name in a repository, or the chart's path inside a Git source.
    pub chart: String,
    /// Version constraint for HelmRepository charts (`*` by default); empty otherwise.
    pub version: String,
    /// OCIRepository ref (digest > semver > tag > `latest`).
    pub oci_ref: OciRef,
    /// OCIRepository `layerSelector.mediaType`.
    pub layer_media_type: Option<String>,
    pub values_files: Vec<String>,
    pub ignore_missing_values_files: bool,
    /// `ChartVersion` (default) or `Revision`.
    pub reconcile_strategy: String,
    /// HelmChart generation, used as version metadata when valuesFiles are set.
    pub generation: i64,
    /// Local folder standing in for a Git/OCI artifact.
    pub local_dir: Option<PathBuf>,
    /// Plain HTTP allowed for OCI (`spec.insecure`).
    pub insecure: bool,
    /// True for `spec.chartRef` (OCIRepository): `.Chart.Version` gets `+<digest12>`.
    pub chart_ref: bool,
}

/// A HelmChart-like template: `spec.chart.spec` of a HelmRelease or `spec` of a HelmChart.
struct Template<'a> {
    spec: &'a Value,
    /// Namespace in which `sourceRef` is resolved when it has none.
    namespace: String,
    generation: i64,
}

/// Pure: which chart/version this HelmRelease needs.
pub fn resolve_source(hr: &Value, view: &dyn ClusterView) -> Result<ChartRequest, HelmError> {
    let id = object_id(hr);
    let hr_ns = namespace_of(hr);
    let invalid = |reason: &str| HelmError::InvalidChartRef {
        hr: id.clone(),
        reason: reason.to_string(),
    };
    match (hr.pointer("/spec/chart"), hr.pointer("/spec/chartRef")) {
        (Some(chart), None) if !chart.is_null() => {
            let spec = chart
                .get("spec")
                .ok_or_else(|| invalid("spec.chart.spec is missing"))?;
            from_template(
                &id,
                view,
                Template {
                    spec,
                    namespace: hr_ns,
                    generation: 1,
                },
            )
        }
        (None, Some(chart_ref)) if !chart_ref.is_null() => {
            let kind = nonempty_at(chart_ref, "/kind").unwrap_or_default();
            let name = nonempty_at(chart_ref, "/name")
                .ok_or_else(|| invalid("spec.chartRef.name is missing"))?;
            let ns = nonempty_at(chart_ref, "/namespace").unwrap_or(&hr_ns);
            match kind {
                "OCIRepository" => from_oci_repository(&id, view, ns, name),
                "HelmChart" => {
                    let chart = view
                        .get("HelmChart", ns, name)
                        .ok_or_else(|| not_found(&id, "HelmChart", ns, name))?;
                    let spec = chart
                        .get("spec")
                        .ok_or_else(|| invalid("HelmChart has no spec"))?;
                    let generation = chart
                        .pointer("/metadata/generation")
                        .and_then(Value::as_i64)
                        .unwrap_or(1);
                    from_template(
                        &id,
                        view,
                        Template {
                            spec,
                            namespace: ns.to_string(),
                            generation,
                        },
                    )
                }
                other => Err(invalid(&format!("unsupported chartRef kind '{other}'"))),
            }
        }
        _ => Err(invalid(
            "exactly one of spec.chart or spec.chartRef must be set",
        )),
    }
}

fn not_found(hr: &str, kind: &str, namespace: &str, name: &str) -> HelmError {
    HelmError::SourceNotFound {
        hr: hr.to_string(),
        kind: kind.to_string(),
        namespace: namespace.to_string(),
        name: name.to_string(),
    }
}

fn from_template(
    hr: &str,
    view: &dyn ClusterView,
    template: Template<'_>,
) -> Result<ChartRequest, HelmError> {
    let spec = template.spec;
    let invalid = |reason: &str| HelmError::InvalidChartRef {
        hr: hr.to_string(),
        reason: reason.to_string(),
    };
    let chart = nonempty_at(spec, "/chart").ok_or_else(|| invalid("chart is missing"))?;
    let kind = nonempty_at(spec, "/sourceRef/kind").unwrap_or("HelmRepository");
    let name =
        nonempty_at(spec, "/sourceRef/name").ok_or_else(|| invalid("sourceRef.name is missing"))?;
    let ns = nonempty_at(spec, "/sourceRef/namespace").unwrap_or(&template.namespace);
    let values_files: Vec<String> = spec
        .get("valuesFiles")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let mut request = ChartRequest {
        hr: hr.to_string(),
        kind: SourceKind::HelmRepository,
        source: format!("{kind}/{ns}/{name}"),
        url: String::new(),
        chart: chart.to_string(),
        version: nonempty_at(spec, "/version").unwrap_or("*").to_string(),
        oci_ref: OciRef::default(),
        layer_media_type: None,
        values_files,
        ignore_missing_values_files: bool_at(spec, "/ignoreMissingValuesFiles"),
        reconcile_strategy: nonempty_at(spec, "/reconcileStrategy")
            .unwrap_or("ChartVersion")
            .to_string(),
        generation: template.generation,
        local_dir: None,
        insecure: false,
        chart_ref: false,
    };
    match kind {
        "HelmRepository" => {
            let repo = view
                .get(kind, ns, name)
                .ok_or_else(|| not_found(hr, kind, ns, name))?;
            let url = nonempty_at(&repo, "/spec/url")
                .ok_or_else(|| invalid(&format!("HelmRepository '{ns}/{name}' has no spec.url")))?;
            request.insecure = bool_at(&repo, "/spec/insecure");
            if str_at(&repo, "/spec/type") == Some("oci") {
                request.kind = SourceKind::OciHelmRepository;
                request.url = url.trim_end_matches('/').to_string();
            } else {
                request.kind = SourceKind::HelmRepository;
                // NormalizeURL: the index lives under the URL with a trailing slash.
                request.url = format!("{}/", url.trim_end_matches('/'));
            }
        }
        "GitRepository" | "Bucket" => {
            request.kind = SourceKind::GitRepository;
            request.version = String::new();
            request.local_dir = Some(local_dir(hr, view, kind, ns, name)?);
        }
        other => return Err(invalid(&format!("unsupported sourceRef kind '{other}'"))),
    }
    Ok(request)
}

fn local_dir(
    hr: &str,
    view: &dyn ClusterView,
    kind: &str,
    ns: &str,
    name: &str,
) -> Result<PathBuf, HelmError> {
    if let Some(dir) = view.source_dir(kind, ns, name) {
        return Ok(dir);
    }
    if view.get(kind, ns, name).is_none() {
        return Err(not_found(hr, kind, ns, name));
    }
    Err(HelmError::SourceNotMapped {
        hr: hr.to_string(),
        kind: kind.to_string(),
        namespace: ns.to_string(),
        name: name.to_string(),
    })
}

fn from_oci_repository(
    hr: &str,
    view: &dyn ClusterView,
    ns: &str,
    name: &str,
) -> Result<ChartRequest, HelmError> {
    let kind = "OCIRepository";
    let local = view.source_dir(kind, ns, name);
    let repo = view.get(kind, ns, name);
    if repo.is_none() && local.is_none() {
        return Err(not_found(hr, kind, ns, name));
    }
    let repo = repo.unwrap_or(Value::Null);
    let url = nonempty_at(&repo, "/spec/url").unwrap_or_default();
    if url.is_empty() && local.is_none() {
        return Err(HelmError::InvalidChartRef {
            hr: hr.to_string(),
            reason: format!("OCIRepository '{ns}/{name}' has no spec.url"),
        });
    }
    let get = |p: &str| nonempty_at(&repo, p).map(str::to_string);
    Ok(ChartRequest {
        hr: hr.to_string(),
        kind: SourceKind::OciRepository,
        source: format!("{kind}/{ns}/{name}"),
        url: url.trim_end_matches('/').to_string(),
        chart: url.rsplit('/').next().unwrap_or_default().to_string(),
        version: String::new(),
        oci_ref: OciRef {
            digest: get("/spec/ref/digest"),
            semver: get("/spec/ref/semver"),
            semver_filter: get("/spec/ref/semverFilter"),
            tag: get("/spec/ref/tag"),
        },
        layer_media_type: get("/spec/layerSelector/mediaType"),
        values_files: Vec::new(),
        ignore_missing_values_files: false,
        reconcile_strategy: "ChartVersion".to_string(),
        generation: 1,
        local_dir: local,
        insecure: bool_at(&repo, "/spec/insecure"),
        chart_ref: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::HashMap;

    #[derive(Default)]
    struct View {
        objects: HashMap<(String, String, String), Value>,
        dirs: HashMap<(String, String, String), PathBuf>,
    }
    impl View {
        fn with(mut self, obj: Value) -> Self {
            let key = (
                obj["kind"].as_str().unwrap().to_string(),
                obj["metadata"]["namespace"].as_str().unwrap().to_string(),
                obj["metadata"]["name"].as_str().unwrap().to_string(),
            );
            self.objects.insert(key, obj);
            self
        }
    }
    impl ClusterView for View {
        fn get(&self, kind: &str, ns: &str, name: &str) -> Option<Value> {
            self.objects
                .get(&(kind.into(), ns.into(), name.into()))
                .cloned()
        }
        fn source_dir(&self, kind: &str, ns: &str, name: &str) -> Option<PathBuf> {
            self.dirs
                .get(&(kind.into(), ns.into(), name.into()))
                .cloned()
        }
    }

    fn hr(spec: Value) -> Value {
        json!({"apiVersion":"helm.toolkit.fluxcd.io/v2","kind":"HelmRelease",
               "metadata":{"name":"app","namespace":"apps"},"spec":spec})
    }

    #[test]
    fn helm_repository_defaults_namespace_and_version() {
        let view = View::default().with(json!({"kind":"HelmRepository",
            "metadata":{"name":"repo","namespace":"apps"},"spec":{"url":"https://charts.example.com"}}));
        let r = resolve_source(
            &hr(json!({"chart":{"spec":{"chart":"web","sourceRef":{"kind":"HelmRepository","name":"repo"}}}})),
            &view,
        )
        .unwrap();
        assert_eq!(r.kind, SourceKind::HelmRepository);
        assert_eq!(r.url, "https://charts.example.com/");
        assert_eq!(r.version, "*");
        assert_eq!(r.source, "HelmRepository/apps/repo");
    }

    #[test]
    fn missing_source_is_named() {
        let err = resolve_source(
            &hr(json!({"chart":{"spec":{"chart":"web","sourceRef":{"kind":"HelmRepository","name":"repo","namespace":"flux-system"}}}})),
            &View::default(),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "HelmRelease 'apps/app': HelmRepository 'flux-system/repo' not found"
        );
    }

    #[test]
    fn oci_helm_repository_and_chart_ref() {
        let view = View::default()
            .with(json!({"kind":"HelmRepository","metadata":{"name":"r","namespace":"apps"},
                "spec":{"url":"oci://127.0.0.1:5000/charts/","type":"oci"}}))
            .with(json!({"kind":"OCIRepository","metadata":{"name":"o","namespace":"apps"},
                "spec":{"url":"oci://127.0.0.1:5000/charts/web","ref":{"semver":">=1.0.0"},
                        "layerSelector":{"mediaType":"application/vnd.cncf.helm.chart.content.v1.tar+gzip"}}}));
        let r = resolve_source(
            &hr(json!({"chart":{"spec":{"chart":"web","version":"1.x","sourceRef":{"kind":"HelmRepository","name":"r"}}}})),
            &view,
        )
        .unwrap();
        assert_eq!(r.kind, SourceKind::OciHelmRepository);
        assert_eq!(r.url, "oci://127.0.0.1:5000/charts");
        let r = resolve_source(
            &hr(json!({"chartRef":{"kind":"OCIRepository","name":"o"}})),
            &view,
        )
        .unwrap();
        assert_eq!(r.kind, SourceKind::OciRepository);
        assert_eq!(r.oci_ref.semver.as_deref(), Some(">=1.0.0"));
        assert!(r.chart_ref);
    }

    #[test]
    fn both_or_neither_is_invalid() {
        assert!(matches!(
            resolve_source(&hr(json!({})), &View::default()),
            Err(HelmError::InvalidChartRef { .. })
        ));
    }

    #[test]
    fn git_repository_needs_a_folder() {
        let view = View::default().with(json!({"kind":"GitRepository","metadata":{"name":"g","namespace":"flux-system"},"spec":{}}));
        let spec = json!({"chart":{"spec":{"chart":"./charts/web","sourceRef":{"kind":"GitRepository","name":"g","namespace":"flux-system"}}}});
        let err = resolve_source(&hr(spec.clone()), &view).unwrap_err();
        assert!(err.to_string().contains("not mapped"), "{err}");
        let mut view = view;
        view.dirs.insert(
            ("GitRepository".into(), "flux-system".into(), "g".into()),
            PathBuf::from("/repo"),
        );
        let r = resolve_source(&hr(spec), &view).unwrap();
        assert_eq!(r.local_dir, Some(PathBuf::from("/repo")));
        assert_eq!(r.chart, "./charts/web");
    }
}
