//! A deterministic synthetic cluster for benchmarks: a layered DAG of Kustomizations and HelmReleases under a
//! flux-system root, with CRDs rendered by some HelmReleases, custom resources using them (ordered by
//! dependsOn, except a few on purpose), postBuild variables and namespaces.

use serde_json::{Value, json};

use super::input::Scenario;
use crate::model::{
    FluxFile, Outcome, OwnerId, OwnerKind, OwnerRecord as Owner, RenderedObject, VarOrigin,
};

/// splitmix64: tiny, deterministic and good enough to shape test data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in 0..n (n > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

const GROUP_EVERY: usize = 50;
const NAMESPACES: usize = 16;
const VARS: usize = 12;
const SETTINGS: &str = "ConfigMap flux-system/cluster-settings";

fn meta(api_version: &str, kind: &str, ns: &str, name: &str) -> Value {
    let mut m = json!({"name": name});
    if !ns.is_empty() {
        m["namespace"] = json!(ns);
    }
    json!({"apiVersion": api_version, "kind": kind, "metadata": m})
}

fn blank_owner(id: OwnerId, object: Value, parent: Option<OwnerId>) -> Owner {
    let file = Some(format!(
        "clusters/synthetic/{}/{}.yaml",
        id.kind.short(),
        id.name
    ));
    let mut o = Owner::pending(id, object, parent, file);
    o.outcome = Outcome::Rendered;
    o
}

/// A CRD rendered by HelmRelease `owner`: (group, kind, index of the HR, index of its Kustomization).
struct Crd {
    group: String,
    kind: String,
    owner: usize,
    platform: usize,
}

/// Generation state. Every edge goes from a lower to a higher index, so the graph is acyclic: a
/// platform Kustomization (wait: true) is followed directly by its HelmReleases, so anything that later
/// depends on it comes after all the owners its readiness includes.
struct Gen {
    rng: Rng,
    owners: Vec<Owner>,
    groups: Vec<usize>,
    platforms: Vec<usize>,
    apps: Vec<usize>,
    releases: Vec<usize>,
    crds: Vec<Crd>,
}

impl Gen {
    fn pick(&mut self, from: &[usize], max: usize) -> Vec<usize> {
        let mut out = Vec::new();
        if from.is_empty() {
            return out;
        }
        for _ in 0..self.rng.below(max + 1) {
            let d = from[self.rng.below(from.len())];
            if !out.contains(&d) {
                out.push(d);
            }
        }
        out
    }

    fn depends_json(&self, depends: &[usize]) -> Value {
        Value::Array(
            depends
                .iter()
                .map(|&d| json!({"name": self.owners[d].id.name, "namespace": self.owners[d].id.namespace}))
                .collect(),
        )
    }

    /// Adds an owner under `parent`, whose objects gain the owner's Flux object.
    fn push(
        &mut self,
        kind: OwnerKind,
        ns: &str,
        spec: Value,
        parent: usize,
        objects: Vec<Value>,
    ) -> usize {
        let i = self.owners.len();
        let name = format!("{}-{i}", kind.short());
        let api_version = match kind {
            OwnerKind::HelmRelease => "helm.toolkit.fluxcd.io/v2",
            OwnerKind::Kustomization => "kustomize.toolkit.fluxcd.io/v1",
        };
        let object = json!({"apiVersion": api_version, "kind": kind.as_str(),
            "metadata": {"name": name, "namespace": ns}, "spec": spec});
        let mut owner = blank_owner(
            OwnerId::new(kind, ns, &name),
            object.clone(),
            Some(self.owners[parent].id.clone()),
        );
        owner.objects = objects
            .into_iter()
            .map(|o| RenderedObject::new(o, None))
            .collect();
        if kind == OwnerKind::Kustomization {
            for v in 0..VARS {
                owner.vars.defined.insert(
                    format!("VAR_{v}"),
                    VarOrigin {
                        source: SETTINGS.to_string(),
                        digest: format!("{:08x}", v * 7919),
                    },
                );
            }
            // VAR_{VARS} is never defined: an occasional undefined-variable finding.
            owner.vars.substituted = true;
            for _ in 0..self.rng.below(4) {
                let var = format!("VAR_{}", self.rng.below(VARS + 1));
                owner.vars.used.insert(var.clone());
                owner.vars.used_bare.insert(var);
            }
        }
        self.owners[parent]
            .objects
            .push(RenderedObject::new(object, None));
        self.owners.push(owner);
        i
    }

