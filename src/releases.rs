//! The HelmRelease stage: every HelmRelease found in the Kustomizations' output is rendered by
//! [`crate::helm::Renderer`] against a read-only view of everything the Kustomizations rendered
//! (chart sources, valuesFrom ConfigMaps and Secrets), in parallel under the subprocess limit.

use crate::engine::ChangedOnly;
use crate::flux::{self, SourceRef};
use crate::helm::{self, ChartRequest, ClusterView, HelmError, RenderedRelease, Renderer};
use crate::model::{
    ChartInfo, Diagnostic, FailureReason, NamespacedName, ObjectKey, Outcome, OwnerId, OwnerRecord,
    RenderedObject, SecretValue, SkipReason,
};
use crate::object;
use crate::reporter::{Event, Reporter, Stage};
use crate::select::{self, Role};
use crate::sources::Sources;
use base64::Engine;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// What the Kustomizations rendered that HelmReleases read (sources, ConfigMaps, Secrets), by
/// kind/namespace/name, plus mapped source folders.
pub struct RenderedView {
    objects: HashMap<(String, String, String), Value>,
    sources: Arc<Sources>,
}

impl RenderedView {
    pub fn new<'a>(owners: impl Iterator<Item = &'a OwnerRecord>, sources: Arc<Sources>) -> Self {
        let mut objects = HashMap::new();
        for obj in owners.flat_map(OwnerRecord::values) {
            // HelmReleases only read sources, ConfigMaps and Secrets by name.
            if !select::is_shared_kind(object::kind(obj)) {
                continue;
            }
            let k = ObjectKey::of(obj);
            objects
                .entry((k.kind, k.namespace, k.name))
                .or_insert_with(|| obj.clone());
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

/// Everything the HelmRelease stage shares between its tasks.
pub struct ReleaseStage {
    pub sources: Arc<Sources>,
    /// None when no helm program was found: every release fails with a setup message (and
    /// [`crate::pipeline::run`] stops with `SetupError::NoHelm`).
    pub renderers: Option<Arc<Renderers>>,
    pub slots: Arc<Semaphore>,
    pub reporter: Arc<dyn Reporter>,
}

/// Renders every HelmRelease of the rendered Kustomizations `ks` (in changed-only mode, the
/// selected ones: see [`crate::select`]).
pub async fn render_all(
    ks: &BTreeMap<OwnerId, OwnerRecord>,
    changed: Option<&ChangedOnly>,
    stage: &ReleaseStage,
) -> BTreeMap<OwnerId, OwnerRecord> {
    let mut records = BTreeMap::new();
    let role = |id: &OwnerId| changed.map_or(Role::Selected, |c| c.role(id));
    let selected_made: HashSet<select::ObjRef> = ks
        .values()
        .filter(|r| role(&r.id) == Role::Selected)
        .flat_map(|r| select::shared_objects(r.values()))
        .collect();
    let wanted = |obj: &Value, parent: &OwnerId| {
        flux::is_helmrelease(obj)
            && changed.is_none_or(|c| {
                select::hr_selected(&c.selection, obj, role(parent), &selected_made)
            })
    };
    // The view copies every rendered object: not worth it when nothing is to be rendered.
    if !ks.values().any(|r| r.values().any(|o| wanted(o, &r.id))) {
        return records;
    }
    let view = Arc::new(RenderedView::new(ks.values(), stage.sources.clone()));
    let unreachable: Arc<Mutex<HashSet<String>>> = Arc::default();
    let mut tasks: JoinSet<(OwnerId, RenderResult)> = JoinSet::new();
    for parent in ks.values() {
        for o in parent
            .objects
            .iter()
            .filter(|o| wanted(&o.object, &parent.id))
        {
            let id = OwnerId::hr(&NamespacedName::of(&o.object));
            if records.contains_key(&id) {
                continue; // a duplicate object; the graph reports it
            }
            let (record, request) = release_record(&id, o, parent, view.as_ref());
            records.insert(id.clone(), record);
            let task = ReleaseTask {
                needs_key: needs_key(&records[&id].object, view.as_ref()),
                hr: records[&id].object.clone(),
                host: request.as_ref().map(host_of).unwrap_or_default(),
                request,
                view: view.clone(),
                slots: stage.slots.clone(),
                renderers: stage.renderers.clone(),
                unreachable: unreachable.clone(),
            };
            tasks.spawn(async move { (id, task.run().await) });
        }
    }
    stage.reporter.report(Event::Queued {
        stage: Stage::HelmReleases,
        count: records.len() as u64,
    });
    while let Some(done) = tasks.join_next().await {
        if let Ok((id, result)) = done
            && let Some(record) = records.get_mut(&id)
        {
            stage.reporter.report(Event::Finished {
                stage: Stage::HelmReleases,
                owner: &id,
            });
            settle(record, result);
        }
    }
    stage.reporter.report(Event::StageDone {
        stage: Stage::HelmReleases,
    });
    records
}

/// A HelmRelease's record before it is rendered, and the chart it asks for.
fn release_record(
    id: &OwnerId,
    o: &RenderedObject,
    parent: &OwnerRecord,
    view: &dyn ClusterView,
) -> (OwnerRecord, Result<ChartRequest, HelmError>) {
    let (obj, warnings) = tolerate_missing_values(&o.object, view);
    let request = helm::resolve_source(&obj, view);
    let mut secrets = values_from_secrets(&obj, view);
    secrets.extend(marked_values(&obj, parent));
    let mut record =
        OwnerRecord::pending(id.clone(), obj, Some(parent.id.clone()), o.origin.clone());
    record.chart = Some(ChartInfo {
        requested: describe(&request),
        ..ChartInfo::default()
    });
    record.secrets = secrets;
    record.diagnostics = warnings.into_iter().map(Diagnostic::warning).collect();
    (record, request)
}

/// What one render task needs.
struct ReleaseTask {
    /// A valuesFrom Secret could not be decrypted (who could): the values are unknown.
    needs_key: Option<String>,
    hr: Value,
    request: Result<ChartRequest, HelmError>,
    host: String,
    view: Arc<RenderedView>,
    slots: Arc<Semaphore>,
    renderers: Option<Arc<Renderers>>,
    unreachable: Arc<Mutex<HashSet<String>>>,
}

/// A finished render, before it is filed into the record.
enum RenderResult {
    NeedsKey(String),
    Rendered(Box<RenderedRelease>),
    Unavailable(SkipReason, String),
    Failed(FailureReason, String),
}

impl ReleaseTask {
    async fn run(self) -> RenderResult {
        if let Some(needs) = self.needs_key {
            return RenderResult::NeedsKey(format!(
                "needs key {needs}: a valuesFrom Secret could not be decrypted, so its values are unknown"
            ));
        }
        match (self.request, &self.renderers) {
            (Err(e), _) => classify(e),
            (Ok(_), None) => RenderResult::Failed(
                FailureReason::Internal,
                "no helm program found: install helm or pass --helm CMD".into(),
            ),
            (Ok(_), Some(r)) => match self.slots.acquire().await {
                Ok(_slot) => {
                    let known_down = lock(&self.unreachable).contains(&self.host);
                    let renderer = if known_down { &r.offline } else { &r.online };
                    match renderer.render(&self.hr, self.view.as_ref()).await {
                        Ok(rel) => RenderResult::Rendered(Box::new(rel)),
                        Err(e) => {
                            if matches!(e, HelmError::Fetch { .. }) && !self.host.is_empty() {
                                lock(&self.unreachable).insert(self.host.clone());
                            }
                            classify(e)
                        }
                    }
                }
                Err(_) => RenderResult::Failed(FailureReason::Internal, "cancelled".into()),
            },
        }
    }
}

/// Files a render into its record.
fn settle(record: &mut OwnerRecord, result: RenderResult) {
    record.outcome = match result {
        RenderResult::Rendered(rel) => {
            if let Some(chart) = &mut record.chart {
                chart.name = Some(rel.chart.name.clone());
                chart.version = Some(rel.chart.version.clone());
            }
            record.from_cache = rel.from_cache;
            record.objects = rel
                .objects
                .into_iter()
                .map(|o| RenderedObject::new(o, None))
                .collect();
            Outcome::Rendered
        }
        RenderResult::Unavailable(reason, m) => Outcome::skipped(reason, m),
        RenderResult::NeedsKey(m) => Outcome::skipped(SkipReason::NeedsKey, m),
        RenderResult::Failed(reason, m) => Outcome::failed(reason, m),
    };
}
/// Who could decrypt the valuesFrom objects of `hr` that stayed encrypted, if any did.
fn needs_key(hr: &Value, view: &dyn ClusterView) -> Option<String> {
    let ns = object::namespace(hr).unwrap_or("default");
    let refs = hr.pointer("/spec/valuesFrom").and_then(Value::as_array)?;
    let needs: Vec<String> = refs
        .iter()
        .filter_map(|r| {
            let kind = r.get("kind")?.as_str()?;
            let name = r.get("name")?.as_str()?;
            let obj = view.get(kind, ns, name)?;
            crate::taint::no_key(&obj).map(str::to_string)
        })
        .collect();
    (!needs.is_empty()).then(|| needs.join(", "))
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

/// Offline limits are not failures of the repository; everything else is. The message leaves
/// out the `HelmRelease 'ns/name': ` every [`HelmError`] starts with: the record names its owner,
/// and every report prints the owner beside the message.
fn classify(e: HelmError) -> RenderResult {
    let message = e.detail();
    match e {
        HelmError::Offline { .. } => RenderResult::Unavailable(SkipReason::ChartNotCached, message),
        HelmError::SourceNotMapped { .. } | HelmError::Fetch { .. } => {
            RenderResult::Unavailable(SkipReason::ChartUnavailable, message)
        }
        _ => RenderResult::Failed(FailureReason::Render, message),
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

/// The secret values substitution put into the HelmRelease object, each with the origin its
/// Kustomization read it from (else the release itself).
fn marked_values(hr: &Value, parent: &OwnerRecord) -> Vec<SecretValue> {
    crate::taint::marked_values(hr)
        .into_iter()
        .map(|value| {
            let origin = parent
                .secrets
                .iter()
                .filter(|s| s.value == value)
                .map(|s| s.origin.clone())
                .min()
                .unwrap_or_else(|| {
                    let (ns, name) = (object::namespace(hr).unwrap_or(""), object::name(hr));
                    SecretValue::object_origin("HelmRelease", ns, name, "spec")
                });
            SecretValue::new(origin, value)
        })
        .collect()
}

/// Plain values read from Secrets through `valuesFrom`: whole values and every string leaf of a
/// YAML values document, so redaction finds them wherever the chart puts them. Each is bound to
/// the Secret and key it was read from.
fn values_from_secrets(hr: &Value, view: &dyn ClusterView) -> Vec<SecretValue> {
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
            for (k, v) in data.iter().filter_map(|(k, v)| Some((k, v.as_str()?))) {
                if let Ok(b) = base64::engine::general_purpose::STANDARD.decode(v.trim())
                    && let Ok(t) = String::from_utf8(b)
                {
                    texts.push((k, t));
                }
            }
        }
        if let Some(data) = secret.get("stringData").and_then(Value::as_object) {
            let strings = data
                .iter()
                .filter_map(|(k, v)| Some((k, v.as_str()?.to_string())));
            texts.extend(strings);
        }
        for (key, t) in texts {
            let origin = SecretValue::object_origin("Secret", ns, name, key);
            let mut found = Vec::new();
            if let Ok(doc) = crate::yaml::parse_one(&t)
                && (doc.is_object() || doc.is_array())
            {
                leaves(&doc, &mut found);
            }
            found.push(t);
            out.extend(
                found
                    .into_iter()
                    .map(|v| SecretValue::new(origin.clone(), v)),
            );
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
