//! The HelmRelease stage: every HelmRelease found in the Kustomizations' output is rendered by
//! [`crate::helm::Renderer`] against a read-only view of everything the Kustomizations rendered
//! (chart sources, valuesFrom ConfigMaps and Secrets), in parallel under the subprocess limit.

use crate::engine::ClusterRender;
use crate::flux::{self, NamespacedName, SourceRef};
use crate::helm::{self, ChartRequest, ClusterView, HelmError, RenderedRelease, Renderer};
use crate::object::{self, ObjectKey};
use crate::select::{self, Role, Selection};
use crate::sources::Sources;
use base64::Engine;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// One HelmRelease and what became of it.
#[derive(Debug)]
pub struct HrNode {
    pub id: NamespacedName,
    pub object: Value,
    /// The Kustomization whose output contains it.
    pub parent: NamespacedName,
    pub file: Option<String>,
    /// Which chart and version it asks for (known even when the chart is not available).
    pub chart: String,
    pub outcome: HrOutcome,
    /// Values read from Secrets through valuesFrom (for redaction, never printed).
    pub secret_values: Vec<String>,
    /// What could not be known offline.
    pub warnings: Vec<String>,
}

#[derive(Debug)]
pub enum HrOutcome {
    Rendered(Box<RenderedRelease>),
    /// The chart cannot be had offline (not cached, or the source is not mapped).
    Unavailable(String),
    Failed(String),
}

impl HrOutcome {
    pub fn objects(&self) -> &[Value] {
        match self {
            HrOutcome::Rendered(r) => &r.objects,
            _ => &[],
        }
    }
}

/// What the Kustomizations rendered that HelmReleases read (sources, ConfigMaps, Secrets), by
/// kind/namespace/name, plus mapped source folders.
pub struct RenderedView {
    objects: HashMap<(String, String, String), Value>,
    sources: Arc<Sources>,
}

impl RenderedView {
    pub fn new(render: &ClusterRender, sources: Arc<Sources>) -> RenderedView {
        let mut objects = HashMap::new();
        for node in render.kustomizations.values() {
            for obj in node
                .outcome
                .output()
                .map(|o| o.objects.as_slice())
                .unwrap_or_default()
            {
                // HelmReleases only read sources, ConfigMaps and Secrets by name.
                if !select::is_shared_kind(object::kind(obj)) {
                    continue;
                }
                let k = ObjectKey::of(obj);
                objects
                    .entry((k.kind, k.namespace, k.name))
                    .or_insert_with(|| obj.clone());
            }
        }
        RenderedView { objects, sources }
    }
}

impl ClusterView for RenderedView {
    fn get(&self, kind: &str, namespace: &str, name: &str) -> Option<Value> {
        self.objects
            .get(&(kind.to_string(), namespace.to_string(), name.to_string()))
            .cloned()
    }

    fn source_dir(&self, kind: &str, namespace: &str, name: &str) -> Option<PathBuf> {
        let s = SourceRef {
            kind: kind.to_string(),
            name: name.to_string(),
            namespace: Some(namespace.to_string()),
        };
        self.sources.root_for(&s).ok()
    }
}

/// The renderers of a run: the one the user asked for, and a cache-only one used for hosts
/// that already failed to answer (so an unreachable registry costs one timeout, not one per
/// HelmRelease).
pub struct Renderers {
    pub online: Arc<Renderer>,
    pub offline: Arc<Renderer>,
}

