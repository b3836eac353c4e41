//! Changed-only mode: which owners a set of changed files can affect.
//!
//! A Kustomization is **selected** (rendered and reported) when its build reads a changed file,
//! when its own object may have changed (its parent is selected), when a variable it substitutes
//! comes from a selected producer, or when its reads cannot be listed. Unselected Kustomizations
//! that may produce others are still built (warm caches make that cheap) so that the tree below
//! them is known; they **support** the run and are not reported unless they are ancestors of
//! something selected. Unselected leaves are not built at all: they are **unchanged**.
//!
//! A HelmRelease is selected when its Kustomization is, or when one of its inputs (chart source,
//! chartRef, valuesFrom) is an object a selected Kustomization renders. An unchanged leaf is
//! built after all when its files name such an input, or an input a selected HelmRelease still
//! misses: names in those fields are literal, so a text search finds every candidate.
//!
//! Owners that both sides of a diff must agree on can be forced with [`Selection::force`].

use crate::changes::ChangedFiles;
use crate::flux::NamespacedName;
use crate::model::OwnerRecord;
use crate::object;
use serde_json::Value;
use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};

/// What changed-only mode does with one Kustomization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Role {
    /// Rendered and reported (every Kustomization outside changed-only mode).
    #[default]
    Selected,
    /// Built so that what it produces is known; reported only as an ancestor.
    Support,
    /// Not built: nothing it reads changed and it produces no Kustomization.
    Unchanged,
}

/// Kinds whose objects other owners read by name (substituteFrom, valuesFrom, chart sources).
const SHARED_KINDS: [&str; 8] = [
    "ConfigMap",
    "Secret",
    "HelmRepository",
    "OCIRepository",
    "GitRepository",
    "HelmChart",
    "Bucket",
    "ExternalArtifact",
];

/// A Flux Kustomization's apiVersion, up to its version: a build whose files never name it
/// produces no Kustomization. (The group alone is also in annotations such as
/// `kustomize.toolkit.fluxcd.io/prune`, on objects of every kind.)
const KUSTOMIZATION_API: &str = "kustomize.toolkit.fluxcd.io/v";

/// A HelmRelease's apiVersion, up to its version: a build whose files never name it holds no
/// HelmRelease.
const HELMRELEASE_API: &str = "helm.toolkit.fluxcd.io/v";

/// Which of the Kustomizations a selected build produces may differ from the base.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ChangeReach {
    /// Any of them: its object or variables, a kustomization file, or something unknown changed.
    #[default]
    All,
    /// Only those from these changed files (relative to the source root). A changed file that
    /// is no object's origin (a patch, a generator's input) reaches them all.
    Files(Vec<String>),
}

impl ChangeReach {
    /// Whether a child Kustomization from `file` may differ; `origins`: the build's object files.
    pub fn covers(&self, file: Option<&str>, origins: &[Option<String>]) -> bool {
        match self {
            ChangeReach::All => true,
            ChangeReach::Files(changed) => match file {
                None => true,
                Some(f) => {
                    changed.iter().any(|c| c == f)
                        || changed
                            .iter()
                            .any(|c| !origins.iter().flatten().any(|o| o == c))
                }
            },
        }
    }
}

/// The changed files as one side of a run sees them, and what must be selected regardless.
#[derive(Debug, Clone)]
pub struct Selection {
    /// The folder the changed paths are relative to (the git top level of this side).
    top: PathBuf,
    changed: ChangedFiles,
    /// A change no file map can follow (ignore rules, a chart folder): select every owner.
    pub everything: bool,
    /// Owners selected whatever their files (the other side of a diff selected them).
    pub forced_ks: BTreeSet<NamespacedName>,
    pub forced_hr: BTreeSet<NamespacedName>,
}

impl Selection {
    pub fn new(top: &Path, changed: ChangedFiles) -> Selection {
        let top = top.canonicalize().unwrap_or_else(|_| top.to_path_buf());
        let everything = changed
            .files
            .iter()
            .any(|f| changes_membership(f) || in_chart_folder(&top, f));
        Selection {
            top,
            changed,
            everything,
            forced_ks: BTreeSet::new(),
            forced_hr: BTreeSet::new(),
        }
    }

