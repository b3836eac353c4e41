//! The full pipeline for one HelmRelease: resolve the source, fetch the chart (cache), prepare it
//! (valuesFiles, `.Chart.Version` metadata), merge values, `helm template`, post-render, and a render
//! cache that makes identical inputs give byte-identical output.

use super::cache::{Cache, RENDER, sha256_hex};
use super::chart_dir::{
    chart_yaml_from_dir, chart_yaml_from_tgz, copy_dir, dir_digest, merge_values_files,
    set_chart_version, unpack, with_metadata,
};
use super::error::HelmError;
use super::fetch::Fetcher;
use super::name::{release_name, release_namespace};
use super::postrender::post_render;
use super::semver::parse_version;
use super::source::{ChartRequest, SourceKind, resolve_source};
use super::template::{TemplateArgs, split_output, template};
use super::values::merge_values;
use super::view::{ClusterView, bool_at, object_id, str_at};
use serde::Serialize;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// How the renderer runs.
#[derive(Debug, Clone)]
pub struct HelmOptions {
    /// The helm command, e.g. `["helm"]`.
    pub helm: Vec<String>,
    /// Kustomize command plus leading args, e.g. `["kustomize","build"]` or `["kubectl","kustomize"]`.
    pub kustomize: Vec<String>,
    /// Root of the persistent store (`--cache-dir`): charts, indexes, renders.
    pub cache_dir: PathBuf,
    /// Keep nothing between runs (`--no-cache`): a store that lives for this run only.
    pub no_cache: bool,
    /// Never touch the network; a cache miss is an error.
    pub offline: bool,
    /// `--kube-version` for `.Capabilities.KubeVersion`.
    pub kube_version: Option<String>,
    /// `--api-versions` for `.Capabilities.APIVersions`.
    pub api_versions: Vec<String>,
    /// Network policy, timeouts and redirects of chart downloads.
    pub network: crate::net::NetOptions,
    /// The run's private folders (values, rendered output, charts, helm's home); `None` makes
    /// the renderer its own.
    pub run_dir: Option<std::sync::Arc<crate::rundir::RunDir>>,
}

/// The chart a release was rendered from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChartSource {
    pub kind: SourceKind,
    /// `Kind/namespace/name` of the source object.
    pub source: String,
    /// Repository or registry URL (chart archive URL for HTTP repositories); the folder for Git.
    pub url: String,
    /// Chart name from `Chart.yaml`.
    pub name: String,
    /// Requested version, constraint, tag or digest.
    pub requested: String,
    /// `.Chart.Version` as rendered (with Flux's build metadata, if any).
    pub version: String,
    /// `sha256:<hex>` of the chart archive (or of the chart folder's files for Git).
    pub digest: String,
    /// OCI manifest digest, the revision Flux tracks.
    pub revision: Option<String>,
}

/// One rendered HelmRelease.
#[derive(Debug, Clone)]
pub struct RenderedRelease {
    pub objects: Vec<Value>,
    pub chart: ChartSource,
    pub release_name: String,
    pub namespace: String,
    /// Merged user values (before Helm coalesces them with chart defaults).
    pub values: Value,
    /// The output came from the render cache.
    pub from_cache: bool,
}

/// Renders HelmReleases; holds the HTTP client and caches. Share it behind an `Arc`.
pub struct Renderer {
    opts: HelmOptions,
    fetcher: Fetcher,
    /// Identifies the helm binary in render cache keys (path, size, mtime): cheaper than
    /// running `helm version` for every process, which would cost as much as a cache hit saves.
    helm_identity: String,
    /// Keeps the run's folders alive while the renderer may write in them.
    run_dir: std::sync::Arc<crate::rundir::RunDir>,
}

/// A chart ready for `helm template`.
struct Prepared {
    path: PathBuf,
    /// Keeps an edited copy alive until helm has run.
    _workdir: Option<tempfile::TempDir>,
    source: ChartSource,
    /// Everything about the chart that affects rendering.
    identity: String,
}

