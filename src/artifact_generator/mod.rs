//! ArtifactGenerator (source-watcher, Flux 2.7+): composes `ExternalArtifact` sources from the
//! trees of other sources, so Kustomizations with `sourceRef.kind: ExternalArtifact` can be built
//! locally.
//!
//! [`Generator::from_object`] parses and validates the object ([`spec`]); [`compose`] stages
//! every artifact the way fluxcd/source-watcher `internal/builder/builder.go` does: the copy
//! operations in order ([`copy`]), with Go `fs.Glob` patterns ([`gomatch`], [`tree`]),
//! doublestar excludes ([`doublestar`]), YAML merging ([`merge`]) and tarball extraction
//! ([`extract`]). Reads never leave a source's root and only see the files its artifact holds
//! (the caller's [`SourceTree`], so `.sourceignore` stays in one place).

mod copy;
mod doublestar;
mod extract;
mod gomatch;
mod merge;
mod spec;
mod tree;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub use spec::{CopyOp, Generator, OutputArtifact, SourceId, SourceRef, Strategy};

use crate::workspace::SourceTree;
use copy::Staging;
use tree::SourceFiles;

/// The kind of the objects an ArtifactGenerator produces.
pub const EXTERNAL_ARTIFACT_KIND: &str = "ExternalArtifact";

/// One composed `ExternalArtifact`.
#[derive(Debug)]
pub struct ComposedArtifact {
    pub namespace: String,
    pub name: String,
    /// `@alias` of the source whose origin revision annotates the artifact, if set.
    pub origin_revision: Option<String>,
    /// The staged folder (`dest/<name>`), and the files the artifact tarball holds: the staged
    /// files minus the default ignore rules source-watcher's archiver applies
    /// (`gotkstorage.SourceIgnoreFilter(nil, nil)`, the VCS and default source-controller
    /// patterns).
    pub tree: SourceTree,
}

/// Why a copy operation failed, with source-watcher's own wording where it has one.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error("invalid copy source: {0}")]
    InvalidSource(String),
    #[error("invalid copy destination: {0}")]
    InvalidDestination(String),
    #[error("source alias '{0}' not found")]
    AliasNotFound(String),
    #[error("invalid exclude pattern '{pattern}': {reason}")]
    InvalidExclude { pattern: String, reason: String },
    #[error("invalid glob pattern: {0}")]
    BadGlob(String),
    #[error("{}", if *all_excluded {
        format!("all files matching pattern '{pattern}' in source '{alias}' were excluded")
    } else {
        format!("no files match pattern '{pattern}' in source '{alias}'")
    })]
    NoMatch {
        pattern: String,
        alias: String,
        all_excluded: bool,
    },
    #[error("source '{0}' does not exist")]
    NotExist(String),
    #[error("extract strategy is not supported for directories, got '{0}'")]
    ExtractDir(String),
    #[error("extract strategy requires tarball file (.tar.gz or .tgz), got '{0}'")]
    ExtractNotTarball(String),
    #[error("failed to merge '{path}': {reason}")]
    Merge { path: String, reason: String },
    #[error("failed to extract tarball '{path}': {reason}")]
    Extract { path: String, reason: String },
    #[error("{0}: {1}")]
    Io(String, #[source] std::io::Error),
}

/// Why a generator could not be parsed or composed. Every variant names the generator
/// (`namespace/name`).
#[derive(Debug, thiserror::Error)]
pub enum GeneratorError {
    #[error("ArtifactGenerator {generator}: {field}: {reason}")]
    Invalid {
        generator: String,
        field: String,
        reason: String,
    },
    #[error("ArtifactGenerator {generator}: {field} is not supported by fluxsim yet")]
    Unsupported { generator: String, field: String },
    /// The source is not known locally (e.g. a remote repository offline).
    #[error("ArtifactGenerator {generator}: source @{alias} ({source_id}) is not available")]
    SourceUnavailable {
        generator: String,
        alias: String,
        source_id: SourceId,
    },
    #[error(
        "ArtifactGenerator {generator}: artifact {artifact}: failed to apply copy operation from '{from}' to '{to}': {error}"
    )]
    Copy {
        generator: String,
        artifact: String,
        from: String,
        to: String,
        error: Box<CopyError>,
    },
    #[error("ArtifactGenerator {generator}: {path}: {error}")]
    Io {
        generator: String,
        path: PathBuf,
        error: std::io::Error,
    },
}

/// Composes every artifact of `generator` under `dest` (an empty folder the caller owns), one
/// folder per artifact. `resolve` gives the artifact file list of each source. A disabled
/// generator composes nothing.
pub fn compose<'a>(
    generator: &Generator,
    resolve: &dyn Fn(&SourceId) -> Option<&'a SourceTree>,
    dest: &Path,
) -> Result<Vec<ComposedArtifact>, GeneratorError> {
    if generator.disabled {
        return Ok(Vec::new());
    }
    let id = format!("{}/{}", generator.namespace, generator.name);
    let io_err = |path: &Path, error| GeneratorError::Io {
        generator: id.clone(),
        path: path.to_path_buf(),
        error,
    };
    // The controller fetches every source before building anything.
    let mut sources: HashMap<String, SourceFiles> = HashMap::new();
    for s in &generator.sources {
        let tree = resolve(&s.id).ok_or_else(|| GeneratorError::SourceUnavailable {
            generator: id.clone(),
            alias: s.alias.clone(),
            source_id: s.id.clone(),
        })?;
        let files = SourceFiles::new(&tree.root, &tree.files).map_err(|e| io_err(&tree.root, e))?;
        sources.insert(s.alias.clone(), files);
    }
    let mut out = Vec::new();
    for artifact in &generator.artifacts {
        let dir = dest.join(&artifact.name);
        std::fs::create_dir_all(&dir).map_err(|e| io_err(&dir, e))?;
        let staging = Staging { root: &dir };
        for op in &artifact.copy {
            copy::apply(op, &sources, &staging).map_err(|error| GeneratorError::Copy {
                generator: id.clone(),
                artifact: artifact.name.clone(),
                from: op.from.clone(),
                to: op.to.clone(),
                error: Box::new(error),
            })?;
        }
        let tree = SourceTree::scan(&dir).map_err(|e| io_err(&dir, e))?;
        out.push(ComposedArtifact {
            namespace: generator.namespace.clone(),
            name: artifact.name.clone(),
            origin_revision: artifact.origin_revision.clone(),
            tree,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod fixture_tests;
