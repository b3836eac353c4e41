//! The resource limits every YAML reader in fluxsim applies: how far aliases may expand and how
//! deep documents may nest. Input size itself is not limited: whatever kustomize accepts must
//! parse, however big, and what is proportional to the text's length is already bounded by it.
//!
//! The alias budget is what Go's yaml always accepts (go-yaml v3 `decode.go`,
//! `allowedAliasRatio`: 99% of 400,000 decodes may come from aliases; only documents with
//! hundreds of thousands of nodes of their own get more, up to ~1.2 million, before "document
//! contains excessive aliasing"). The largest alias use in the corpus repositories adds 61
//! events. Go's scanner refuses nesting beyond 10,000 levels (`max_flow_level`, `max_indents`
//! in `scannerc.go`): the same depth is accepted here.
//!
//! serde-saphyr enforces these through its `Budget`/`AliasLimits`; the two hand-written event
//! readers (SOPS files, postBuild substitution) charge an [`AliasMeter`] for every alias they copy.
//! A bomb that spends the whole budget costs about 150 MiB while it is read, so at most
//! [`ALIAS_PARSES_AT_ONCE`] texts that can expand aliases are read at once.

use serde_saphyr::options::AliasLimits;
use serde_saphyr::{Budget, Error};
use std::sync::{Condvar, Mutex};

/// Deepest nesting accepted, as Go's yaml scanner.
pub const MAX_DEPTH: usize = 10_000;
/// Nodes that alias expansion may add to one parse.
pub const MAX_ALIAS_EXPANDED_NODES: usize = 400_000;
/// The same in serde-saphyr's events, which also count container ends: a one-item sequence is
/// three events for Go's two nodes.
const MAX_ALIAS_EXPANDED_EVENTS: usize = MAX_ALIAS_EXPANDED_NODES / 2 * 3;
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

/// Parses that may expand aliases running at once. Each may hold what the alias budget allows
/// (about 150 MiB for a bomb that uses all of it) and a pull request may hold many bombs, while
/// real inputs almost never use aliases (kustomize's output has none): those few wait in turn.
pub const ALIAS_PARSES_AT_ONCE: usize = 2;

static ALIAS_PARSES: (Mutex<usize>, Condvar) = (Mutex::new(0), Condvar::new());

/// A place among the [`ALIAS_PARSES_AT_ONCE`] parses that may expand aliases; freed on drop.
pub struct AliasPermit(());

impl Drop for AliasPermit {
    fn drop(&mut self) {
        let (count, freed) = &ALIAS_PARSES;
        *count.lock().unwrap_or_else(|p| p.into_inner()) -= 1;
        freed.notify_one();
    }
}

/// Waits for a place when `text` may expand aliases (it has both `&` and `*`); `None` when it
/// cannot, which is nearly always.
pub fn alias_permit(text: &str) -> Option<AliasPermit> {
    if !(text.contains('&') && text.contains('*')) {
        return None;
    }
    let (count, freed) = &ALIAS_PARSES;
    let mut running = count.lock().unwrap_or_else(|p| p.into_inner());
    while *running >= ALIAS_PARSES_AT_ONCE {
        running = freed.wait(running).unwrap_or_else(|p| p.into_inner());
    }
    *running += 1;
    Some(AliasPermit(()))
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
        .saturating_add(MAX_ALIAS_EXPANDED_EVENTS);
    b.max_recorded_anchor_bytes = input_len.saturating_add(MAX_ALIAS_EXPANDED_BYTES);
    b.max_depth = MAX_DEPTH;
    // One more than the budget, so that the budget reports the breach (with its message).
    b.flow_nesting_limit = MAX_DEPTH + 1;
    b
}

pub(super) fn alias_limits() -> AliasLimits {
    let mut limits = AliasLimits::default();
    limits.max_total_replayed_events = MAX_ALIAS_EXPANDED_EVENTS;
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
    fn only_texts_with_anchors_and_aliases_take_a_permit() {
        assert!(alias_permit("a: 1\nb: [x, y]\n").is_none());
        assert!(alias_permit("url: https://h/?a=1&b=2\n").is_none());
        let first = alias_permit("a: &x 1\nb: *x\n");
        let second = alias_permit("a: &x 1\nb: *x\n");
        assert!(first.is_some() && second.is_some());
        drop((first, second));
        assert!(alias_permit("a: &x 1\nb: *x\n").is_some());
    }

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
