//! The `bmatcuk/doublestar` v4 matcher source-watcher uses for `exclude` patterns and for the
//! `Extract` strategy's glob (fluxcd/source-watcher `internal/builder/builder.go`:
//! `shouldExclude`, `getGlobMatchingEntries`). `globset` implements the same language (`*` within
//! a segment, `**` across segments, `{a,b}`, `[!…]`); the one difference, `dir/**` also matching
//! `dir` itself in doublestar, is handled here.

use globset::{GlobBuilder, GlobMatcher};

/// The most `,` alternatives inside `{}` groups source-watcher accepts (`validateGlobPattern`).
const MAX_ALTERNATION_COMMAS: usize = 20;

/// A compiled doublestar pattern.
#[derive(Debug, Clone)]
pub struct Doublestar {
    full: GlobMatcher,
    /// For `x/**`: the matcher of `x`, which doublestar also matches.
    dir_itself: Option<GlobMatcher>,
    has_slash: bool,
}

/// Why a doublestar pattern was refused.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PatternError {
    #[error(
        "pattern has {0} alternatives in '{{}}' groups, at most {MAX_ALTERNATION_COMMAS} are allowed"
    )]
    TooManyAlternatives(usize),
    #[error("{0}")]
    Syntax(String),
}

impl Doublestar {
    pub fn new(pattern: &str) -> Result<Doublestar, PatternError> {
        check_alternation(pattern)?;
        let full = compile(pattern)?;
        let dir_itself = match pattern.strip_suffix("/**") {
            Some(prefix) if !prefix.is_empty() => Some(compile(prefix)?),
            _ => None,
        };
        Ok(Doublestar {
            full,
            dir_itself,
            has_slash: pattern.contains('/'),
        })
    }

    /// Whether the `/`-separated `path` matches.
    pub fn is_match(&self, path: &str) -> bool {
        self.full.is_match(path) || self.dir_itself.as_ref().is_some_and(|m| m.is_match(path))
    }

    /// source-watcher's `shouldExclude` rule: match the path, and for patterns without a `/`
    /// (e.g. `*.md`) also the file name alone, at any depth.
    pub fn excludes(&self, path: &str) -> bool {
        if self.is_match(path) {
            return true;
        }
        let name = path.rsplit('/').next().unwrap_or(path);
        !self.has_slash && self.is_match(name)
    }
}

fn compile(pattern: &str) -> Result<GlobMatcher, PatternError> {
    GlobBuilder::new(pattern)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .map(|g| g.compile_matcher())
        .map_err(|e| PatternError::Syntax(e.kind().to_string()))
}

/// source-watcher's bound on `{}` alternation, checked on every pattern before matching.
pub fn check_alternation(pattern: &str) -> Result<(), PatternError> {
    let commas = alternation_commas(pattern);
    if commas > MAX_ALTERNATION_COMMAS {
        return Err(PatternError::TooManyAlternatives(commas));
    }
    Ok(())
}

/// Counts the commas inside `{}` groups, a backslash escaping the next byte.
fn alternation_commas(pattern: &str) -> usize {
    let (mut commas, mut depth) = (0, 0usize);
    let mut bytes = pattern.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'\\' => {
                bytes.next();
            }
            b'{' => depth += 1,
            b'}' => depth = depth.saturating_sub(1),
            b',' if depth > 0 => commas += 1,
            _ => {}
        }
    }
    commas
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(p: &str) -> Doublestar {
        Doublestar::new(p).unwrap()
    }

    #[test]
    fn doublestar_crosses_segments_and_matches_the_folder_itself() {
        assert!(d("**/testdata/**").is_match("testdata/a.yaml"));
        assert!(d("**/testdata/**").is_match("x/testdata/y/a.yaml"));
        assert!(d("**/testdata/**").is_match("testdata"));
        assert!(d("**/*.tgz").is_match("a.tgz"));
        assert!(d("**/*.tgz").is_match("a/b/c.tgz"));
        assert!(!d("*.tgz").is_match("a/c.tgz"));
        assert!(d("{a,b}.yaml").is_match("b.yaml"));
    }

    #[test]
    fn patterns_without_a_slash_also_match_file_names() {
        assert!(d("*.md").excludes("docs/guide.md"));
        assert!(d("secret.yaml").excludes("a/b/secret.yaml"));
        assert!(!d("docs/*.md").excludes("x/docs/guide.md"));
        assert!(d("**/.*").excludes(".hidden"));
    }

    #[test]
    fn malformed_and_explosive_patterns_are_refused() {
        assert!(matches!(
            Doublestar::new("[*.md"),
            Err(PatternError::Syntax(_))
        ));
        let many = format!("{{{}}}", vec!["a"; 22].join(","));
        assert!(matches!(
            Doublestar::new(&many),
            Err(PatternError::TooManyAlternatives(21))
        ));
    }
}
