//! The resource limits every YAML reader in fluxsim applies: how far aliases may expand and how
//! deep documents may nest. Input size itself is not limited: whatever kustomize accepts must
//! parse, however big, and what is proportional to the text's length is already bounded by it.
//!
//! The alias budget follows Go's yaml (go-yaml v3 `decode.go`, `allowedAliasRatio`: up to
//! ~400,000 alias-driven decodes always pass, at most ~1.2 million ever do, beyond that
//! "document contains excessive aliasing"). Go's scanner refuses nesting beyond 10,000 levels
//! (`max_flow_level`, `max_indents` in `scannerc.go`): the same depth is accepted here.
//!
//! serde-saphyr enforces these through its `Budget`/`AliasLimits`; the two hand-written event
//! readers (SOPS files, postBuild substitution) charge an [`AliasMeter`] for every alias they copy.

use serde_saphyr::options::AliasLimits;
use serde_saphyr::{Budget, Error};

/// Deepest nesting accepted, as Go's yaml scanner.
pub const MAX_DEPTH: usize = 10_000;
/// Nodes (serde-saphyr: events) that alias expansion may add to one parse.
pub const MAX_ALIAS_EXPANDED_NODES: usize = 1_000_000;
/// Scalar bytes that alias expansion may add to one parse.
pub const MAX_ALIAS_EXPANDED_BYTES: usize = 64 << 20;

/// What an alias costs: the size of the anchored value it repeats.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cost {
    pub nodes: usize,
    pub bytes: usize,
}

impl Cost {
    pub fn scalar(text: &str) -> Cost {
        Cost {
            nodes: 1,
            bytes: text.len(),
        }
    }

    pub fn plus(self, other: Cost) -> Cost {
        Cost {
            nodes: self.nodes.saturating_add(other.nodes),
            bytes: self.bytes.saturating_add(other.bytes),
        }
    }
}

/// Alias expansion went over budget (a "billion laughs" document).
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error(
    "excessive aliasing: YAML aliases expand to more than {MAX_ALIAS_EXPANDED_NODES} nodes or \
     {} MiB (an alias bomb?)",
    MAX_ALIAS_EXPANDED_BYTES >> 20
)]
pub struct ExcessiveAliasing;

/// Counts what alias expansion has added so far in one parse.
#[derive(Debug, Default)]
pub struct AliasMeter {
    spent: Cost,
}

impl AliasMeter {
    /// Charges one alias use; fails once the total is over budget, before anything is copied.
    pub fn charge(&mut self, cost: Cost) -> Result<(), ExcessiveAliasing> {
        self.spent = self.spent.plus(cost);
        if self.spent.nodes > MAX_ALIAS_EXPANDED_NODES
            || self.spent.bytes > MAX_ALIAS_EXPANDED_BYTES
        {
            return Err(ExcessiveAliasing);
        }
        Ok(())
    }
}

/// serde-saphyr's budget for a text of `input_len` bytes: counts that grow with the text are
/// unlimited, what aliases add is capped.
pub(super) fn budget(input_len: usize) -> Budget {
    let mut b = Budget::default();
    // Bounded by the text itself. Replayed alias events count here too, but those are capped
    // by `AliasLimits::max_total_replayed_events` and the byte limits below.
    b.max_events = usize::MAX;
    b.max_nodes = usize::MAX;
    b.max_documents = usize::MAX;
    b.max_anchors = usize::MAX;
    b.max_aliases = usize::MAX;
    b.max_merge_keys = usize::MAX;
    // Go has no such heuristic: one anchor used by 200 aliases is a valid file.
    b.enforce_alias_anchor_ratio = false;
    // Scalars read once plus what aliases repeat.
    b.max_total_scalar_bytes = input_len.saturating_add(MAX_ALIAS_EXPANDED_BYTES);
    // Anchors copy the events they span (nested anchors once per open anchor).
    b.max_recorded_anchor_events = input_len
        .saturating_mul(2)
        .saturating_add(MAX_ALIAS_EXPANDED_NODES);
    b.max_recorded_anchor_bytes = input_len.saturating_add(MAX_ALIAS_EXPANDED_BYTES);
    b.max_depth = MAX_DEPTH;
    // One more than the budget, so that the budget reports the breach (with its message).
    b.flow_nesting_limit = MAX_DEPTH + 1;
    b
}

pub(super) fn alias_limits() -> AliasLimits {
    let mut limits = AliasLimits::default();
    limits.max_total_replayed_events = MAX_ALIAS_EXPANDED_NODES;
    limits.max_replay_stack_depth = MAX_DEPTH;
    limits
}

/// A readable message for the limits above; `None` for any other error.
pub(super) fn describe(error: &Error) -> Option<String> {
    use serde_saphyr::budget::BudgetBreach as B;
    let mut inner = error;
    while let Error::AliasError { error, .. } | Error::WithSnippet { error, .. } = inner {
        inner = error;
    }
    let what = match inner {
        Error::AliasReplayLimitExceeded { .. }
        | Error::AliasReplayCounterOverflow { .. }
        | Error::AliasExpansionLimitExceeded { .. } => ExcessiveAliasing.to_string(),
        Error::Budget { breach, .. } => match breach {
            B::RecordedAnchorEvents { .. }
            | B::RecordedAnchorBytes { .. }
            | B::ScalarBytes { .. } => ExcessiveAliasing.to_string(),
            B::Depth { .. } => format!("nesting deeper than {MAX_DEPTH} levels"),
            _ => return None,
        },
        _ => return None,
    };
    Some(match error.location() {
        Some(at) if at.line() > 0 => format!("line {} column {}: {what}", at.line(), at.column()),
        _ => what,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meter_stops_at_the_budget() {
        let mut meter = AliasMeter::default();
        let big = Cost {
            nodes: MAX_ALIAS_EXPANDED_NODES / 2,
            bytes: 10,
        };
        assert!(meter.charge(big).is_ok());
        assert!(meter.charge(big).is_ok());
        assert_eq!(meter.charge(Cost::scalar("x")), Err(ExcessiveAliasing));
        let mut meter = AliasMeter::default();
        let bytes = Cost {
            nodes: 1,
            bytes: MAX_ALIAS_EXPANDED_BYTES + 1,
        };
        assert_eq!(meter.charge(bytes), Err(ExcessiveAliasing));
    }
}