    pub fn changed(&self) -> &ChangedFiles {
        &self.changed
    }

    /// Whether the file at `root/rel` is a changed file.
    pub fn is_changed(&self, root: &Path, rel: &Path) -> bool {
        root.join(rel)
            .strip_prefix(&self.top)
            .is_ok_and(|p| self.changed.files.contains(p))
    }

    /// The role of a Kustomization whose build of `root/dir` reads `read_set` (None: not
    /// knowable) with the top kustomization `top`, and for a selected one, its [`ChangeReach`].
    /// `inherited`: its object or variables may have changed; `no_skip`: something may need its
    /// output.
    pub fn decide(&self, input: &Decide<'_>) -> (Role, ChangeReach) {
        let Some(read_set) = input.read_set else {
            return (Role::Selected, ChangeReach::All);
        };
        if self.everything || input.inherited {
            return (Role::Selected, ChangeReach::All);
        }
        let own_files = crate::cache::KUSTOMIZATION_FILE_NAMES
            .iter()
            .map(|n| input.dir.join(n));
        let mut touched: Vec<PathBuf> = read_set
            .iter()
            .cloned()
            .chain(own_files)
            .filter(|f| self.is_changed(input.root, f))
            .collect();
        touched.sort();
        touched.dedup();
        if !touched.is_empty() {
            (Role::Selected, reach(input, read_set, touched))
        } else if self.forced_ks.contains(input.id) {
            // Selected for the other side of a diff; nothing it reads here changed, and the
            // children that side selected are forced one by one.
            (Role::Selected, ChangeReach::Files(Vec::new()))
        } else if input.no_skip || mentions(input.root, read_set, input.top, &[KUSTOMIZATION_API]) {
            (Role::Support, ChangeReach::All)
        } else {
            (Role::Unchanged, ChangeReach::All)
        }
    }
}

/// What [`Selection::decide`] looks at.
pub struct Decide<'a> {
    pub id: &'a NamespacedName,
    pub root: &'a Path,
    pub dir: &'a Path,
    pub read_set: Option<&'a [PathBuf]>,
    pub top: &'a Value,
    pub inherited: bool,
    pub no_skip: bool,
}

/// What changing `touched` (files of `read_set`) can reach. A kustomization file changes how
/// every object is built; `replacements` and `vars` copy fields from one object into others.
fn reach(input: &Decide<'_>, read_set: &[PathBuf], touched: Vec<PathBuf>) -> ChangeReach {
    let is_kustomization = |f: &PathBuf| {
        f.file_name().is_some_and(|n| {
            crate::cache::KUSTOMIZATION_FILE_NAMES
                .iter()
                .any(|k| n == *k)
        })
    };
    if touched.iter().any(is_kustomization) {
        return ChangeReach::All;
    }
    let kustomizations: Vec<PathBuf> = read_set
        .iter()
        .filter(|f| is_kustomization(f))
        .cloned()
        .collect();
    if mentions(
        input.root,
        &kustomizations,
        input.top,
        &["replacements", "vars"],
    ) {
        return ChangeReach::All;
    }
    ChangeReach::Files(
        touched
            .iter()
            .map(|f| f.to_string_lossy().into_owned())
            .collect(),
    )
}

/// `.gitignore`/`.sourceignore` decide which files exist for every build.
fn changes_membership(rel: &Path) -> bool {
    rel.file_name()
        .is_some_and(|n| n == ".sourceignore" || n == ".gitignore")
}

/// A file inside a chart folder (a folder with `Chart.yaml` at or above it): charts from Git are
/// read by HelmReleases anywhere, which cannot be found from the file.
fn in_chart_folder(top: &Path, rel: &Path) -> bool {
    rel.ancestors()
        .skip(1)
        .any(|dir| top.join(dir).join("Chart.yaml").is_file())
}