/// Renders every HelmRelease of the rendered Kustomizations (in changed-only mode, the
/// selected ones: see [`crate::select`]).
pub async fn render_all(
    render: &ClusterRender,
    sources: Arc<Sources>,
    renderers: Option<Arc<Renderers>>,
    slots: Arc<Semaphore>,
    show_progress: bool,
    selection: Option<&Selection>,
) -> BTreeMap<NamespacedName, HrNode> {
    let mut nodes = BTreeMap::new();
    let selected_made: HashSet<select::ObjRef> = crate::engine::outputs(render)
        .filter(|(role, _)| *role == Role::Selected)
        .flat_map(|(_, objects)| select::shared_objects(objects))
        .collect();
    let wanted = |obj: &Value, role: Role| {
        flux::is_helmrelease(obj)
            && selection.is_none_or(|sel| select::hr_selected(sel, obj, role, &selected_made))
    };
    // The view copies every rendered object: not worth it when nothing is to be rendered.
    if !crate::engine::outputs(render)
        .any(|(role, objects)| objects.iter().any(|o| wanted(o, role)))
    {
        return nodes;
    }
    let bar = crate::engine::progress(show_progress, "rendering {pos}/{len} HelmReleases");
    let view = Arc::new(RenderedView::new(render, sources));
    let unreachable: Arc<Mutex<HashSet<String>>> = Arc::default();
    let mut tasks: JoinSet<(NamespacedName, HrOutcome)> = JoinSet::new();
    for (ks_id, ks) in &render.kustomizations {
        let Some(out) = ks.outcome.output() else {
            continue;
        };
        for (obj, file) in out.objects.iter().zip(&out.files) {
            if !wanted(obj, ks.role) {
                continue;
            }
            let id = NamespacedName::of(obj);
            if nodes.contains_key(&id) {
                continue; // a duplicate object; the graph reports it
            }
            let (obj, warnings) = tolerate_missing_values(obj, view.as_ref());
            let obj = &obj;
            let request = helm::resolve_source(obj, view.as_ref());
            let chart = describe(&request);
            let host = request.as_ref().map(host_of).unwrap_or_default();
            let mut secret_values = values_from_secrets(obj, view.as_ref());
            secret_values.extend(crate::taint::marked_values(obj));
            nodes.insert(
                id.clone(),
                HrNode {
                    id: id.clone(),
                    object: obj.clone(),
                    parent: ks_id.clone(),
                    file: file.clone(),
                    chart,
                    outcome: HrOutcome::Failed(String::new()),
                    secret_values,
                    warnings,
                },
            );
            let (hr, view, slots, renderers, unreachable) = (
                obj.clone(),
                view.clone(),
                slots.clone(),
                renderers.clone(),
                unreachable.clone(),
            );
            tasks.spawn(async move {
                let outcome = match (request, renderers) {
                    (Err(e), _) => classify(e),
                    (Ok(_), None) => HrOutcome::Failed(
                        "no helm program found: install helm or pass --helm CMD".into(),
                    ),
                    (Ok(_), Some(r)) => match slots.acquire().await {
                        Ok(_slot) => {
                            let known_down = lock(&unreachable).contains(&host);
                            let renderer = if known_down { &r.offline } else { &r.online };
                            match renderer.render(&hr, view.as_ref()).await {
                                Ok(rel) => HrOutcome::Rendered(Box::new(rel)),
                                Err(e) => {
                                    if matches!(e, HelmError::Fetch { .. }) && !host.is_empty() {
                                        lock(&unreachable).insert(host.clone());
                                    }
                                    classify(e)
                                }
                            }
                        }
                        Err(_) => HrOutcome::Failed("cancelled".into()),
                    },
                };
                (id, outcome)
            });
        }
    }
    bar.set_length(nodes.len() as u64);
    while let Some(done) = tasks.join_next().await {
        bar.inc(1);
        if let Ok((id, outcome)) = done
            && let Some(node) = nodes.get_mut(&id)
        {
            bar.set_message(id.to_string());
            node.outcome = outcome;
        }
    }
    bar.finish_and_clear();
    nodes
}

