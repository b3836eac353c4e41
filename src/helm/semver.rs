//! Helm/Flux version selection with Masterminds/semver v3 rules on top of `nodejs-semver`.
//!
//! Differences from npm that matter here: versions may be loose (`v1.2`, `1`), and a prerelease
//! version matches an AND-group only when some comparator of that group carries a prerelease
//! (Masterminds 3.4+), in which case ordinary ordering applies (npm would also require the same
//! `major.minor.patch`).

use nodejs_semver::{Range, Version};
use regex::Regex;
use std::sync::LazyLock;

static LOOSE_VERSION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[vV]?(\d+)(?:\.(\d+))?(?:\.(\d+))?(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")
        .unwrap_or_else(|e| unreachable!("static regex: {e}"))
});

// A version with a prerelease part inside a constraint; ` - ` hyphen ranges have spaces.
static PRERELEASE_IN_CONSTRAINT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\d(?:\.(?:\d+|[xX*])){0,2}-[0-9A-Za-z]")
        .unwrap_or_else(|e| unreachable!("static regex: {e}"))
});

/// Parses a version as Masterminds `NewVersion` does: optional `v`, missing minor/patch are 0.
pub fn parse_version(text: &str) -> Option<Version> {
    let caps = LOOSE_VERSION.captures(text.trim())?;
    let part = |i: usize| caps.get(i).map_or("0", |m| m.as_str());
    let pre = caps.get(4).map_or("", |m| m.as_str());
    let build = caps.get(5).map_or("", |m| m.as_str());
    Version::parse(format!("{}.{}.{}{pre}{build}", part(1), part(2), part(3))).ok()
}

/// A parsed version constraint (`""` and `*` mean "latest stable").
#[derive(Debug, Clone)]
pub struct Constraint {
    groups: Vec<(Range, bool)>,
}

impl Constraint {
    /// Parses Masterminds syntax: `||` for OR, space or comma for AND, `~`, `^`, `x`, hyphen ranges.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(Constraint {
                groups: vec![(Range::any(), false)],
            });
        }
        let mut groups = Vec::new();
        for group in text.split("||") {
            let group = group.trim();
            let range = Range::parse(group.replace(',', " "))
                .map_err(|_| format!("cannot parse '{group}'"))?;
            groups.push((range, PRERELEASE_IN_CONSTRAINT.is_match(group)));
        }
        Ok(Constraint { groups })
    }

    /// Whether `version` satisfies the constraint under Masterminds prerelease rules.
    pub fn matches(&self, version: &Version) -> bool {
        self.groups.iter().any(|(range, has_pre)| {
            if version.is_prerelease() {
                *has_pre && range.satisfies_with_prerelease(version, true)
            } else {
                range.satisfies(version)
            }
        })
    }
}

/// Picks the candidate a Helm index or tag list would: an exact string match first, else the highest
/// version matching the constraint (the first listed wins a tie, as with `created` ordering).
/// Returns the original string of the chosen candidate.
pub fn select<'a>(
    candidates: impl IntoIterator<Item = &'a str>,
    wanted: &str,
) -> Result<Option<&'a str>, String> {
    let candidates: Vec<&str> = candidates.into_iter().collect();
    if let Some(exact) = candidates.iter().find(|c| **c == wanted) {
        return Ok(Some(exact));
    }
    let constraint = Constraint::parse(if wanted == "*" { "" } else { wanted })?;
    let mut best: Option<(Version, &str)> = None;
    for candidate in candidates {
        let Some(version) = parse_version(candidate) else {
            continue;
        };
        if !constraint.matches(&version) {
            continue;
        }
        if best.as_ref().is_none_or(|(b, _)| version > *b) {
            best = Some((version, candidate));
        }
    }
    Ok(best.map(|(_, c)| c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pick(list: &[&str], wanted: &str) -> Option<String> {
        select(list.iter().copied(), wanted)
            .unwrap()
            .map(str::to_string)
    }

    #[test]
    fn loose_versions_are_coerced() {
        assert_eq!(parse_version("1.2").unwrap().to_string(), "1.2.0");
        assert_eq!(parse_version("v1").unwrap().to_string(), "1.0.0");
        assert_eq!(
            parse_version("v1.2.3-rc.1").unwrap().to_string(),
            "1.2.3-rc.1"
        );
        assert!(parse_version("latest").is_none());
    }

    #[test]
    fn latest_stable_by_default() {
        let list = ["1.0.0", "2.0.0-rc.1", "1.5.0", "0.9.0"];
        assert_eq!(pick(&list, "*").as_deref(), Some("1.5.0"));
        assert_eq!(pick(&list, "").as_deref(), Some("1.5.0"));
        assert_eq!(pick(&list, ">=1.0.0 <2.0.0").as_deref(), Some("1.5.0"));
        assert_eq!(pick(&list, "~1.0").as_deref(), Some("1.0.0"));
        assert_eq!(pick(&list, ">= 1.0, < 1.2").as_deref(), Some("1.0.0"));
        assert_eq!(pick(&list, "1.0.0 - 1.4").as_deref(), Some("1.0.0"));
        assert_eq!(pick(&list, "^3").as_deref(), None);
    }

    #[test]
    fn prereleases_need_a_prerelease_in_the_group() {
        let list = ["1.0.0", "1.5.0-beta.1", "2.0.0-rc.1"];
        assert_eq!(pick(&list, ">=1.0.0").as_deref(), Some("1.0.0"));
        // Masterminds: any prerelease of the AND-group enables ordering over all tuples.
        assert_eq!(pick(&list, ">=1.0.0-0").as_deref(), Some("2.0.0-rc.1"));
        // Ordering is plain semver: 2.0.0-rc.1 < 2.0.0.
        assert_eq!(
            pick(&list, ">=1.0.0-0 <2.0.0").as_deref(),
            Some("2.0.0-rc.1")
        );
        assert_eq!(
            pick(&list, "1.0.0 || >=1.0.0-0 <1.9.0").as_deref(),
            Some("1.5.0-beta.1")
        );
        assert_eq!(
            pick(&list, "1.0.0 || >=1.0.0 <1.9.0").as_deref(),
            Some("1.0.0")
        );
    }

    #[test]
    fn exact_string_wins() {
        assert_eq!(
            pick(&["1.0.0", "v1.0.0"], "v1.0.0").as_deref(),
            Some("v1.0.0")
        );
        assert_eq!(
            pick(&["2.0.0-rc.1"], "2.0.0-rc.1").as_deref(),
            Some("2.0.0-rc.1")
        );
    }

    #[test]
    fn bad_constraint_is_an_error() {
        assert!(select(["1.0.0"], ">=>=").is_err());
    }
}
