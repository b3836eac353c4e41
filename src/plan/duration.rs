//! Go `time.Duration` strings as Flux writes them (`10m0s`, `1h`, `90s`, `1.5h`), parsed to milliseconds
//! and printed back in a compact form (`9m30s`).

use std::fmt;

/// A non-negative duration in milliseconds. Millisecond precision is plenty for Flux timings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Millis(pub u64);

impl Millis {
    pub const fn from_secs(s: u64) -> Self {
        Millis(s * 1000)
    }

    pub fn as_secs(self) -> u64 {
        self.0 / 1000
    }

    pub fn saturating_sub(self, other: Millis) -> Millis {
        Millis(self.0.saturating_sub(other.0))
    }

    pub fn saturating_add(self, other: Millis) -> Millis {
        Millis(self.0.saturating_add(other.0))
    }
}

impl fmt::Display for Millis {
    /// Largest units first, zero parts dropped: `1h5m`, `9m30s`, `500ms`, `0s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0 % 1000;
        let total_s = self.0 / 1000;
        let (h, m, s) = (total_s / 3600, (total_s / 60) % 60, total_s % 60);
        if total_s == 0 {
            return if ms == 0 {
                f.write_str("0s")
            } else {
                write!(f, "{ms}ms")
            };
        }
        if h > 0 {
            write!(f, "{h}h")?;
        }
        if m > 0 {
            write!(f, "{m}m")?;
        }
        match (s, ms) {
            (0, 0) => Ok(()),
            (s, 0) => write!(f, "{s}s"),
            (s, ms) => write!(f, "{s}.{ms:03}s"),
        }
    }
}

impl serde::Serialize for Millis {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Why a duration string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("invalid duration {0:?}: expected a Go duration such as 5m, 1h30m or 90s")]
    Invalid(String),
    #[error("invalid duration {0:?}: negative durations are not allowed here")]
    Negative(String),
}

/// Parses a Go duration (`time.ParseDuration`): a sequence of decimal numbers with units
/// ns, us, µs, ms, s, m, h. A bare `0` is accepted, as Go does.
pub fn parse_go_duration(text: &str) -> Result<Millis, DurationError> {
    let invalid = || DurationError::Invalid(text.to_string());
    let s = text.trim();
    if s == "0" {
        return Ok(Millis(0));
    }
    if s.starts_with('-') {
        return Err(DurationError::Negative(text.to_string()));
    }
    let mut rest = s.strip_prefix('+').unwrap_or(s);
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total_ns: f64 = 0.0;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(invalid)?;
        let number: f64 = rest[..num_len].parse().map_err(|_| invalid())?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit_ns = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return Err(invalid()),
        };
        rest = &rest[unit_len..];
        total_ns += number * unit_ns;
    }
    if !total_ns.is_finite() {
        return Err(invalid());
    }
    // Rounded to the millisecond; sub-millisecond Flux timings do not exist in practice.
    Ok(Millis((total_ns / 1e6).round() as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_flux_style_durations() {
        assert_eq!(parse_go_duration("10m0s"), Ok(Millis::from_secs(600)));
        assert_eq!(parse_go_duration("1h"), Ok(Millis::from_secs(3600)));
        assert_eq!(parse_go_duration("1m30s"), Ok(Millis::from_secs(90)));
        assert_eq!(parse_go_duration("1.5h"), Ok(Millis::from_secs(5400)));
        assert_eq!(parse_go_duration("500ms"), Ok(Millis(500)));
        assert_eq!(parse_go_duration("0"), Ok(Millis(0)));
        assert_eq!(parse_go_duration("2h45m10s"), Ok(Millis::from_secs(9910)));
    }

    #[test]
    fn rejects_garbage() {
        for bad in ["", "5", "5x", "m", "abc", "1.2.3s", "-5m", "5 m"] {
            assert!(
                parse_go_duration(bad).is_err(),
                "{bad:?} should be rejected"
            );
        }
    }

    #[test]
    fn prints_compactly() {
        assert_eq!(Millis::from_secs(570).to_string(), "9m30s");
        assert_eq!(Millis::from_secs(300).to_string(), "5m");
        assert_eq!(Millis::from_secs(3900).to_string(), "1h5m");
        assert_eq!(Millis(0).to_string(), "0s");
        assert_eq!(Millis(1500).to_string(), "1.500s");
        assert_eq!(Millis(250).to_string(), "250ms");
    }
}
