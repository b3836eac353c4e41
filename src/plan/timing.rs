//! Flux timing and readiness settings of one owner, with Flux's defaults applied and marked as defaulted
//! (flux-semantics 4.2/4.3; HelmRelease: timeout 5m, interval required).

use serde::Serialize;
use serde_json::Value;

use super::duration::{Millis, parse_go_duration};
use crate::graph::spec::{at, health_checks, str_at};
use crate::model::{OwnerKind, OwnerRecord as Owner};

/// kustomize-controller never uses a timeout below this (`GetTimeout`).
const KS_MIN_TIMEOUT: Millis = Millis::from_secs(30);
/// helm-controller's default `spec.timeout`.
const HR_DEFAULT_TIMEOUT: Millis = Millis::from_secs(300);

/// A duration setting and where its value came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TimeSetting {
    pub value: Millis,
    pub seconds: u64,
    pub defaulted: bool,
    /// How the value was derived when it is not exactly what the spec says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
}

impl TimeSetting {
    fn explicit(value: Millis) -> Self {
        Self {
            value,
            seconds: value.as_secs(),
            defaulted: false,
            rule: None,
        }
    }

    fn derived(value: Millis, defaulted: bool, rule: impl Into<String>) -> Self {
        Self {
            value,
            seconds: value.as_secs(),
            defaulted,
            rule: Some(rule.into()),
        }
    }
}

/// What "Ready" means for an owner, i.e. what its dependents actually wait for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Readiness {
    /// KS `wait: true`: every applied object must become Current.
    WaitAll,
    /// KS with `healthChecks` and no `wait`.
    HealthChecks,
    /// KS with neither: Ready right after apply.
    AppliedOnly,
    /// HR: Helm waits for the release's resources (default).
    HelmWait,
    /// HR with `install.disableWait: true`.
    HelmNoWait,
}

impl Readiness {
    pub fn describe(self) -> &'static str {
        match self {
            Readiness::WaitAll => "wait for all objects",
            Readiness::HealthChecks => "health checks",
            Readiness::AppliedOnly => "applied only",
            Readiness::HelmWait => "helm wait",
            Readiness::HelmNoWait => "applied only (install.disableWait)",
        }
    }

    /// Whether dependents wait for workloads to be healthy, not merely applied.
    pub fn checks_health(self) -> bool {
        matches!(
            self,
            Readiness::WaitAll | Readiness::HealthChecks | Readiness::HelmWait
        )
    }
}

/// Timing and readiness of one owner.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Timing {
    /// None when the spec has no (valid) interval, which Flux's API rejects.
    pub interval: Option<TimeSetting>,
    pub timeout: TimeSetting,
    pub retry_interval: Option<TimeSetting>,
    pub wait: bool,
    pub wait_defaulted: bool,
    pub readiness: Readiness,
    pub health_checks: Vec<String>,
    /// Invalid or missing settings, as messages naming the field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
}

/// Reads an optional duration field; an unparsable value is recorded as a problem and treated as unset.
fn duration_field(obj: &Value, path: &[&str], problems: &mut Vec<String>) -> Option<Millis> {
    let raw = str_at(obj, path)?;
    match parse_go_duration(raw) {
        Ok(d) => Some(d),
        Err(e) => {
            problems.push(format!("spec.{}: {e}", path[1..].join(".")));
            None
        }
    }
}

impl Timing {
    pub fn of(owner: &Owner) -> Timing {
        let obj = &owner.object;
        let mut problems = Vec::new();
        let interval = duration_field(obj, &["spec", "interval"], &mut problems);
        if interval.is_none() && str_at(obj, &["spec", "interval"]).is_none() {
            problems.push("spec.interval is required but missing".to_string());
        }
        let timeout = duration_field(obj, &["spec", "timeout"], &mut problems);
        let retry = duration_field(obj, &["spec", "retryInterval"], &mut problems);
        match owner.id.kind {
            OwnerKind::Kustomization => {
                Self::kustomization(owner, interval, timeout, retry, problems)
            }
            OwnerKind::HelmRelease => Self::helm_release(obj, interval, timeout, problems),
        }
    }

