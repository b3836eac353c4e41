//! One copy operation, with source-watcher's `cp`-like rules (fluxcd/source-watcher
//! `internal/builder/builder.go`, `applyCopyOperation` and the functions it calls):
//!
//! * `from` is `@alias/pattern`. Without glob characters (`*?[]`) it names one file or folder: a
//!   file goes to `to` (or into it when `to` ends with `/` or is a folder already); a folder is
//!   copied as a subfolder of `to` (`@src/` alone copies the root's content).
//! * With glob characters, Go's `fs.Glob` lists the matches (so `*` and `**` stay within one
//!   folder level). For `dir/**` the `dir/` prefix is stripped from each match; any other pattern
//!   keeps each match's full path under `to`. Matched folders are copied recursively.
//! * `exclude` patterns (doublestar) apply to paths relative to the source root and to the
//!   literal part of `from` before its first glob segment; a pattern without `/` also matches
//!   bare file names. No match, or everything excluded, is an error unless `optional`.
//! * `to` is `@artifact/path`, which must stay inside the artifact.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use super::CopyError;
use super::doublestar::{Doublestar, check_alternation};
use super::extract::{is_tarball, untar};
use super::merge::merge_yaml;
use super::spec::{CopyOp, Strategy};
use super::tree::{SourceFiles, join};

/// The staged artifact folder; every write goes through here.
pub struct Staging<'a> {
    pub root: &'a Path,
}

impl Staging<'_> {
    fn path(&self, rel: &str) -> PathBuf {
        // `rel` is made of plain names (validated destination + names from the source tree).
        self.root.join(rel)
    }
    fn is_dir(&self, rel: &str) -> bool {
        fs::symlink_metadata(self.path(rel)).is_ok_and(|m| m.is_dir())
    }
    fn exists(&self, rel: &str) -> bool {
        fs::symlink_metadata(self.path(rel)).is_ok()
    }
    fn mkdir(&self, rel: &str) -> Result<(), CopyError> {
        fs::create_dir_all(self.path(rel)).map_err(|e| CopyError::Io(rel.to_string(), e))
    }
    fn write(&self, rel: &str, data: &[u8]) -> Result<(), CopyError> {
        if let Some((parent, _)) = rel.rsplit_once('/') {
            self.mkdir(parent)?;
        }
        fs::write(self.path(rel), data).map_err(|e| CopyError::Io(rel.to_string(), e))
    }
}

/// What one operation reads: the parsed `from`, its excludes and the source.
struct Op<'a> {
    op: &'a CopyOp,
    src: &'a SourceFiles,
    excludes: Vec<Doublestar>,
}