impl Renderer {
    pub fn new(opts: HelmOptions) -> Result<Self, HelmError> {
        let setup = |e: std::io::Error| {
            HelmError::Setup(format!("cache folder {}: {e}", opts.cache_dir.display()))
        };
        let run_dir = match &opts.run_dir {
            Some(dir) => dir.clone(),
            None => {
                std::sync::Arc::new(crate::rundir::RunDir::create(&opts.cache_dir).map_err(setup)?)
            }
        };
        let cache =
            Cache::open(&opts.cache_dir, !opts.no_cache, run_dir.scratch()).map_err(setup)?;
        let fetcher = Fetcher::new(cache, opts.offline, opts.network.clone())?;
        let helm_identity = program_identity(&opts.helm);
        Ok(Renderer {
            opts,
            fetcher,
            helm_identity,
            run_dir,
        })
    }

    fn helm_home(&self) -> PathBuf {
        self.fetcher.cache.run_dir().join("helm")
    }

    /// Full pipeline for one HelmRelease: resolve → fetch chart (cache) → values → helm template →
    /// postRenderers → labels.
    pub async fn render(
        &self,
        hr: &Value,
        view: &dyn ClusterView,
    ) -> Result<RenderedRelease, HelmError> {
        let id = object_id(hr);
        let request = resolve_source(hr, view)?;
        let values = merge_values(hr, view)?;
        let prepared = self.prepare(&request).await?;
        let args = self.template_args(hr);
        let key = sha256_hex(
            json!({
                "helm": self.helm_identity,
                "chart": prepared.identity,
                "values": values,
                "args": args,
                "hr": [str_at(hr, "/metadata/name"), str_at(hr, "/metadata/namespace")],
                "postRenderers": hr.pointer("/spec/postRenderers"),
                "postRenderStrategy": hr.pointer("/spec/postRenderStrategy"),
                "commonMetadata": hr.pointer("/spec/commonMetadata"),
                "kustomize": self.opts.kustomize,
            })
            .to_string(),
        );
        let cache = &self.fetcher.cache;
        let result = |objects, from_cache| RenderedRelease {
            objects,
            chart: prepared.source.clone(),
            release_name: args.release.clone(),
            namespace: args.namespace.clone(),
            values: values.clone(),
            from_cache,
        };
        // Identical renders in flight (the base and head of a diff, two CI jobs) wait for the
        // first one, so charts with random values render once and all read the same output.
        let gate = render_gate(&key);
        let _in_flight = gate.lock().await;
        let _across_processes = cache.lock_across_processes(&key).await;
        if let Some(data) = cache.read(RENDER, &key)
            && let Ok(objects) = serde_json::from_slice::<Vec<Value>>(&data)
        {
            return Ok(result(objects, true));
        }
        // The values hold what valuesFrom read from Secrets: private folder.
        let private = self.run_dir.private();
        let workdir = tempfile::tempdir_in(private).map_err(|e| HelmError::io(&id, private, e))?;
        let values_path = workdir.path().join("values.json");
        // JSON is YAML, and leaves no doubt about scalar types.
        let values_text = serde_json::to_vec_pretty(&values).map_err(|e| HelmError::Values {
            hr: id.clone(),
            reason: e.to_string(),
        })?;
        std::fs::write(&values_path, values_text)
            .map_err(|e| HelmError::io(&id, &values_path, e))?;
        let stdout = template(
            &id,
            &self.opts.helm,
            &self.helm_home(),
            &prepared.path,
            &values_path,
            &args,
        )
        .await?;
        let rendered = split_output(&id, &stdout)?;
        let objects = post_render(hr, &id, &self.opts.kustomize, private, rendered).await?;
        let data = serde_json::to_vec(&objects)
            .map_err(|e| HelmError::io(&id, cache.root(), std::io::Error::other(e)))?;
        cache
            .write(RENDER, &key, &data)
            .map_err(|e| HelmError::io(&id, cache.root(), e))?;
        Ok(result(objects, false))
    }