/// A valuesFrom object that no Kustomization renders may be created at run time (an
/// ExternalSecret's target, a bootstrap script); Flux would read it, we cannot. Render without
/// it (as if `optional`) and say so.
fn tolerate_missing_values(hr: &Value, view: &dyn ClusterView) -> (Value, Vec<String>) {
    let ns = object::namespace(hr).unwrap_or("default").to_string();
    let mut hr = hr.clone();
    let mut warnings = Vec::new();
    if let Some(list) = hr
        .pointer_mut("/spec/valuesFrom")
        .and_then(Value::as_array_mut)
    {
        for r in list.iter_mut() {
            let kind = r
                .get("kind")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let name = r
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let optional = r.get("optional").and_then(Value::as_bool).unwrap_or(false);
            if optional || view.get(&kind, &ns, &name).is_some() {
                continue;
            }
            warnings.push(format!(
                "valuesFrom {kind} {ns}/{name} is not rendered by any Kustomization (created at run time?); rendered without it"
            ));
            if let Some(m) = r.as_object_mut() {
                m.insert("optional".into(), Value::Bool(true));
            }
        }
    }
    (hr, warnings)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The registry host a chart comes from (empty for Git sources).
fn host_of(r: &ChartRequest) -> String {
    let rest = r
        .url
        .split_once("://")
        .map_or(r.url.as_str(), |(_, rest)| rest);
    rest.split('/').next().unwrap_or("").to_string()
}

/// Offline limits are not failures of the repository; everything else is.
fn classify(e: HelmError) -> HrOutcome {
    match e {
        HelmError::Offline { .. } | HelmError::SourceNotMapped { .. } | HelmError::Fetch { .. } => {
            HrOutcome::Unavailable(e.to_string())
        }
        e => HrOutcome::Failed(e.to_string()),
    }
}

fn describe(request: &Result<ChartRequest, HelmError>) -> String {
    let Ok(r) = request else {
        return String::new();
    };
    let version = if !r.version.is_empty() {
        r.version.clone()
    } else if let Some(d) = &r.oci_ref.digest {
        d.clone()
    } else if let Some(s) = &r.oci_ref.semver {
        s.clone()
    } else if let Some(t) = &r.oci_ref.tag {
        t.clone()
    } else {
        String::new()
    };
    let location = if r.url.is_empty() { &r.source } else { &r.url };
    let chart = if r.url.ends_with(&r.chart) || r.chart.is_empty() {
        String::new()
    } else {
        format!(" {}", r.chart)
    };
    format!("{location}{chart} {version}").trim().to_string()
}

/// Plain values read from Secrets through `valuesFrom`: whole values and every string leaf of a
/// YAML values document, so redaction finds them wherever the chart puts them.
fn values_from_secrets(hr: &Value, view: &dyn ClusterView) -> Vec<String> {
    let ns = object::namespace(hr).unwrap_or("default");
    let mut out = Vec::new();
    for r in hr
        .pointer("/spec/valuesFrom")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if r.get("kind").and_then(Value::as_str) != Some("Secret") {
            continue;
        }
        let Some(name) = r.get("name").and_then(Value::as_str) else {
            continue;
        };
        let Some(secret) = view.get("Secret", ns, name) else {
            continue;
        };
        let mut texts = Vec::new();
        if let Some(data) = secret.get("data").and_then(Value::as_object) {
            for v in data.values().filter_map(Value::as_str) {
                if let Ok(b) = base64::engine::general_purpose::STANDARD.decode(v.trim())
                    && let Ok(t) = String::from_utf8(b)
                {
                    texts.push(t);
                }
            }
        }
        if let Some(data) = secret.get("stringData").and_then(Value::as_object) {
            texts.extend(data.values().filter_map(Value::as_str).map(str::to_string));
        }
        for t in texts {
            if let Ok(doc) = crate::yaml::parse_one(&t)
                && (doc.is_object() || doc.is_array())
            {
                leaves(&doc, &mut out);
            }
            out.push(t);
        }
    }
    out
}

fn leaves(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Number(n) => out.push(n.to_string()),
        Value::Array(a) => a.iter().for_each(|x| leaves(x, out)),
        Value::Object(m) => m.values().for_each(|x| leaves(x, out)),
        _ => {}
    }
}