    fn workload(&mut self, i: usize) -> (String, Vec<Value>) {
        let ns = format!("ns-{}", self.rng.below(NAMESPACES));
        let objects = vec![
            meta("v1", "ConfigMap", &ns, &format!("config-{i}")),
            meta("apps/v1", "Deployment", &ns, &format!("app-{i}")),
            meta("v1", "Service", &ns, &format!("app-{i}")),
        ];
        (ns, objects)
    }

    fn ks_spec(&mut self, name_hint: usize, wait: bool, depends: &[usize]) -> Value {
        json!({"interval": format!("{}m", 5 + self.rng.below(55)), "path": format!("./apps/{name_hint}"),
            "prune": true, "wait": wait,
            "sourceRef": {"kind": "GitRepository", "name": "flux-system", "namespace": "flux-system"},
            "postBuild": {"substituteFrom": [{"kind": "ConfigMap", "name": "cluster-settings"}]},
            "dependsOn": self.depends_json(depends)})
    }

    /// A wait: true Kustomization followed by 1-3 HelmReleases, some rendering CRDs.
    fn platform(&mut self, budget: usize) {
        let i = self.owners.len();
        let group = self.groups[self.rng.below(self.groups.len())];
        let platforms = self.platforms.clone();
        let depends = self.pick(&platforms, 2);
        let spec = self.ks_spec(i, true, &depends);
        let ks = self.push(
            OwnerKind::Kustomization,
            "flux-system",
            spec,
            group,
            Vec::new(),
        );
        self.platforms.push(ks);
        for _ in 0..(1 + self.rng.below(3)).min(budget.saturating_sub(1)) {
            let h = self.owners.len();
            let (ns, mut objects) = self.workload(h);
            let releases = self.releases.clone();
            let mut depends = self.pick(&releases, 2);
            self.custom_resource(h, &ns, &mut objects, &mut depends, true);
            let crd = self.rng.chance(35).then(|| {
                let group = format!("g{h}.synthetic.example.com");
                let kind = format!("Widget{h}");
                objects.push(json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                    "metadata": {"name": format!("widget{h}s.{group}")},
                    "spec": {"group": group, "scope": "Namespaced",
                        "names": {"kind": kind, "plural": format!("widget{h}s")}}}));
                (group, kind)
            });
            let spec = json!({"interval": "30m", "timeout": format!("{}m", 3 + self.rng.below(10)),
                "chart": {"spec": {"chart": format!("chart-{h}"),
                    "sourceRef": {"kind": "HelmRepository", "name": "charts", "namespace": "flux-system"}}},
                "dependsOn": self.depends_json(&depends)});
            let hr = self.push(OwnerKind::HelmRelease, &ns, spec, ks, objects);
            self.releases.push(hr);
            if let Some((group, kind)) = crd {
                self.crds.push(Crd {
                    group,
                    kind,
                    owner: hr,
                    platform: ks,
                });
            }
        }
    }

    /// 40% of the time, a custom resource of an earlier CRD, ordered by dependsOn except ~3% of the time
    /// (HelmReleases depend on the CRD's release, Kustomizations on its platform Kustomization).
    fn custom_resource(
        &mut self,
        i: usize,
        ns: &str,
        objects: &mut Vec<Value>,
        depends: &mut Vec<usize>,
        hr: bool,
    ) {
        if self.crds.is_empty() || !self.rng.chance(40) {
            return;
        }
        let c = self.rng.below(self.crds.len());
        let (api, kind, owner, platform) = {
            let crd = &self.crds[c];
            (
                format!("{}/v1", crd.group),
                crd.kind.clone(),
                crd.owner,
                crd.platform,
            )
        };
        objects.push(meta(&api, &kind, ns, &format!("cr-{i}")));
        let dep = if hr { owner } else { platform };
        if !self.rng.chance(3) && !depends.contains(&dep) {
            depends.push(dep);
        }
    }

    /// A wait: true application Kustomization without children.
    fn app(&mut self) {
        let i = self.owners.len();
        let group = self.groups[self.rng.below(self.groups.len())];
        let (ns, mut objects) = self.workload(i);
        let candidates: Vec<usize> = self.platforms.iter().chain(&self.apps).copied().collect();
        let mut depends = self.pick(&candidates, 2);
        self.custom_resource(i, &ns, &mut objects, &mut depends, false);
        let spec = self.ks_spec(i, true, &depends);
        let ks = self.push(
            OwnerKind::Kustomization,
            "flux-system",
            spec,
            group,
            objects,
        );
        self.apps.push(ks);
    }
}