    fn kustomization(
        owner: &Owner,
        interval: Option<Millis>,
        timeout: Option<Millis>,
        retry: Option<Millis>,
        problems: Vec<String>,
    ) -> Timing {
        let timeout = match timeout {
            Some(t) if t >= KS_MIN_TIMEOUT => TimeSetting::explicit(t),
            Some(t) => TimeSetting::derived(KS_MIN_TIMEOUT, false, format!("{t} clamped to 30s")),
            None => {
                let from_interval = interval.unwrap_or_default().saturating_sub(KS_MIN_TIMEOUT);
                if from_interval >= KS_MIN_TIMEOUT {
                    TimeSetting::derived(from_interval, true, "interval - 30s")
                } else {
                    TimeSetting::derived(KS_MIN_TIMEOUT, true, "interval - 30s, clamped to 30s")
                }
            }
        };
        let retry_interval = match (retry, interval) {
            (Some(r), _) => Some(TimeSetting::explicit(r)),
            (None, Some(i)) => Some(TimeSetting::derived(i, true, "interval")),
            (None, None) => None,
        };
        let wait_field = at(&owner.object, &["spec", "wait"]).and_then(Value::as_bool);
        let wait = wait_field.unwrap_or(false);
        let health_checks = health_checks(owner);
        let readiness = if wait {
            Readiness::WaitAll
        } else if !health_checks.is_empty() {
            Readiness::HealthChecks
        } else {
            Readiness::AppliedOnly
        };
        Timing {
            interval: interval.map(TimeSetting::explicit),
            timeout,
            retry_interval,
            wait,
            wait_defaulted: wait_field.is_none(),
            readiness,
            health_checks,
            problems,
        }
    }

    fn helm_release(
        obj: &Value,
        interval: Option<Millis>,
        timeout: Option<Millis>,
        problems: Vec<String>,
    ) -> Timing {
        let timeout = match timeout {
            Some(t) => TimeSetting::explicit(t),
            None => TimeSetting::derived(HR_DEFAULT_TIMEOUT, true, "helm-controller default"),
        };
        // helm-controller retries a failed release on its interval.
        let retry_interval = interval.map(|i| TimeSetting::derived(i, true, "interval"));
        let disable_wait = at(obj, &["spec", "install", "disableWait"]).and_then(Value::as_bool);
        let wait = !disable_wait.unwrap_or(false);
        Timing {
            interval: interval.map(TimeSetting::explicit),
            timeout,
            retry_interval,
            wait,
            wait_defaulted: disable_wait.is_none(),
            readiness: if wait {
                Readiness::HelmWait
            } else {
                Readiness::HelmNoWait
            },
            health_checks: Vec::new(),
            problems,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::OwnerId;
    use serde_json::json;

    fn timing(kind: OwnerKind, spec: Value) -> Timing {
        let id = OwnerId::new(kind, "ns", "n");
        Timing::of(&Owner::pending(id, json!({ "spec": spec }), None, None))
    }

    #[test]
    fn ks_timeout_defaults_to_interval_minus_30s() {
        let t = timing(OwnerKind::Kustomization, json!({"interval": "10m0s"}));
        assert_eq!(t.timeout.value, Millis::from_secs(570));
        assert!(t.timeout.defaulted);
        assert_eq!(t.retry_interval.unwrap().value, Millis::from_secs(600));
        assert_eq!(t.readiness, Readiness::AppliedOnly);
        assert!(t.wait_defaulted);
        assert!(t.problems.is_empty());
    }

    #[test]
    fn ks_timeout_is_clamped_to_30s() {
        let t = timing(OwnerKind::Kustomization, json!({"interval": "45s"}));
        assert_eq!(t.timeout.value, Millis::from_secs(30));
        let t = timing(
            OwnerKind::Kustomization,
            json!({"interval": "1h", "timeout": "10s"}),
        );
        assert_eq!(t.timeout.value, Millis::from_secs(30));
        assert!(!t.timeout.defaulted);
        let t = timing(
            OwnerKind::Kustomization,
            json!({"interval": "1h", "timeout": "3m", "retryInterval": "1m", "wait": true}),
        );
        assert_eq!(t.timeout.value, Millis::from_secs(180));
        assert_eq!(t.retry_interval.unwrap().value, Millis::from_secs(60));
        assert_eq!(t.readiness, Readiness::WaitAll);
    }

    #[test]
    fn ks_health_checks_without_wait() {
        let t = timing(
            OwnerKind::Kustomization,
            json!({"interval": "5m", "healthChecks": [{"kind": "Deployment", "name": "d", "namespace": "x"}]}),
        );
        assert_eq!(t.readiness, Readiness::HealthChecks);
        assert_eq!(t.health_checks, vec!["Deployment x/d".to_string()]);
    }

    #[test]
    fn hr_defaults() {
        let t = timing(OwnerKind::HelmRelease, json!({"interval": "30m"}));
        assert_eq!(t.timeout.value, Millis::from_secs(300));
        assert!(t.timeout.defaulted);
        assert!(t.wait);
        assert_eq!(t.readiness, Readiness::HelmWait);
    }

    #[test]
    fn missing_and_invalid_fields_are_problems() {
        let t = timing(OwnerKind::HelmRelease, json!({"timeout": "soon"}));
        assert_eq!(t.problems.len(), 2, "{:?}", t.problems);
        assert!(t.interval.is_none());
        assert_eq!(t.timeout.value, Millis::from_secs(300));
    }
}
