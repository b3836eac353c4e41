//! Diagnostics: what a stage has to say about an owner, a file or an object, besides its verdict.

use super::identity::{ObjectKey, OwnerId};
use serde::Serialize;
use std::fmt;

/// How bad a diagnostic is. Ordered most severe first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One message about the run, with what it concerns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<OwnerId>,
    /// Repository file it concerns, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<ObjectKey>,
    pub message: String,
}

impl Diagnostic {
    pub fn warning(message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            owner: None,
            file: None,
            object: None,
            message: message.into(),
        }
    }

    pub fn error(message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            ..Diagnostic::warning(message)
        }
    }

    pub fn on(mut self, owner: &OwnerId) -> Diagnostic {
        self.owner = Some(owner.clone());
        self
    }

    pub fn in_file(mut self, file: Option<String>) -> Diagnostic {
        self.file = file;
        self
    }

    pub fn about(mut self, object: ObjectKey) -> Diagnostic {
        self.object = Some(object);
        self
    }
}