    fn template_args(&self, hr: &Value) -> TemplateArgs {
        let policy = |p: &str| str_at(hr, p).unwrap_or("Create").to_string();
        TemplateArgs {
            release: release_name(hr),
            namespace: release_namespace(hr),
            // CRDs are applied unless both install and upgrade skip them (both default to Create).
            include_crds: policy("/spec/install/crds") != "Skip"
                || policy("/spec/upgrade/crds") != "Skip",
            no_hooks: bool_at(hr, "/spec/install/disableHooks"),
            skip_tests: !bool_at(hr, "/spec/test/enable"),
            skip_schema_validation: bool_at(hr, "/spec/install/disableSchemaValidation"),
            kube_version: self.opts.kube_version.clone(),
            api_versions: self.opts.api_versions.clone(),
        }
    }

    /// Fetches (or finds) the chart and applies source-controller's and helm-controller's edits.
    async fn prepare(&self, req: &ChartRequest) -> Result<Prepared, HelmError> {
        let chart_err = |reason: String| HelmError::chart(&req.hr, &req.chart, reason);
        let custom_values = !(req.values_files.is_empty() || req.values_files == ["values.yaml"]);
        // Source-controller appends the HelmChart generation when valuesFiles are set.
        let mut metadata = custom_values.then(|| req.generation.to_string());
        let found = self.locate(req).await?;
        let name = str_at(&found.chart_yaml, "/name")
            .unwrap_or(&req.chart)
            .to_string();
        let mut version = str_at(&found.chart_yaml, "/version")
            .unwrap_or_default()
            .to_string();
        if req.chart_ref
            && let Some(rev) = &found.revision
        {
            // helm-controller mutateChartWithSourceRevision: `<version>+<digest[:12]>`.
            let requested = &found.requested;
            if !requested.is_empty() && parse_version(requested).is_some() && *requested != version
            {
                return Err(chart_err(format!(
                    "artifact revision {requested} does not match chart version {version}"
                )));
            }
            let hex = rev.trim_start_matches("sha256:");
            metadata = Some(hex.chars().take(12).collect());
        }
        let mut edited = Edited {
            path: found.src.clone(),
            workdir: None,
            values_files: Value::Null,
        };
        // A chart folder is always copied: the copy holds its regular files only, as the
        // artifact source-controller packages does, so helm never follows a symlink out.
        if metadata.is_some() || custom_values || found.is_dir {
            edited = edit(req, &found, &name, custom_values, self.run_dir.scratch())?;
            if let Some(md) = &metadata {
                version = with_metadata(&version, md);
                set_chart_version(&edited.path, &version).map_err(chart_err)?;
            }
        }
        let identity = json!({"digest": found.digest, "version": version,
            "valuesFiles": edited.values_files})
        .to_string();
        Ok(Prepared {
            path: edited.path,
            _workdir: edited.workdir,
            source: ChartSource {
                kind: req.kind,
                source: req.source.clone(),
                url: found.url,
                name,
                requested: found.requested,
                version,
                digest: format!("sha256:{}", found.digest),
                revision: found.revision,
            },
            identity,
        })
    }

    /// Where the chart is: a folder of a mapped source, or an archive fetched into the cache.
    async fn locate(&self, req: &ChartRequest) -> Result<Located, HelmError> {
        let chart_err = |reason: String| HelmError::chart(&req.hr, &req.chart, reason);
        match req.kind {
            SourceKind::GitRepository | SourceKind::OciRepository if req.local_dir.is_some() => {
                let root = req.local_dir.clone().unwrap_or_default();
                let dir = if req.kind == SourceKind::GitRepository {
                    // SecureJoin, as source-controller resolves a chart path in its source;
                    // a symlinked folder is not in the artifact.
                    crate::workspace::artifact_path(&root, &req.chart).ok_or_else(|| {
                        chart_err(format!(
                            "chart path '{}' is not part of the source artifact (symlink)",
                            req.chart
                        ))
                    })?
                } else {
                    chart_root_in(&root)
                };
                Ok(Located {
                    chart_yaml: chart_yaml_from_dir(&dir).map_err(chart_err)?,
                    digest: dir_digest(&dir).map_err(chart_err)?,
                    url: dir.display().to_string(),
                    src: dir,
                    is_dir: true,
                    revision: None,
                    requested: String::new(),
                    values_base: Some(root),
                })
            }
            _ => {
                let fetched = self.fetcher.fetch(req).await?;
                let requested = match req.kind {
                    SourceKind::OciRepository => fetched.version.clone(),
                    _ => req.version.clone(),
                };
                Ok(Located {
                    chart_yaml: chart_yaml_from_tgz(&fetched.tgz).map_err(chart_err)?,
                    src: fetched.tgz,
                    is_dir: false,
                    digest: fetched.digest,
                    url: fetched.url,
                    revision: fetched.revision,
                    requested,
                    values_base: None,
                })
            }
        }
    }
}