/// Applies one copy operation from `sources` (by alias) into the staging folder.
pub fn apply(
    op: &CopyOp,
    sources: &HashMap<String, SourceFiles>,
    staging: &Staging,
) -> Result<(), CopyError> {
    let (alias, pattern) = parse_from(&op.from)?;
    check_alternation(pattern).map_err(|e| CopyError::InvalidSource(e.to_string()))?;
    let dest = parse_to(&op.to)?;
    let src = sources
        .get(alias)
        .ok_or_else(|| CopyError::AliasNotFound(alias.to_string()))?;
    let excludes = op
        .exclude
        .iter()
        .map(|p| {
            Doublestar::new(p).map_err(|e| CopyError::InvalidExclude {
                pattern: p.clone(),
                reason: e.to_string(),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let ctx = Op { op, src, excludes };
    if !pattern.contains(['*', '?', '[', ']']) {
        return ctx.single(pattern, &dest, op.to.ends_with('/'), staging);
    }
    ctx.glob(alias, pattern, &dest, staging)
}

impl Op<'_> {
    fn glob(
        &self,
        alias: &str,
        pattern: &str,
        dest: &str,
        staging: &Staging,
    ) -> Result<(), CopyError> {
        let matches = if self.op.strategy == Strategy::Extract {
            // doublestar.Glob: recursive `**`, as the Extract strategy documents.
            let m = Doublestar::new(pattern).map_err(|e| CopyError::BadGlob(e.to_string()))?;
            self.src
                .all_paths()
                .filter(|p| m.is_match(p))
                .map(str::to_string)
                .collect()
        } else {
            self.src
                .glob(pattern)
                .map_err(|e| CopyError::BadGlob(e.to_string()))?
        };
        let no_match = |all_excluded| CopyError::NoMatch {
            pattern: pattern.to_string(),
            alias: alias.to_string(),
            all_excluded,
        };
        if matches.is_empty() {
            return if self.op.optional {
                Ok(())
            } else {
                Err(no_match(false))
            };
        }
        let base = selection_root(pattern);
        let kept: Vec<String> = matches
            .into_iter()
            .filter(|m| m != "." && m != ".." && !self.excluded(m, &base))
            .collect();
        if kept.is_empty() {
            return if self.op.optional {
                Ok(())
            } else {
                Err(no_match(true))
            };
        }
        for m in kept {
            if self.op.strategy == Strategy::Extract {
                if is_tarball(&m) && self.src.is_file(&m) {
                    self.extract(&m, dest, staging)?;
                }
                continue;
            }
            let to = glob_destination(pattern, &m, dest);
            self.copy_entry(&m, &to, &base, staging)?;
        }
        Ok(())
    }

    fn single(
        &self,
        pattern: &str,
        dest: &str,
        dest_slash: bool,
        staging: &Staging,
    ) -> Result<(), CopyError> {
        let src_path = clean(pattern);
        let missing = src_path
            .as_deref()
            .is_none_or(|p| !self.src.is_file(p) && !self.src.is_dir(p));
        if missing {
            return if self.op.optional {
                Ok(())
            } else {
                Err(CopyError::NotExist(pattern.to_string()))
            };
        }
        let src_path = src_path.unwrap_or_default();
        if self.src.is_dir(&src_path) {
            if self.op.strategy == Strategy::Extract {
                return Err(CopyError::ExtractDir(src_path));
            }
            let name = src_path.rsplit('/').next().unwrap_or(".");
            return self.copy_entry(&src_path, &join(dest, name), &src_path, staging);
        }
        if self.excluded(&src_path, ".") {
            return Ok(());
        }
        if self.op.strategy == Strategy::Extract {
            if !is_tarball(&src_path) {
                return Err(CopyError::ExtractNotTarball(src_path));
            }
            return self.extract(&src_path, dest, staging);
        }
        let file_name = src_path.rsplit('/').next().unwrap_or(&src_path);
        let to = if dest_slash || staging.is_dir(dest) {
            join(dest, file_name)
        } else {
            dest.to_string()
        };
        self.copy_entry(&src_path, &to, ".", staging)
    }

    /// Copies a file or, recursively, a folder of the source to `to`.
    fn copy_entry(
        &self,
        path: &str,
        to: &str,
        base: &str,
        staging: &Staging,
    ) -> Result<(), CopyError> {
        if !self.src.is_dir(path) {
            return self.copy_file(path, to, staging);
        }
        staging.mkdir(to)?;
        let mut skipped: Vec<String> = Vec::new();
        for (p, is_dir) in self.src.walk(path) {
            if skipped.iter().any(|s| p.starts_with(&format!("{s}/"))) {
                continue;
            }
            if self.excluded(&p, base) {
                if is_dir {
                    skipped.push(p);
                }
                continue;
            }
            let rel = if path == "." {
                p.as_str()
            } else {
                &p[path.len() + 1..]
            };
            let dest = join(to, rel);
            if is_dir {
                staging.mkdir(&dest)?;
            } else {
                self.copy_file(&p, &dest, staging)?;
            }
        }
        Ok(())
    }

    fn copy_file(&self, path: &str, to: &str, staging: &Staging) -> Result<(), CopyError> {
        let data = self
            .src
            .read(path)
            .map_err(|e| CopyError::Io(path.to_string(), e))?;
        if self.op.strategy == Strategy::Merge && staging.exists(to) {
            let base = fs::read_to_string(staging.path(to))
                .map_err(|e| CopyError::Io(to.to_string(), e))?;
            let merged = merge_yaml(&base, &String::from_utf8_lossy(&data)).map_err(|e| {
                CopyError::Merge {
                    path: path.to_string(),
                    reason: e.to_string(),
                }
            })?;
            return staging.write(to, merged.as_bytes());
        }
        staging.write(to, &data)
    }

    fn extract(&self, path: &str, dest: &str, staging: &Staging) -> Result<(), CopyError> {
        let data = self
            .src
            .read(path)
            .map_err(|e| CopyError::Io(path.to_string(), e))?;
        untar(&data, &staging.path(dest)).map_err(|e| CopyError::Extract {
            path: path.to_string(),
            reason: e.to_string(),
        })
    }

    /// `shouldExcludePath`: the path from the source root, then the path from `base`.
    fn excluded(&self, path: &str, base: &str) -> bool {
        if self.excludes.iter().any(|e| e.excludes(path)) {
            return true;
        }
        let rel = if base == "." {
            return false;
        } else {
            match path.strip_prefix(&format!("{base}/")) {
                Some(rel) => rel,
                None => return false,
            }
        };
        self.excludes.iter().any(|e| e.excludes(rel))
    }
}

/// `@alias/pattern` → (`alias`, `pattern`).
fn parse_from(from: &str) -> Result<(&str, &str), CopyError> {
    let rest = from
        .strip_prefix('@')
        .ok_or_else(|| CopyError::InvalidSource("source must start with '@'".into()))?;
    rest.split_once('/')
        .ok_or_else(|| CopyError::InvalidSource("source format must be '@alias/pattern'".into()))
}

/// `@artifact/path` → the path inside the artifact (`.` for the root), which may not climb out.
fn parse_to(to: &str) -> Result<String, CopyError> {
    let rest = to.strip_prefix("@artifact/").ok_or_else(|| {
        CopyError::InvalidDestination("destination must start with '@artifact/'".into())
    })?;
    if rest.is_empty() {
        return Ok(".".into());
    }
    if rest.starts_with('/') || rest.split('/').any(|p| p == "..") {
        return Err(CopyError::InvalidDestination(
            "destination path must stay within the artifact root".into(),
        ));
    }
    Ok(clean(rest).unwrap_or_else(|| ".".into()))
}

/// Lexically cleans a relative path (`a/./b/` → `a/b`, `` → `.`); `None` if it climbs out.
fn clean(p: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    if p.starts_with('/') {
        return None;
    }
    Some(if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    })
}

/// The literal folders of a pattern before its first glob segment (`sourceSelectionRoot`).
fn selection_root(pattern: &str) -> String {
    let cleaned = clean(pattern).unwrap_or_else(|| ".".into());
    let literal: Vec<&str> = cleaned
        .split('/')
        .take_while(|seg| !seg.contains(['*', '?', '[', ']']))
        .collect();
    if literal.is_empty() || cleaned == "." {
        ".".into()
    } else {
        literal.join("/")
    }
}

/// `calculateGlobDestination`: `dir/**` strips `dir/`; other patterns keep the match's path.
fn glob_destination(pattern: &str, m: &str, dest: &str) -> String {
    if let Some(prefix) = pattern.strip_suffix("/**")
        && let Some(rel) = m.strip_prefix(&format!("{prefix}/"))
    {
        return join(dest, rel);
    }
    join(dest, m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_must_stay_in_the_artifact() {
        assert_eq!(parse_to("@artifact/").unwrap(), ".");
        assert_eq!(parse_to("@artifact/a/./b/").unwrap(), "a/b");
        assert!(parse_to("@artifact/../x").is_err());
        assert!(parse_to("@artifact//etc").is_err());
        assert!(parse_to("@other/x").is_err());
        assert!(parse_from("repo/x").is_err());
        assert!(parse_from("@repo").is_err());
    }

    #[test]
    fn glob_destinations() {
        assert_eq!(
            glob_destination("apps/base/**", "apps/base/podinfo", "base"),
            "base/podinfo"
        );
        assert_eq!(
            glob_destination("configs/*.yaml", "configs/a.yaml", "apps"),
            "apps/configs/a.yaml"
        );
        assert_eq!(glob_destination("**", "x", "."), "x");
        assert_eq!(selection_root("deploy/*/x/*.yaml"), "deploy");
        assert_eq!(selection_root("*.yaml"), ".");
    }
}