/// What [`mentions_all`] looks for: any of some strings, or any of some object names.
#[derive(Debug, Clone, Copy)]
pub enum Find<'a> {
    Text(&'a [&'a str]),
    /// Names as a `name:` value (`name: x`, `name: "x"`, `"name":"x"`), as objects name
    /// themselves and as HelmReleases and substituteFrom name what they read.
    Names(&'a [&'a str]),
}

impl Find<'_> {
    fn is_empty(&self) -> bool {
        match self {
            Find::Text(n) | Find::Names(n) => n.is_empty(),
        }
    }

    fn in_text(&self, text: &str) -> bool {
        match self {
            Find::Text(needles) => needles.iter().any(|n| text.contains(n)),
            Find::Names(names) => names.iter().any(|n| names_value(text, n)),
        }
    }
}

/// Whether `text` has `name` as the value of a `name` key.
fn names_value(text: &str, name: &str) -> bool {
    text.match_indices(name).any(|(at, _)| {
        let after = text[at + name.len()..].chars().next();
        let ends = after
            .is_none_or(|c| matches!(c, '"' | '\'' | ' ' | '\t' | '\r' | '\n' | ',' | '}' | '#'));
        let before = text[..at]
            .trim_end_matches(['"', '\''])
            .trim_end_matches([' ', '\t']);
        ends && (before.ends_with("name:") || before.ends_with("\"name\":"))
    })
}

/// Whether any of `files` (relative to `root`) or `top` contains one of `needles`.
pub fn mentions(root: &Path, files: &[PathBuf], top: &Value, needles: &[&str]) -> bool {
    mentions_all(root, files, top, &[Find::Text(needles)])
}

/// Whether every one of `finds` is found in `files` (relative to `root`) or `top` (not
/// necessarily in the same file). A file that cannot be read may contain anything.
pub fn mentions_all(root: &Path, files: &[PathBuf], top: &Value, finds: &[Find<'_>]) -> bool {
    if finds.iter().any(Find::is_empty) {
        return false;
    }
    let top = top.to_string();
    let mut unfound: Vec<&Find<'_>> = finds.iter().filter(|f| !f.in_text(&top)).collect();
    for f in files {
        if unfound.is_empty() {
            break;
        }
        let Ok(bytes) = std::fs::read(root.join(f)) else {
            return true;
        };
        let text = String::from_utf8_lossy(&bytes);
        unfound.retain(|find| !find.in_text(&text));
    }
    unfound.is_empty()
}

/// (kind, namespace, name) of an object.
pub type ObjRef = (String, String, String);

/// Whether other owners read objects of this kind by name.
pub fn is_shared_kind(kind: &str) -> bool {
    SHARED_KINDS.contains(&kind)
}

/// The shared objects (see [`SHARED_KINDS`]) among `objects`.
pub fn shared_objects<'a>(objects: impl IntoIterator<Item = &'a Value>) -> Vec<ObjRef> {
    objects
        .into_iter()
        .filter(|o| SHARED_KINDS.contains(&object::kind(o)))
        .map(|o| {
            (
                object::kind(o).to_string(),
                object::namespace(o).unwrap_or_default().to_string(),
                object::name(o).to_string(),
            )
        })
        .collect()
}

/// The objects a HelmRelease reads by name: its chart source or chartRef, and valuesFrom.
pub fn hr_inputs(hr: &Value) -> Vec<ObjRef> {
    let ns = object::namespace(hr).unwrap_or_default().to_string();
    let spec = &hr["spec"];
    let mut out = Vec::new();
    let mut add = |r: &Value, default_kind: &str| {
        let name = r["name"].as_str().unwrap_or_default();
        if name.is_empty() {
            return;
        }
        let kind = r["kind"].as_str().unwrap_or(default_kind).to_string();
        let namespace = r["namespace"].as_str().unwrap_or(&ns).to_string();
        out.push((kind, namespace, name.to_string()));
    };
    add(&spec["chart"]["spec"]["sourceRef"], "HelmRepository");
    add(&spec["chartRef"], "OCIRepository");
    for v in spec["valuesFrom"].as_array().into_iter().flatten() {
        let name = v["name"].as_str().unwrap_or_default();
        if !name.is_empty() {
            let kind = v["kind"].as_str().unwrap_or("ConfigMap").to_string();
            out.push((kind, ns.clone(), name.to_string()));
        }
    }
    out
}

