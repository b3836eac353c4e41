//! The set of files a `kustomize build` of one folder reads, found without running kustomize.
//!
//! A cached build is valid exactly when the kustomization given to it and the content of every
//! file it reads are unchanged. This module walks the kustomization the way kustomize's loader
//! does (every field that names a file, nested kustomizations recursively) and lists those files.
//! When something cannot be known offline or would make kustomize fail (remote bases, helmCharts,
//! external plugins, missing paths, paths leaving the root), the set is marked incomplete and the
//! caller must not use the cache for that build. Call it again on every run: the set itself depends
//! on the files (a kustomization file names the next ones), and it is cheap.

use std::collections::{BTreeSet, HashSet};
use std::fs;
use std::path::{Component, Path, PathBuf};

use serde_json::{Map, Value};

use super::escape::{self, Escape, OnDisk, PathKind};
use super::plugins;

/// Names kustomize accepts for a folder's kustomization file (`konfig.RecognizedKustomizationFileNames`).
pub const KUSTOMIZATION_FILE_NAMES: [&str; 3] =
    ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// The files a build reads, relative to the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadSet {
    /// Relative to the root, sorted, without duplicates. Does not include the built folder's own
    /// kustomization file: the caller passes its (possibly rewritten) content and must key on it.
    pub files: Vec<PathBuf>,
    /// False when the build depends on something not listed here, or would fail.
    pub complete: bool,
    /// Why the set is incomplete (empty when complete), for `--verbose` output.
    pub reasons: Vec<String>,
    /// What kustomize would fetch over the network, for the network policy to check.
    pub remote: Vec<RemoteEntry>,
    /// Reads outside the root: Flux fails the build on the first one.
    pub escapes: Vec<Escape>,
}

/// An entry kustomize fetches itself (a remote base, an http(s) file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteEntry {
    /// The entry as written.
    pub entry: String,
    /// Where: `resources entry "…" in apps/kustomization.yaml`.
    pub at: String,
}

/// Lists the files that `kustomize build --load-restrictor LoadRestrictionsNone` of `root/dir` reads,
/// when `dir`'s kustomization is `top` (its content as Flux will write it; it is not read from disk).
/// `known` answers for the paths the artifact scan listed (see [`PathKind`]); others are looked
/// at on disk.
pub fn kustomize_read_set(
    root: &Path,
    dir: &Path,
    top: &Value,
    known: &dyn Fn(&Path) -> Option<PathKind>,
) -> ReadSet {
    let mut walker = Walker::new(root, known);
    match normalize(Path::new(""), dir) {
        Some(dir) if walker.is_dir(&dir) => {
            walker.stack.push(dir.clone());
            walker.kustomization(&dir, top);
            walker.stack.pop();
        }
        _ => walker.incomplete(format!(
            "folder {} is not a folder inside the root",
            dir.display()
        )),
    }
    walker.finish()
}

/// What a path entry names on disk.
pub(super) enum Found {
    File(PathBuf),
    Dir(PathBuf),
}

/// Walk state: the files found so far, and the folders being or already walked.
pub(super) struct Walker<'a> {
    root: &'a Path,
    files: BTreeSet<PathBuf>,
    reasons: Vec<String>,
    remote: Vec<RemoteEntry>,
    escapes: Vec<Escape>,
    /// What the artifact scan knows without a look on disk.
    known: &'a dyn Fn(&Path) -> Option<PathKind>,
    /// The root with symlinks resolved, for checking where symlinks lead (only when one is met).
    canonical_root: Option<PathBuf>,
    /// Folders (relative) with no symlink on their way from the root.
    plain_dirs: HashSet<PathBuf>,
    /// Folders on the current recursion path: meeting one again is a cycle, which kustomize rejects.
    stack: Vec<PathBuf>,
    /// Folders fully walked: a base shared by two overlays adds nothing the second time.
    done: HashSet<PathBuf>,
}

