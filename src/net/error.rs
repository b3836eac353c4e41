//! Why a request failed; every message names the URL and, for a limit, the limit.

use super::guard::Refused;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// The address guard refused where the URL (or a redirect hop) leads.
    #[error("{url}: {refused}")]
    Refused { url: String, refused: Refused },
    #[error("{url}: no network under --network offline")]
    Offline { url: String },
    #[error("{url} timed out after {}", seconds(.limit))]
    Timeout { url: String, limit: Duration },
    #[error("{what} of {url} is larger than {}", size(*.limit))]
    TooLarge {
        what: String,
        url: String,
        limit: u64,
    },
    #[error("{url}: more than {max} redirects")]
    Redirects { url: String, max: usize },
    #[error("{url}: HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("{url}: {message}")]
    Invalid { url: String, message: String },
    #[error("{url}: {message}")]
    Transport { url: String, message: String },
}

fn seconds(d: &Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

/// `64 MiB`, `512 KiB`, `100 bytes`.
fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} bytes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_url_and_limit() {
        let e = NetError::TooLarge {
            what: "index.yaml".into(),
            url: "https://h/index.yaml".into(),
            limit: 64 << 20,
        };
        assert_eq!(
            e.to_string(),
            "index.yaml of https://h/index.yaml is larger than 64 MiB"
        );
        let e = NetError::Timeout {
            url: "https://h/".into(),
            limit: Duration::from_secs(30),
        };
        assert_eq!(e.to_string(), "https://h/ timed out after 30s");
    }
}
