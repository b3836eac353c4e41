//! `validate_report()`: one verdict per Kustomization/HelmRelease. Failed = render failed or
//! error findings; blocked = something it (transitively) waits for failed, folded under the
//! nearest failed owners; skipped = it could not be checked offline (an unmapped source, a chart
//! not cached, no key), or it waits for one that could not. Never a pass for what was not checked.

use std::collections::BTreeSet;

use serde::Serialize;

use super::checks::{Finding, Severity};
use super::input::{ClusterInput, render_error};
use super::model::Plan;
use crate::model::{Outcome, OwnerId};

/// Verdict for one owner.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Passed,
    Failed,
    Blocked,
    Skipped,
}

/// One owner's verdict with its causes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReportEntry {
    pub owner: OwnerId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    pub status: Status,
    /// Why it failed: the render error and error findings (`code: message`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub causes: Vec<String>,
    /// For blocked owners: the nearest failed owners it waits for (the root causes).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub blocked_by: Vec<OwnerId>,
    /// For skipped owners: why it could not be checked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// Warnings about this owner (`code: message` for findings, the text of the render's own
    /// warnings); they do not fail it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub passed: usize,
    pub failed: usize,
    /// Not checked: skipped, or blocked by a failure (each counted once).
    pub skipped: usize,
    /// Rendered objects no schema is known for (not schema-checked).
    #[serde(skip_serializing_if = "is_zero")]
    pub schema_skipped: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Summary {
    /// Counts one entry.
    pub fn add(&mut self, status: Status) {
        match status {
            Status::Passed => self.passed += 1,
            Status::Failed => self.failed += 1,
            Status::Blocked | Status::Skipped => self.skipped += 1,
        }
    }
}

/// The validation result for the whole cluster; entries sorted by owner id.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    pub entries: Vec<ReportEntry>,
    pub summary: Summary,
    /// Warnings about no owner in particular (orphan files, shared variables): `code: message`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub repository_warnings: Vec<String>,
}

impl Report {
    /// Process exit status: 1 on any failure (a blocked owner implies one), else 0; with
    /// `require_complete`, an owner that could not be checked fails the run too.
    pub fn exit_code(&self, require_complete: bool) -> i32 {
        let blocked = self.entries.iter().any(|e| e.status == Status::Blocked);
        let incomplete = require_complete && self.summary.skipped > 0;
        i32::from(self.summary.failed > 0 || blocked || incomplete)
    }

    /// Every warning: the owners' and the repository's.
    pub fn warning_count(&self) -> usize {
        self.entries.iter().map(|e| e.warnings.len()).sum::<usize>()
            + self.repository_warnings.len()
    }

    pub fn entry(&self, id: &OwnerId) -> Option<&ReportEntry> {
        self.entries
            .binary_search_by(|e| e.owner.cmp(id))
            .ok()
            .map(|i| &self.entries[i])
    }

    /// Recounts the summary (after entries were filtered).
    pub fn recount(&mut self) {
        self.summary = Summary {
            schema_skipped: self.summary.schema_skipped,
            ..Summary::default()
        };
        for e in &self.entries {
            self.summary.add(e.status);
        }
    }
}

