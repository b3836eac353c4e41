//! Small text helpers every view shares.

/// `1 object`, `2 objects`, `0 objects`: a count with its noun in the right number. Every noun
/// fluxsim counts takes a plain `s` in the plural.
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn singular_only_for_one() {
        assert_eq!(count(0, "object"), "0 objects");
        assert_eq!(count(1, "object"), "1 object");
        assert_eq!(count(2, "HelmRelease"), "2 HelmReleases");
    }
}
