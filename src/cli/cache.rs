//! `cache gc`, `cache clear`, `cache usage`.

use super::args::CacheWhat;
use super::{EXIT_OK, EXIT_SETUP};
use fluxsim::cache::Store;
use fluxsim::diff::BASELINES_DIR as BASELINES;
use std::path::Path;
use std::time::Duration;

pub fn run(what: &CacheWhat, dir: &Path) -> u8 {
    let store = match Store::open(dir) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cache {}: {e}", dir.display());
            return EXIT_SETUP;
        }
    };
    let result = match what {
        CacheWhat::Gc { max_age, max_size } => {
            let age = match parse_age(max_age) {
                Some(a) => a,
                None => {
                    eprintln!("error: --max-age {max_age}: expected e.g. 30d, 12h, 90m");
                    return EXIT_SETUP;
                }
            };
            let size = match max_size.as_deref().map(parse_size) {
                Some(None) => {
                    eprintln!("error: --max-size: expected e.g. 2G, 500M");
                    return EXIT_SETUP;
                }
                Some(s) => s,
                None => None,
            };
            store.gc(age, size).and_then(|r| {
                println!(
                    "removed {} entries ({} bytes); kept {} entries ({} bytes)",
                    r.removed_entries, r.removed_bytes, r.kept_entries, r.kept_bytes
                );
                let trees = fluxsim::diff::prune_baselines(&dir.join(BASELINES), Some(age))?;
                println!("removed {trees} base trees not used for {max_age}");
                Ok(())
            })
        }
        CacheWhat::Clear => store.clear().and_then(|n| {
            let trees = fluxsim::diff::prune_baselines(&dir.join(BASELINES), None)?;
            println!(
                "removed {n} bytes and {trees} base trees from {}",
                dir.display()
            );
            Ok(())
        }),
        CacheWhat::Usage => store.usage().map(|u| {
            for (bucket, entries, bytes) in u {
                println!("{bucket}\t{entries} entries\t{bytes} bytes");
            }
        }),
    };
    match result {
        Ok(()) => EXIT_OK,
        Err(e) => {
            eprintln!("error: cache {}: {e}", dir.display());
            EXIT_SETUP
        }
    }
}

fn parse_age(s: &str) -> Option<Duration> {
    let (n, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit())?);
    let n: u64 = n.parse().ok()?;
    let secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 604_800,
        _ => return None,
    };
    Some(Duration::from_secs(n * secs))
}

fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim_end_matches(['B', 'b', 'i']);
    let (n, mult) = match s.chars().last()? {
        'K' | 'k' => (&s[..s.len() - 1], 1u64 << 10),
        'M' | 'm' => (&s[..s.len() - 1], 1 << 20),
        'G' | 'g' => (&s[..s.len() - 1], 1 << 30),
        _ => (s, 1),
    };
    n.parse::<u64>().ok().map(|n| n * mult)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ages_and_sizes() {
        assert_eq!(parse_age("30d"), Some(Duration::from_secs(30 * 86_400)));
        assert_eq!(parse_age("x"), None);
        assert_eq!(parse_size("2G"), Some(2 << 30));
        assert_eq!(parse_size("500MiB"), Some(500 << 20));
        assert_eq!(parse_size("1024"), Some(1024));
    }
}
