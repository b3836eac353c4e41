//! [`Catalog`]: which schema checks which object, compiled once and shared between threads.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use jsonschema::{Draft, PatternOptions, Validator};
use serde_json::Value;

use super::builtin::{Builtin, DEFAULT_KUBE_VERSION, KubeVersion};
use super::crd;
use super::error::SchemaError;
use super::location::SchemaLocation;
use super::source::{self, Remote, SchemaFetcher};
use super::violation::{Violation, violations};

/// `(apiVersion, kind)`: what selects a schema.
type TypeKey = (String, String);

/// The schemas objects are checked against: the built-in ones of a Kubernetes version, the CRDs
/// learned from the rendered objects, and schema locations, consulted in that order.
///
/// [`check`](Catalog::check) takes `&self` and may be called from many threads: each kind's
/// schema is found and compiled once, on first use, and the compiled validator is kept.
pub struct Catalog {
    version: KubeVersion,
    builtin: Option<&'static Builtin>,
    /// Learned CRD schemas, with the CRD's name for messages.
    crds: HashMap<TypeKey, (String, Value)>,
    locations: Vec<SchemaLocation>,
    remote: Remote,
    compiled: Mutex<HashMap<TypeKey, Arc<OnceLock<Lookup>>>>,
}

/// What a lookup found for one kind.
enum Lookup {
    Found(Validator),
    Missing,
    Failed(Arc<SchemaError>),
}

/// The outcome of checking one object.
#[derive(Debug, Clone)]
pub enum Checked {
    /// The object matches its schema.
    Valid,
    /// The object breaks its schema; the violations are sorted by path.
    Invalid(Vec<Violation>),
    /// The object was not checked: never read this as a pass.
    Skipped(SkipReason),
    /// A schema was found but cannot be used (unreadable, not JSON, does not compile, or its
    /// download failed). Every object of that kind gets the same error.
    Error(Arc<SchemaError>),
}

/// Why an object was not checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// The object has no string `apiVersion` or `kind`.
    MissingTypeMeta,
    /// No schema is known for this kind: not built in, no CRD learned, in no location.
    NoSchema { api_version: String, kind: String },
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::MissingTypeMeta => f.write_str("no apiVersion or kind"),
            SkipReason::NoSchema { api_version, kind } => {
                write!(f, "no schema for {api_version} {kind}")
            }
        }
    }
}

impl Catalog {
    /// The built-in schemas of `kube_version` (default [`DEFAULT_KUBE_VERSION`]). Fails for a
    /// version whose schemas fluxsim does not ship (use [`Catalog::without_builtin`] and a
    /// location for it) and for a malformed version.
    pub fn builtin(kube_version: Option<&str>) -> Result<Catalog, SchemaError> {
        let version = KubeVersion::parse(kube_version.unwrap_or(DEFAULT_KUBE_VERSION))?;
        if !version.is_shipped() {
            return Err(SchemaError::UnsupportedKubeVersion {
                requested: version.to_string(),
                shipped: DEFAULT_KUBE_VERSION,
            });
        }
        let mut catalog = Catalog::without_builtin(&version.to_string())?;
        catalog.builtin = Some(Builtin::get()?);
        Ok(catalog)
    }

    /// No built-in kinds: only learned CRDs and locations, whose templates get `kube_version`.
    pub fn without_builtin(kube_version: &str) -> Result<Catalog, SchemaError> {
        Ok(Catalog {
            version: KubeVersion::parse(kube_version)?,
            builtin: None,
            crds: HashMap::new(),
            locations: Vec::new(),
            remote: Remote::default(),
            compiled: Mutex::new(HashMap::new()),
        })
    }

    /// The Kubernetes version schemas are looked up for.
    pub fn kube_version(&self) -> &KubeVersion {
        &self.version
    }

    /// Where to look, in order, for kinds neither built in nor learned.
    pub fn with_locations(mut self, locations: Vec<SchemaLocation>) -> Self {
        self.locations = locations;
        self.forget_all();
        self
    }

    /// How URL locations are downloaded, and the folder that keeps downloads between runs
    /// (`None`: download every run).
    pub fn with_fetcher(
        mut self,
        fetcher: impl SchemaFetcher + 'static,
        cache_dir: Option<&Path>,
    ) -> Result<Self, SchemaError> {
        self.remote = Remote::new(Arc::new(fetcher), cache_dir)?;
        self.forget_all();
        Ok(self)
    }