/// Builds the report. `plan` and `findings` must come from `plan(input)` and `check(input, plan)`.
pub fn validate_report(input: &ClusterInput, plan: &Plan, findings: &[Finding]) -> Report {
    let (g, reach) = (&input.analysis.graph, &input.analysis.reach);
    let n = g.len();
    let mut causes: Vec<Vec<String>> = vec![Vec::new(); n];
    let mut warnings: Vec<Vec<String>> = vec![Vec::new(); n];
    for (node, causes) in causes.iter_mut().enumerate() {
        let error = match plan.owner(&g.ids[node]) {
            Some(planned) => planned.render_error.clone(),
            None => render_error(g.owner(input.cluster, node)).map(str::to_string),
        };
        if let Some(e) = error {
            causes.push(format!("render failed: {e}"));
        }
        let own = &g.owner(input.cluster, node).diagnostics;
        warnings[node].extend(own.iter().map(|d| d.message.clone()));
    }
    let mut repository_warnings = Vec::new();
    for f in findings {
        if f.owner.is_none() && f.also.is_empty() && f.severity == Severity::Warning {
            repository_warnings.push(format!("{}: {}", f.code, f.message));
        }
        let targets = f
            .owner
            .iter()
            .chain(&f.also)
            .filter_map(|id| g.index.get(id));
        for &node in targets {
            let line = format!("{}: {}", f.code, f.message);
            match f.severity {
                Severity::Error => causes[node].push(line),
                Severity::Warning => warnings[node].push(line),
                Severity::Info => {}
            }
        }
    }
    let failed: Vec<bool> = causes.iter().map(|c| !c.is_empty()).collect();
    // Nearest failed ancestors, propagated in topological order through owners that did not fail themselves.
    let mut roots: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); n];
    for node in reach.topo_nodes() {
        let mut set = BTreeSet::new();
        for (p, _) in g.preds(node) {
            if failed[p] {
                set.insert(p);
            } else if p != node {
                set.extend(roots[p].iter().copied());
            }
        }
        roots[node] = set;
    }
    let mut summary = Summary {
        schema_skipped: findings
            .iter()
            .filter(|f| f.code == super::checks::Code::SchemaSkipped)
            .map(|f| f.objects.len())
            .sum(),
        ..Summary::default()
    };
    let entries = (0..n)
        .map(|node| {
            let owner = g.owner(input.cluster, node);
            let skipped = (!failed[node] && roots[node].is_empty())
                .then(|| not_checked(&owner.outcome))
                .flatten();
            let status = if failed[node] {
                Status::Failed
            } else if !roots[node].is_empty() {
                Status::Blocked
            } else if skipped.is_some() {
                Status::Skipped
            } else {
                Status::Passed
            };
            summary.add(status);
            ReportEntry {
                owner: g.ids[node].clone(),
                file: owner.file.clone(),
                status,
                causes: std::mem::take(&mut causes[node]),
                blocked_by: if status == Status::Blocked {
                    roots[node].iter().map(|&r| g.ids[r].clone()).collect()
                } else {
                    Vec::new()
                },
                skipped,
                warnings: std::mem::take(&mut warnings[node]),
            }
        })
        .collect();
    Report {
        entries,
        summary,
        repository_warnings,
    }
}

/// Why an owner's outcome leaves it unchecked: it could not be known offline, or it waits for
/// something that is not ready (which, when nothing failed, could not be known offline).
fn not_checked(outcome: &Outcome) -> Option<String> {
    match outcome {
        Outcome::Skipped(s) => Some(s.message.clone()),
        Outcome::Blocked(b) => Some(format!("{}, which could not be checked offline", b.message)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::checks::check;
    use super::super::fixtures::{self, OwnerExt, ks, ks_id};
    use super::super::waves::plan;
    use super::*;
    use serde_json::json;

    fn report(s: &super::super::input::Scenario) -> Report {
        let input = &s.input();
        let p = plan(input);
        let f = check(input, &p);
        validate_report(input, &p, &f)
    }

    #[test]
    fn failures_block_dependents_transitively() {
        let r = fixtures::root();
        let a = ks("flux-system", "a", json!({"wait": true}))
            .under(&r)
            .failed("kustomize build: boom");
        let b = ks(
            "flux-system",
            "b",
            json!({"wait": true, "dependsOn": [{"name": "a"}]}),
        )
        .under(&r);
        let c = ks("flux-system", "c", json!({"dependsOn": [{"name": "b"}]})).under(&r);
        let rep = report(&fixtures::cluster(vec![r, a, b, c]));
        assert_eq!(
            rep.summary,
            Summary {
                passed: 1,
                failed: 1,
                skipped: 2,
                schema_skipped: 0,
            }
        );
        assert_eq!(rep.exit_code(false), 1);
        let c = rep.entry(&ks_id("flux-system", "c")).unwrap();
        assert_eq!(c.status, Status::Blocked);
        assert_eq!(c.blocked_by, vec![ks_id("flux-system", "a")]);
        let a = rep.entry(&ks_id("flux-system", "a")).unwrap();
        assert_eq!(
            a.causes,
            vec!["render failed: kustomize build: boom".to_string()]
        );
    }

    #[test]
    fn error_findings_fail_all_owners_they_concern() {
        // A duplicate object is a warning on both owners, not a failure.
        let rep = report(&fixtures::duplicates());
        assert_eq!(rep.summary.failed, 0);
        let warned: Vec<_> = rep
            .entries
            .iter()
            .filter(|e| !e.warnings.is_empty())
            .collect();
        assert_eq!(warned.len(), 2);
        assert!(
            warned
                .iter()
                .all(|e| e.warnings[0].starts_with("duplicate-object: "))
        );
        let rep = report(&fixtures::cycle());
        assert_eq!(
            rep.summary,
            Summary {
                passed: 1,
                failed: 2,
                skipped: 1,
                schema_skipped: 0,
            }
        );
    }

    #[test]
    fn clean_cluster_passes_with_warnings_attached() {
        let rep = report(&fixtures::wait_false_dependency());
        assert_eq!(rep.exit_code(false), 0);
        assert_eq!(rep.summary.passed, 3);
        let infra = rep.entry(&ks_id("flux-system", "infra")).unwrap();
        assert_eq!(infra.warnings.len(), 1);
    }
}
