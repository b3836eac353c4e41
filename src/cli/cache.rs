//! `cache gc`, `cache clear`, `cache usage`: every folder fluxsim keeps under `--cache-dir`.

use super::args::CacheWhat;
use super::exit::SetupFailure;
use super::output;
use super::{EXIT_OK, EXIT_SETUP};
use bytesize::ByteSize;
use fluxsim::cache::Store;
use fluxsim::diff::BASELINES_DIR as BASELINES;
use fluxsim::rundir::{self, SCRATCH};
use std::path::Path;
use std::time::Duration;

/// Where fluxsim up to 0.1 kept helm's caches; now in the store.
const LEGACY_HELM: &str = "helm";
/// Folders in `tmp/` that are not run folders (left by older versions) go after this long.
const LEGACY_RUN_AGE: Duration = Duration::from_secs(86_400);

pub fn run(what: &CacheWhat, dir: &Path) -> u8 {
    let store = match Store::open(dir) {
        Ok(s) => s,
        Err(e) => {
            let failure = SetupFailure::new(format!("cache {}: {e}", dir.display()));
            return output::fail(&failure);
        }
    };
    let result = match what {
        CacheWhat::Gc { max_age, max_size } => match gc_limits(max_age, max_size.as_deref()) {
            Ok((age, size)) => gc(&store, dir, age, size, max_age),
            Err(f) => return output::fail(&f),
        },
        CacheWhat::Clear => clear(&store, dir),
        CacheWhat::Usage => usage(&store, dir),
    };
    match result {
        Ok(()) => EXIT_OK,
        Err(e) => {
            output::fail(&SetupFailure::new(format!("cache {}: {e}", dir.display())));
            EXIT_SETUP
        }
    }
}

fn gc_limits(
    max_age: &str,
    max_size: Option<&str>,
) -> Result<(Duration, Option<u64>), SetupFailure> {
    let age = humantime::parse_duration(max_age).map_err(|e| {
        SetupFailure::new(format!("--max-age {max_age}: {e}")).with_hint("e.g. 30d, 12h, 90m")
    })?;
    let size = match max_size {
        Some(s) => Some(
            s.parse::<ByteSize>()
                .map_err(|e| {
                    SetupFailure::new(format!("--max-size {s}: {e}")).with_hint("e.g. 2GiB, 500MB")
                })?
                .as_u64(),
        ),
        None => None,
    };
    Ok((age, size))
}

fn gc(
    store: &Store,
    dir: &Path,
    age: Duration,
    size: Option<u64>,
    shown: &str,
) -> std::io::Result<()> {
    let r = store.gc(age, size)?;
    println!(
        "removed {} entries ({}); kept {} entries ({})",
        r.removed_entries,
        ByteSize(r.removed_bytes),
        r.kept_entries,
        ByteSize(r.kept_bytes)
    );
    let trees = fluxsim::diff::prune_baselines(&dir.join(BASELINES), Some(age))?;
    let runs = rundir::sweep(dir) + prune_legacy_runs(dir, Some(LEGACY_RUN_AGE))?;
    println!("removed {trees} base trees not used for {shown} and {runs} leftover run folders");
    Ok(())
}

/// Entries of `tmp/` that are not run folders (older versions made their scratch folders there
/// directly): those older than `max_age`, or all. Run folders are [`rundir::sweep`]'s: a live
/// run's are never touched.
fn prune_legacy_runs(dir: &Path, max_age: Option<Duration>) -> std::io::Result<u64> {
    let scratch = dir.join(SCRATCH);
    let Ok(read) = std::fs::read_dir(&scratch) else {
        return Ok(0);
    };
    let mut removed = 0;
    for item in read.flatten() {
        if item
            .file_name()
            .to_string_lossy()
            .starts_with(rundir::PREFIX)
        {
            continue;
        }
        let old = match max_age {
            None => true,
            Some(age) => item
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|m| m.elapsed().ok())
                .is_some_and(|d| d > age),
        };
        if old && item.file_type().is_ok_and(|t| t.is_dir()) {
            std::fs::remove_dir_all(item.path())?;
            removed += 1;
        }
    }
    // Gone when nothing is left in it; a live run's folder keeps it.
    let _ = std::fs::remove_dir(&scratch);
    Ok(removed)
}

fn clear(store: &Store, dir: &Path) -> std::io::Result<()> {
    let n = store.clear()?;
    let trees = fluxsim::diff::prune_baselines(&dir.join(BASELINES), None)?;
    rundir::sweep(dir);
    prune_legacy_runs(dir, None)?;
    match std::fs::remove_dir_all(dir.join(LEGACY_HELM)) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    println!(
        "removed {} of entries and {trees} base trees from {}",
        ByteSize(n),
        dir.display()
    );
    Ok(())
}

fn usage(store: &Store, dir: &Path) -> std::io::Result<()> {
    println!("{}", dir.display());
    let mut total = 0;
    let row = |what: &str, count: String, bytes: u64| {
        println!(
            "  {what:<22} {count:>14} {:>12}",
            ByteSize(bytes).to_string()
        );
    };
    for (bucket, entries, bytes) in store.usage()? {
        total += bytes;
        row(&bucket, format!("{entries} entries"), bytes);
    }
    for (what, sub) in [("base trees", BASELINES), ("old helm cache", LEGACY_HELM)] {
        let (count, bytes) = folder_usage(&dir.join(sub));
        if count > 0 {
            total += bytes;
            row(what, format!("{count} folders"), bytes);
        }
    }
    // Run folders live next to the cache and in memory ($XDG_RUNTIME_DIR, /dev/shm).
    let runs = rundir::list(dir);
    let (live, stale): (Vec<_>, Vec<_>) = runs.iter().partition(|f| !f.stale);
    for (what, found) in [("run folders", live), ("left by killed runs", stale)] {
        let bytes: u64 = found.iter().map(|f| folder_usage(&f.path).1).sum();
        if !found.is_empty() {
            total += bytes;
            row(what, format!("{} folders", found.len()), bytes);
        }
    }
    row("total", String::new(), total);
    Ok(())
}

/// Top-level folders in `dir` and the bytes of every file below it.
fn folder_usage(dir: &Path) -> (usize, u64) {
    let count = std::fs::read_dir(dir).map_or(0, |r| r.count());
    let bytes = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter_map(|e| e.metadata().ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum();
    (count, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ages_and_sizes() {
        let (age, size) = gc_limits("30d", Some("2GiB")).unwrap();
        assert_eq!(age, Duration::from_secs(30 * 86_400));
        assert_eq!(size, Some(2 << 30));
        assert_eq!(gc_limits("12h", Some("500M")).unwrap().1, Some(500_000_000));
        assert!(gc_limits("x", None).is_err());
        assert!(gc_limits("1d", Some("lots")).is_err());
    }
}