    /// Registers the `openAPIV3Schema` of every served version of a CustomResourceDefinition
    /// object, as rendered. A later CRD for the same kind replaces the earlier one.
    pub fn learn_crd(&mut self, crd: &Value) -> Result<(), SchemaError> {
        let name = crd
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let compiled = self.compiled.get_mut().unwrap_or_else(|e| e.into_inner());
        for learned in crd::learn(crd)? {
            let key = (learned.api_version, learned.kind);
            compiled.remove(&key);
            self.crds.insert(key, (name.to_string(), learned.schema));
        }
        Ok(())
    }

    /// Checks one object against the schema of its `apiVersion` and `kind`.
    pub fn check(&self, object: &Value) -> Checked {
        let text = |field: &str| object.get(field).and_then(Value::as_str);
        let (Some(api_version), Some(kind)) = (text("apiVersion"), text("kind")) else {
            return Checked::Skipped(SkipReason::MissingTypeMeta);
        };
        let cell = {
            let mut compiled = self.compiled.lock().unwrap_or_else(|e| e.into_inner());
            compiled
                .entry((api_version.to_string(), kind.to_string()))
                .or_default()
                .clone()
        };
        // Compiling happens outside the map's lock, so kinds compile in parallel; OnceLock makes
        // threads that want the same kind wait for the one compile.
        match cell.get_or_init(|| self.find(api_version, kind)) {
            Lookup::Found(validator) => match violations(validator, object) {
                found if found.is_empty() => Checked::Valid,
                found => Checked::Invalid(found),
            },
            Lookup::Missing => Checked::Skipped(SkipReason::NoSchema {
                api_version: api_version.to_string(),
                kind: kind.to_string(),
            }),
            Lookup::Failed(error) => Checked::Error(error.clone()),
        }
    }

    fn forget_all(&mut self) {
        self.compiled
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// Finds and compiles the schema of one kind: learned CRDs, built-ins, then locations.
    fn find(&self, api_version: &str, kind: &str) -> Lookup {
        let key = (api_version.to_string(), kind.to_string());
        let compiled = if let Some((name, schema)) = self.crds.get(&key) {
            compile(schema, Some(Draft::Draft202012))
                .map_err(|reason| (format!("CustomResourceDefinition {name}"), reason))
        } else if let Some(schema) = self.builtin.and_then(|b| b.schema_for(api_version, kind)) {
            compile(&schema, Some(Draft::Draft202012))
                .map_err(|reason| (format!("built-in Kubernetes {}", self.version), reason))
        } else {
            match self.find_in_locations(api_version, kind) {
                Ok(Some(found)) => compile_external(&found.schema).map_err(|r| (found.origin, r)),
                Ok(None) => return Lookup::Missing,
                Err(error) => return Lookup::Failed(Arc::new(error)),
            }
        };
        match compiled {
            Ok(validator) => Lookup::Found(validator),
            Err((origin, reason)) => Lookup::Failed(Arc::new(SchemaError::Compile {
                api_version: api_version.to_string(),
                kind: kind.to_string(),
                origin,
                reason,
            })),
        }
    }

    fn find_in_locations(
        &self,
        api_version: &str,
        kind: &str,
    ) -> Result<Option<source::Found>, SchemaError> {
        for location in &self.locations {
            if let Some(found) =
                source::read(location, &self.remote, &self.version, api_version, kind)?
            {
                return Ok(Some(found));
            }
        }
        Ok(None)
    }
}

/// Compiles a schema; `$ref`s may point into the built-in definitions (learned CRDs use
/// ObjectMeta from there). Patterns use the `regex` crate, whose RE2 syntax is that of Go's
/// `regexp`, which the API server and kubeconform match patterns with.
fn compile(schema: &Value, draft: Option<Draft>) -> Result<Validator, String> {
    let builtin = Builtin::get().map_err(|e| e.to_string())?;
    let mut options = jsonschema::options()
        .with_registry(&builtin.registry)
        .with_pattern_options(PatternOptions::regex());
    if let Some(draft) = draft {
        options = options.with_draft(draft);
    }
    options.build(schema).map_err(|e| e.to_string())
}

/// A location's schema says its draft in `$schema`, or else is most likely draft 4 (OpenAPI's
/// base, boolean `exclusiveMinimum`), as kubeconform's converters write; failing that, 2020-12.
fn compile_external(schema: &Value) -> Result<Validator, String> {
    if schema.get("$schema").is_some() {
        return compile(schema, None);
    }
    compile(schema, Some(Draft::Draft4)).or_else(|_| compile(schema, Some(Draft::Draft202012)))
}

#[cfg(test)]
#[path = "catalog_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "locations_tests.rs"]
mod locations_tests;