/// Whether a HelmRelease found in the output of a Kustomization with role `parent` is selected.
pub fn hr_selected(
    sel: &Selection,
    hr: &Value,
    parent: Role,
    selected_outputs: &HashSet<ObjRef>,
) -> bool {
    sel.everything
        || parent == Role::Selected
        || sel.forced_hr.contains(&NamespacedName::of(hr))
        || hr_inputs(hr).iter().any(|i| selected_outputs.contains(i))
}

/// Names an unbuilt Kustomization's files must contain to be built after all.
#[derive(Debug, Default, PartialEq)]
pub struct InputNeedles {
    /// Objects selected builds made: a HelmRelease elsewhere may read them.
    pub made: BTreeSet<String>,
    /// Inputs of selected HelmReleases that no build has made yet (nor is a local source).
    pub missing: BTreeSet<ObjRef>,
}

impl InputNeedles {
    /// Whether an unbuilt build whose files are `files` (and `top`) must be built after all: it
    /// holds a HelmRelease that may read a made object, or it may make a missing input.
    pub fn named_in(&self, root: &Path, files: &[PathBuf], top: &Value) -> bool {
        let made: Vec<&str> = self.made.iter().map(String::as_str).collect();
        let missing: Vec<&str> = self.missing.iter().map(|r| r.2.as_str()).collect();
        let consumer = [Find::Names(&made), Find::Text(&[HELMRELEASE_API])];
        mentions_all(root, files, top, &consumer)
            || mentions_all(root, files, top, &[Find::Names(&missing)])
    }
}