/// A chart found: where, what its Chart.yaml says, and what it was resolved from.
struct Located {
    src: PathBuf,
    is_dir: bool,
    chart_yaml: Value,
    /// sha256 hex of the archive, or of the folder's files.
    digest: String,
    url: String,
    revision: Option<String>,
    requested: String,
    /// What Git valuesFiles paths are relative to (the source root).
    values_base: Option<PathBuf>,
}

/// A private copy of a chart that source-controller's edits can be made in.
struct Edited {
    path: PathBuf,
    workdir: Option<tempfile::TempDir>,
    /// The merged valuesFiles that replace the chart's values.yaml (null when none).
    values_files: Value,
}

/// Copies or unpacks the chart into a private folder and replaces its values.yaml with the
/// merged `valuesFiles` (Git paths are relative to the source root, repository charts' to the
/// chart root).
fn edit(
    req: &ChartRequest,
    found: &Located,
    name: &str,
    custom_values: bool,
    work: &Path,
) -> Result<Edited, HelmError> {
    let hr = &req.hr;
    let chart_err = |reason: String| HelmError::chart(hr, &req.chart, reason);
    let tmp = tempfile::tempdir_in(work).map_err(|e| HelmError::io(hr, work, e))?;
    let root = if found.is_dir {
        let dest = tmp.path().join(name);
        copy_dir(&found.src, &dest).map_err(chart_err)?;
        dest
    } else {
        unpack(&found.src, tmp.path()).map_err(chart_err)?
    };
    let mut values_files = Value::Null;
    if custom_values {
        let base = found.values_base.clone().unwrap_or_else(|| root.clone());
        values_files =
            merge_values_files(&base, &req.values_files, req.ignore_missing_values_files)
                .map_err(chart_err)?;
        let path = root.join("values.yaml");
        std::fs::write(&path, crate::yaml::to_yaml(&values_files))
            .map_err(|e| HelmError::io(hr, path, e))?;
    }
    Ok(Edited {
        path: root,
        workdir: Some(tmp),
        values_files,
    })
}

/// A mapped OCI artifact folder is the chart itself, or holds it as its only subfolder.
fn chart_root_in(root: &Path) -> PathBuf {
    if root.join("Chart.yaml").is_file() {
        return root.to_path_buf();
    }
    let subdirs: Vec<PathBuf> = std::fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("Chart.yaml").is_file())
        .collect();
    match subdirs.as_slice() {
        [only] => only.clone(),
        _ => root.to_path_buf(),
    }
}

/// `command + resolved path + size + mtime` of a program, so an upgraded binary misses the cache.
fn program_identity(command: &[String]) -> String {
    let program = command.first().map_or("helm", String::as_str);
    let path = if program.contains('/') {
        Some(PathBuf::from(program))
    } else {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(program))
                .find(|candidate| candidate.is_file())
        })
    };
    let stamp = path
        .as_ref()
        .and_then(|p| std::fs::metadata(p).ok())
        .map(|m| {
            let mtime = m
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            format!("{}:{mtime}", m.len())
        })
        .unwrap_or_default();
    format!(
        "{}|{}|{stamp}",
        command.join(" "),
        path.map(|p| p.display().to_string()).unwrap_or_default()
    )
}

/// One async lock per render key, shared by every Renderer of the process.
fn render_gate(key: &str) -> std::sync::Arc<tokio::sync::Mutex<()>> {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, OnceLock};
    static GATES: OnceLock<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>> = OnceLock::new();
    let gates = GATES.get_or_init(Default::default);
    let mut map = gates.lock().unwrap_or_else(|p| p.into_inner());
    map.entry(key.to_string()).or_default().clone()
}