impl<'a> Walker<'a> {
    fn new(root: &'a Path, known: &'a dyn Fn(&Path) -> Option<PathKind>) -> Walker<'a> {
        Walker {
            root,
            files: BTreeSet::new(),
            reasons: Vec::new(),
            remote: Vec::new(),
            escapes: Vec::new(),
            known,
            canonical_root: None,
            plain_dirs: HashSet::new(),
            stack: Vec::new(),
            done: HashSet::new(),
        }
    }

    fn finish(self) -> ReadSet {
        ReadSet {
            files: self.files.into_iter().collect(),
            complete: self.reasons.is_empty() && self.escapes.is_empty(),
            reasons: self.reasons,
            remote: self.remote,
            escapes: self.escapes,
        }
    }

    pub(super) fn incomplete(&mut self, reason: String) {
        self.reasons.push(reason);
    }

    /// Resolves `entry` (named by field `field` of the kustomization in `base`) to a file or folder.
    pub(super) fn locate(&mut self, base: &Path, entry: &str, field: &str) -> Option<Found> {
        let at = || format!("{field} entry {entry:?} in {}", shown(base));
        // A `file://` "remote" base is a folder of this machine: outside the source.
        if entry
            .get(..7)
            .is_some_and(|s| s.eq_ignore_ascii_case("file://"))
        {
            let file = PathBuf::from(entry[7..].split("//").next().unwrap_or_default());
            self.escapes.push(Escape { file, at: at() });
            return None;
        }
        if looks_remote(entry) {
            self.incomplete(format!("{} is remote", at()));
            self.remote.push(RemoteEntry {
                entry: entry.to_string(),
                at: at(),
            });
            return None;
        }
        let Some(rel) = normalize(base, Path::new(entry)) else {
            self.escaped(base, entry, at());
            return None;
        };
        let on_disk = match self.look(&rel, &at)? {
            // A symlinked folder on the way that stays inside: what it leads to.
            OnDisk::Symlink(_) => match fs::symlink_metadata(self.root.join(&rel)) {
                Ok(m) if m.is_file() => OnDisk::File,
                Ok(m) if m.is_dir() => OnDisk::Dir,
                Ok(_) => OnDisk::Special,
                Err(_) => OnDisk::Missing,
            },
            other => other,
        };
        match on_disk {
            OnDisk::File => Some(Found::File(rel)),
            OnDisk::Dir => Some(Found::Dir(rel)),
            // Flux artifacts hold no symlinks (one resolving inside the root is left out of
            // the private copy, so kustomize reports it missing, as for an artifact).
            OnDisk::Symlink(_) | OnDisk::Special => {
                self.incomplete(format!("{} is a symlink or special file", at()));
                None
            }
            OnDisk::Missing => {
                self.incomplete(format!("{} does not exist", at()));
                None
            }
        }
    }

    /// Records a read of `entry` (from the kustomization in `base`) that leaves the root.
    fn escaped(&mut self, base: &Path, entry: &str, at: String) {
        let file = escape::lexical_join(self.root, base, Path::new(entry));
        self.escapes.push(Escape { file, at });
    }

    /// What `rel` (lexically inside the root) is on disk; `None` (and the escape recorded) when
    /// it reaches outside the root through a symlink.
    fn look(&mut self, rel: &Path, at: &dyn Fn() -> String) -> Option<OnDisk> {
        match escape::inspect(self.root, rel, self.known, &mut self.plain_dirs) {
            OnDisk::Symlink(resolved) => {
                let root = self.root;
                let canonical_root = self
                    .canonical_root
                    .get_or_insert_with(|| escape::canonical_root(root));
                if escape::is_inside(&resolved, canonical_root) {
                    return Some(OnDisk::Symlink(resolved));
                }
                self.escapes.push(Escape {
                    file: resolved,
                    at: at(),
                });
                None
            }
            on_disk => Some(on_disk),
        }
    }

    /// Whether `rel` is a folder (on disk, following symlinks).
    fn is_dir(&mut self, rel: &Path) -> bool {
        match escape::inspect(self.root, rel, self.known, &mut self.plain_dirs) {
            OnDisk::Dir => true,
            OnDisk::Symlink(_) => self.root.join(rel).is_dir(),
            _ => false,
        }
    }

    /// Whether `rel` is a regular file (following a symlink that stays inside the root);
    /// `None` when it reaches outside.
    fn is_file(&mut self, rel: &Path, at: &dyn Fn() -> String) -> Option<bool> {
        Some(match self.look(rel, at)? {
            OnDisk::File => true,
            OnDisk::Symlink(_) => self.root.join(rel).is_file(),
            OnDisk::Dir | OnDisk::Special | OnDisk::Missing => false,
        })
    }

    /// An entry that must be a file.
    pub(super) fn file(&mut self, base: &Path, entry: &str, field: &str) {
        match self.locate(base, entry, field) {
            Some(Found::File(rel)) => {
                self.files.insert(rel);
            }
            Some(Found::Dir(rel)) => {
                self.incomplete(format!("{field} entry {} is a folder", shown(&rel)));
            }
            None => {}
        }
    }

    /// Adds a file already located, and returns its text for further parsing.
    pub(super) fn read_text(&mut self, rel: PathBuf) -> Option<String> {
        let text = fs::read_to_string(self.root.join(&rel));
        let shown_rel = shown(&rel);
        self.files.insert(rel);
        match text {
            Ok(text) => Some(text),
            Err(e) => {
                self.incomplete(format!("cannot read {shown_rel}: {e}"));
                None
            }
        }
    }

    /// A `resources`/`bases` entry: a file of objects or a folder with a kustomization.
    fn resource(&mut self, base: &Path, entry: &str, field: &str) {
        match self.locate(base, entry, field) {
            Some(Found::File(rel)) => {
                self.files.insert(rel);
            }
            Some(Found::Dir(rel)) => self.folder(&rel),
            None => {}
        }
    }

    /// A `components` entry: always a folder.
    fn component(&mut self, base: &Path, entry: &str) {
        match self.locate(base, entry, "components") {
            Some(Found::Dir(rel)) => self.folder(&rel),
            Some(Found::File(rel)) => {
                self.incomplete(format!("component {} is a file", shown(&rel)));
            }
            None => {}
        }
    }

    /// A `patchesStrategicMerge` entry: kustomize loads it as a file if it can, else parses it as
    /// inline YAML.
    pub(super) fn strategic_merge_patch(&mut self, base: &Path, entry: &str, field: &str) {
        if entry.contains('\n') {
            return;
        }
        let at = || format!("{field} entry {entry:?} in {}", shown(base));
        match normalize(base, Path::new(entry)) {
            Some(rel) => match self.is_file(&rel, &at) {
                Some(true) => {
                    self.files.insert(rel);
                    return;
                }
                None => return,
                Some(false) => {}
            },
            // kustomize tries the file first: outside the root that is a refused read.
            None if !entry.contains(':') => return self.escaped(base, entry, at()),
            _ => {}
        }
        if !entry.contains(':') {
            self.incomplete(format!("{} is neither a file nor inline YAML", at()));
        }
    }

    /// A nested kustomization folder, read from disk.
    fn folder(&mut self, rel: &Path) {
        if self.stack.iter().any(|d| d == rel) {
            self.incomplete(format!("kustomization cycle through {}", shown(rel)));
            return;
        }
        if self.done.contains(rel) {
            return;
        }
        let at = || format!("kustomization file in {}", shown(rel));
        let mut present = Vec::new();
        for path in KUSTOMIZATION_FILE_NAMES.iter().map(|name| rel.join(name)) {
            match self.is_file(&path, &at) {
                Some(true) => present.push(path),
                Some(false) => {}
                None => return,
            }
        }
        let file = match present.as_slice() {
            [one] => one.clone(),
            [] => {
                self.incomplete(format!("folder {} has no kustomization file", shown(rel)));
                return;
            }
            _ => {
                self.incomplete(format!(
                    "folder {} has several kustomization files",
                    shown(rel)
                ));
                return;
            }
        };
        let shown_file = shown(&file);
        let Some(text) = self.read_text(file) else {
            return;
        };
        let value = match crate::yaml::parse_one(&text) {
            Ok(value) => value,
            Err(e) => {
                self.incomplete(format!("cannot parse {shown_file}: {e}"));
                return;
            }
        };
        self.stack.push(rel.to_path_buf());
        self.kustomization(rel, &value);
        self.stack.pop();
        self.done.insert(rel.to_path_buf());
    }

    /// Every field of a kustomization that names files. `dir` is where the kustomization lives.
    fn kustomization(&mut self, dir: &Path, value: &Value) {
        let map = match value {
            Value::Object(map) => map,
            // An empty file: kustomize fails on it ("kustomization.yaml is empty").
            _ => {
                self.incomplete(format!("kustomization in {} is not a mapping", shown(dir)));
                return;
            }
        };
        for field in ["helmCharts", "helmChartInflationGenerator"] {
            if map.get(field).is_some_and(|v| !is_empty(v)) {
                self.incomplete(format!("{field} in {} needs helm", shown(dir)));
            }
        }
        for field in ["resources", "bases"] {
            for entry in self.strings(map, field, dir) {
                self.resource(dir, entry, field);
            }
        }
        for entry in self.strings(map, "components", dir) {
            self.component(dir, entry);
        }
        for field in ["crds", "configurations"] {
            for entry in self.strings(map, field, dir) {
                self.file(dir, entry, field);
            }
        }
        for field in ["patches", "patchesJson6902", "replacements"] {
            for item in self.objects(map, field, dir) {
                self.optional_path(dir, item, field);
            }
        }
        for entry in self.strings(map, "patchesStrategicMerge", dir) {
            self.strategic_merge_patch(dir, entry, "patchesStrategicMerge");
        }
        for field in ["configMapGenerator", "secretGenerator"] {
            for item in self.objects(map, field, dir) {
                self.generator_args(dir, item, field);
            }
        }
        match map.get("openapi") {
            Some(Value::Object(openapi)) => self.optional_path(dir, openapi, "openapi"),
            None | Some(Value::Null) => {}
            Some(_) => self.incomplete(format!("openapi in {} is not a mapping", shown(dir))),
        }
        for field in ["generators", "transformers", "validators"] {
            for entry in self.strings(map, field, dir) {
                plugins::plugin_entry(self, dir, entry, field);
            }
        }
    }

    /// The `path` of a patch, replacement or openapi entry, when it has one (else it is inline).
    pub(super) fn optional_path(&mut self, dir: &Path, item: &Map<String, Value>, field: &str) {
        match item.get("path") {
            Some(Value::String(path)) if !path.is_empty() => self.file(dir, path, field),
            None | Some(Value::Null) => {}
            Some(Value::String(_)) => {}
            Some(_) => self.incomplete(format!("{field} path in {} is not a string", shown(dir))),
        }
    }

    /// The file sources of a ConfigMap/Secret generator: `files` (`path` or `key=path`), `envs`
    /// and the legacy `env`.
    pub(super) fn generator_args(&mut self, dir: &Path, item: &Map<String, Value>, field: &str) {
        for source in self.strings(item, "files", dir) {
            match file_source_path(source) {
                Some(path) => self.file(dir, path, field),
                None => self.incomplete(format!(
                    "{field} files entry {source:?} in {} is malformed",
                    shown(dir)
                )),
            }
        }
        for env in self.strings(item, "envs", dir) {
            self.file(dir, env, field);
        }
        match item.get("env") {
            Some(Value::String(env)) if !env.is_empty() => self.file(dir, env, field),
            None | Some(Value::Null) | Some(Value::String(_)) => {}
            Some(_) => self.incomplete(format!("{field} env in {} is not a string", shown(dir))),
        }
    }

    /// A list-of-strings field; anything else (other than absent or null) makes the set incomplete.
    pub(super) fn strings<'v>(
        &mut self,
        map: &'v Map<String, Value>,
        field: &str,
        dir: &Path,
    ) -> Vec<&'v str> {
        match map.get(field) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => {
                let strings: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
                if strings.len() != items.len() {
                    self.incomplete(format!("{field} in {} has non-string entries", shown(dir)));
                }
                strings
            }
            Some(_) => {
                self.incomplete(format!("{field} in {} is not a list", shown(dir)));
                Vec::new()
            }
        }
    }

    /// A list-of-mappings field, checked like [`Walker::strings`].
    pub(super) fn objects<'v>(
        &mut self,
        map: &'v Map<String, Value>,
        field: &str,
        dir: &Path,
    ) -> Vec<&'v Map<String, Value>> {
        match map.get(field) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => {
                let objects: Vec<_> = items.iter().filter_map(Value::as_object).collect();
                if objects.len() != items.len() {
                    self.incomplete(format!("{field} in {} has non-mapping entries", shown(dir)));
                }
                objects
            }
            Some(_) => {
                self.incomplete(format!("{field} in {} is not a list", shown(dir)));
                Vec::new()
            }
        }
    }
}