/// The [`InputNeedles`] of a run so far. `outputs`: each build's role and objects; `local`:
/// whether an input is a source fluxsim has a folder for (made by nobody, yet available).
pub fn input_needles<'a>(
    sel: &Selection,
    outputs: impl Iterator<Item = (Role, &'a OwnerRecord)> + Clone,
    local: impl Fn(&ObjRef) -> bool,
) -> InputNeedles {
    let mut made = HashSet::new();
    let mut selected_made = HashSet::new();
    for (role, owner) in outputs.clone() {
        for r in shared_objects(owner.values()) {
            if role == Role::Selected {
                selected_made.insert(r.clone());
            }
            made.insert(r);
        }
    }
    let mut needles = InputNeedles {
        made: selected_made.iter().map(|r| r.2.clone()).collect(),
        missing: BTreeSet::new(),
    };
    for (role, owner) in outputs {
        for hr in owner.values().filter(|o| crate::flux::is_helmrelease(o)) {
            if hr_selected(sel, hr, role, &selected_made) {
                let missing = hr_inputs(hr)
                    .into_iter()
                    .filter(|i| !made.contains(i) && !local(i));
                needles.missing.extend(missing);
            }
        }
    }
    needles
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::fs;

    fn repo() -> (tempfile::TempDir, Selection) {
        let t = tempfile::tempdir().unwrap();
        for (f, text) in [
            ("apps/a/kustomization.yaml", "resources: [hr.yaml]"),
            ("apps/a/hr.yaml", "kind: HelmRelease"),
            ("apps/b/kustomization.yaml", "resources: [hr.yaml]"),
            ("apps/b/hr.yaml", "kind: HelmRelease"),
            ("apps/kustomization.yaml", "resources: [ks.yaml]"),
            (
                "apps/ks.yaml",
                "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization",
            ),
        ] {
            crate::testing::write(t.path(), f, text);
        }
        let sel = Selection::new(
            t.path(),
            ChangedFiles::new([PathBuf::from("apps/a/hr.yaml")]),
        );
        (t, sel)
    }

    fn decide(sel: &Selection, root: &Path, dir: &str, files: &[&str], inherited: bool) -> Role {
        verdict(sel, root, dir, files, inherited).0
    }

    fn verdict(
        sel: &Selection,
        root: &Path,
        dir: &str,
        files: &[&str],
        inherited: bool,
    ) -> (Role, ChangeReach) {
        let files: Vec<PathBuf> = files.iter().map(PathBuf::from).collect();
        sel.decide(&Decide {
            id: &NamespacedName::new("flux-system", dir),
            root,
            dir: Path::new(dir),
            read_set: Some(&files),
            top: &json!({}),
            inherited,
            no_skip: false,
        })
    }

    #[test]
    fn a_build_reading_a_changed_file_is_selected() {
        let (t, sel) = repo();
        assert_eq!(
            decide(&sel, t.path(), "apps/a", &["apps/a/hr.yaml"], false),
            Role::Selected
        );
        assert_eq!(
            decide(&sel, t.path(), "apps/b", &["apps/b/hr.yaml"], false),
            Role::Unchanged
        );
        assert_eq!(
            decide(&sel, t.path(), "apps/b", &["apps/b/hr.yaml"], true),
            Role::Selected
        );
    }

    #[test]
    fn an_unchanged_build_that_may_produce_kustomizations_supports() {
        let (t, sel) = repo();
        assert_eq!(
            decide(&sel, t.path(), "apps", &["apps/ks.yaml"], false),
            Role::Support
        );
    }

    #[test]
    fn unknown_reads_select() {
        let (t, sel) = repo();
        let verdict = sel.decide(&Decide {
            id: &NamespacedName::new("flux-system", "x"),
            root: t.path(),
            dir: Path::new("apps/b"),
            read_set: None,
            top: &json!({}),
            inherited: false,
            no_skip: false,
        });
        assert_eq!(verdict, (Role::Selected, ChangeReach::All));
    }

    #[test]
    fn a_changed_resource_file_reaches_only_its_own_objects() {
        let (t, sel) = repo();
        let files = ["apps/kustomization.yaml", "apps/ks.yaml", "apps/a/hr.yaml"];
        let (role, reach) = verdict(&sel, t.path(), "apps", &files, false);
        assert_eq!(role, Role::Selected);
        assert_eq!(reach, ChangeReach::Files(vec!["apps/a/hr.yaml".into()]));
        let origins = [
            Some("apps/ks.yaml".to_string()),
            Some("apps/a/hr.yaml".into()),
        ];
        assert!(reach.covers(Some("apps/a/hr.yaml"), &origins));
        assert!(!reach.covers(Some("apps/ks.yaml"), &origins));
        assert!(
            reach.covers(None, &origins),
            "an unknown origin may be anything"
        );
        // A changed file no object came from (a patch) may reach every object.
        assert!(reach.covers(Some("apps/ks.yaml"), &origins[..1]));
        // Selected only for the other side of a diff: none of its children here.
        let mut forced = sel.clone();
        forced
            .forced_ks
            .insert(NamespacedName::new("flux-system", "apps/b"));
        let (role, reach) = verdict(&forced, t.path(), "apps/b", &["apps/b/hr.yaml"], false);
        assert_eq!((role, reach), (Role::Selected, ChangeReach::Files(vec![])));
        // Inherited, or a kustomization that copies fields between objects: everything.
        assert_eq!(
            verdict(&sel, t.path(), "apps", &files, true).1,
            ChangeReach::All
        );
        fs::write(t.path().join("apps/kustomization.yaml"), "replacements: []").unwrap();
        assert_eq!(
            verdict(&sel, t.path(), "apps", &files, false).1,
            ChangeReach::All
        );
    }

    #[test]
    fn ignore_rules_and_chart_files_select_everything() {
        let t = tempfile::tempdir().unwrap();
        fs::create_dir_all(t.path().join("charts/web/templates")).unwrap();
        fs::write(t.path().join("charts/web/Chart.yaml"), "name: web").unwrap();
        let chart = ChangedFiles::new([PathBuf::from("charts/web/templates/d.yaml")]);
        assert!(Selection::new(t.path(), chart).everything);
        let ignore = ChangedFiles::new([PathBuf::from("apps/.sourceignore")]);
        assert!(Selection::new(t.path(), ignore).everything);
        let plain = ChangedFiles::new([PathBuf::from("apps/a/hr.yaml")]);
        assert!(!Selection::new(t.path(), plain).everything);
    }

    #[test]
    fn helmrelease_inputs_default_their_kind_and_namespace() {
        let hr = json!({"kind": "HelmRelease", "metadata": {"name": "web", "namespace": "apps"},
            "spec": {"chart": {"spec": {"chart": "web", "sourceRef": {"kind": "HelmRepository", "name": "charts", "namespace": "flux-system"}}},
                     "valuesFrom": [{"name": "web-values"}, {"kind": "Secret", "name": "web-secret"}]}});
        let inputs = hr_inputs(&hr);
        let r = |k: &str, n: &str, name: &str| (k.to_string(), n.to_string(), name.to_string());
        assert_eq!(
            inputs,
            vec![
                r("HelmRepository", "flux-system", "charts"),
                r("ConfigMap", "apps", "web-values"),
                r("Secret", "apps", "web-secret")
            ]
        );
        let (_t, sel) = repo();
        let produced: HashSet<ObjRef> = [r("Secret", "apps", "web-secret")].into();
        assert!(hr_selected(&sel, &hr, Role::Support, &produced));
        assert!(!hr_selected(&sel, &hr, Role::Support, &HashSet::new()));
        assert!(hr_selected(&sel, &hr, Role::Selected, &HashSet::new()));
    }

    #[test]
    fn names_are_found_as_name_values() {
        assert!(names_value("  name: \"miroir\" # the store", "miroir"));
        assert!(names_value("{\"name\":\"miroir\"}", "miroir"));
        assert!(names_value(
            "chartRef: {kind: OCIRepository, name: miroir}",
            "miroir"
        ));
        assert!(!names_value("name: miroir-local\nclass: miroir", "miroir"));
    }

    #[test]
    fn a_made_object_wants_only_builds_holding_a_helmrelease_that_names_it() {
        let t = tempfile::tempdir().unwrap();
        for (f, text) in [
            ("pvc.yaml", "storageClassName: miroir"),
            ("sc.yaml", "name: miroir-local"),
            ("ref.yaml", "chartRef: {kind: OCIRepository, name: miroir}"),
            (
                "hr.yaml",
                "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease",
            ),
            ("cm.yaml", "name: app-values"),
        ] {
            fs::write(t.path().join(f), text).unwrap();
        }
        let needles = InputNeedles {
            made: ["miroir".to_string()].into(),
            missing: [("ConfigMap".into(), "apps".into(), "app-values".into())].into(),
        };
        let files = |names: &[&str]| names.iter().map(PathBuf::from).collect::<Vec<_>>();
        let named = |names: &[&str]| needles.named_in(t.path(), &files(names), &json!({}));
        assert!(!named(&["pvc.yaml", "sc.yaml", "hr.yaml"]), "not as a name");
        assert!(
            !named(&["ref.yaml"]),
            "named, but in no HelmRelease's build"
        );
        assert!(named(&["ref.yaml", "hr.yaml"]), "a HelmRelease may read it");
        assert!(
            named(&["cm.yaml"]),
            "a missing input is wanted wherever it is named"
        );
        let nothing = [Find::Names(&[])];
        assert!(!mentions_all(
            t.path(),
            &files(&["hr.yaml"]),
            &json!({}),
            &nothing
        ));
        let unreadable = mentions(t.path(), &files(&["gone.yaml"]), &json!({}), &["x"]);
        assert!(unreadable, "an unreadable file may hold anything");
    }
}