/// Builds `n` owners (at least 1) deterministically from `seed`.
pub fn synthetic_input(n: usize, seed: u64) -> Scenario {
    let n = n.max(1);
    let mut root = blank_owner(
        OwnerId::new(OwnerKind::Kustomization, "flux-system", "flux-system"),
        json!({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
            "metadata": {"name": "flux-system", "namespace": "flux-system"},
            "spec": {"interval": "10m", "path": "./clusters/synthetic", "prune": true,
                "sourceRef": {"kind": "GitRepository", "name": "flux-system"}}}),
        None,
    );
    let mut root_objects = vec![
        meta(
            "source.toolkit.fluxcd.io/v1",
            "GitRepository",
            "flux-system",
            "flux-system",
        ),
        meta(
            "source.toolkit.fluxcd.io/v1",
            "HelmRepository",
            "flux-system",
            "charts",
        ),
        meta("v1", "ConfigMap", "flux-system", "cluster-settings"),
    ];
    for k in 0..NAMESPACES {
        root_objects.push(meta("v1", "Namespace", "", &format!("ns-{k}")));
    }
    root.objects = root_objects
        .into_iter()
        .map(|o| RenderedObject::new(o, None))
        .collect();
    let mut g = Gen {
        rng: Rng(seed),
        owners: vec![root],
        groups: vec![0],
        platforms: Vec::new(),
        apps: Vec::new(),
        releases: Vec::new(),
        crds: Vec::new(),
    };
    // Group Kustomizations (wait unset) that apply the rest, like "cluster-apps".
    let groups = (n / GROUP_EVERY).clamp(1, n.saturating_sub(1).max(1));
    if n > 1 {
        g.groups.clear();
        for _ in 0..groups.min(n - 1) {
            let i = g.owners.len();
            let spec = json!({"interval": "10m", "path": format!("./groups/{i}"), "prune": true,
                "sourceRef": {"kind": "GitRepository", "name": "flux-system", "namespace": "flux-system"}});
            let ks = g.push(OwnerKind::Kustomization, "flux-system", spec, 0, Vec::new());
            g.groups.push(ks);
        }
    }
    while g.owners.len() < n {
        let budget = n - g.owners.len();
        if g.rng.chance(30) {
            g.platform(budget);
        } else {
            g.app();
        }
    }
    let owners = g.owners;
    let flux_files = owners
        .iter()
        .filter_map(|o| {
            Some(FluxFile {
                path: o.file.clone()?,
                kind: o.id.kind,
                namespace: Some(o.id.namespace.clone()),
                name: o.id.name.clone(),
            })
        })
        .collect();
    Scenario::new(owners, flux_files)
}

#[cfg(test)]
mod tests {
    use super::super::checks::check;
    use super::super::waves::plan;
    use super::*;

    #[test]
    fn deterministic() {
        let a = synthetic_input(120, 7);
        let b = synthetic_input(120, 7);
        let ids = |c: &Scenario| c.cluster.owners.keys().cloned().collect::<Vec<_>>();
        assert_eq!(ids(&a), ids(&b));
        assert_eq!(plan(&a.input()), plan(&b.input()));
        assert_ne!(plan(&a.input()), plan(&synthetic_input(120, 8).input()));
    }

    #[test]
    fn plans_two_thousand_owners() {
        let input = synthetic_input(2000, 42);
        let p = plan(&input.input());
        assert_eq!(p.owners.len(), 2000);
        assert!(p.cycles.is_empty());
        assert_eq!(p.waves.iter().map(|w| w.owners.len()).sum::<usize>(), 2000);
        assert!(p.waves.len() > 3);
        assert!(!p.critical_path.steps.is_empty());
        let findings = check(&input.input(), &p);
        // Kustomizations sometimes use VAR_12, which cluster-settings does not define.
        assert!(
            findings
                .iter()
                .any(|f| f.code == super::super::checks::Code::VarUndefined)
        );
    }
}