/// The path of a generator file source, following kustomize's `ParseFileSource`: `path` or
/// `key=path`; more than one `=` or an empty side is an error.
fn file_source_path(source: &str) -> Option<&str> {
    match source.split_once('=') {
        None => Some(source),
        Some((key, path)) if !key.is_empty() && !path.is_empty() && !path.contains('=') => {
            Some(path)
        }
        Some(_) => None,
    }
}

/// True for what kustomize would fetch over the network (http(s) files, git repositories) rather
/// than read from disk. Errs on the side of "remote": a false positive only costs a cache miss.
fn looks_remote(entry: &str) -> bool {
    let lower = entry.to_ascii_lowercase();
    lower.contains("://")
        || lower.contains("//")
        || lower.contains('?')
        || lower.starts_with("git@")
        || lower.starts_with("git::")
        || lower.starts_with("github.com")
        || lower.starts_with("gitlab.com")
        || lower.starts_with("bitbucket.org")
        || lower.ends_with(".git")
        || lower.contains(".git/")
        || lower.contains("_git/")
}

/// Joins `entry` onto `base` lexically (as kustomize's `filepath.Join` does), or `None` when the
/// result is absolute or leaves the root.
fn normalize(base: &Path, entry: &Path) -> Option<PathBuf> {
    let mut parts: Vec<&std::ffi::OsStr> = Vec::new();
    for component in base.components().chain(entry.components()) {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::Normal(part) => parts.push(part),
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(parts.iter().collect())
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Array(items) => items.is_empty(),
        Value::Object(map) => map.is_empty(),
        _ => false,
    }
}

/// A relative path for messages; the root itself shows as `.`.
pub(super) fn shown(rel: &Path) -> String {
    if rel.as_os_str().is_empty() {
        ".".to_string()
    } else {
        rel.display().to_string()
    }
}

#[cfg(test)]
#[path = "readset_tests.rs"]
mod tests;
