//! Exit statuses CI can rely on, and the one error type that ends a command early.

use std::error::Error;

/// Everything went well (and, for `diff --exit-code`, nothing changed).
pub const EXIT_OK: u8 = 0;
/// Failures were found: a Kustomization or HelmRelease failed, a check failed, or a diff changed.
pub const EXIT_FAILURES: u8 = 1;
/// The command could not run: bad usage, a missing program, an unreadable path.
pub const EXIT_SETUP: u8 = 2;

/// A problem that stops a command before it can report (exit status 2), with a hint when the
/// user can act on it.
#[derive(Debug)]
pub struct SetupFailure {
    pub message: String,
    pub hint: Option<String>,
}

impl SetupFailure {
    pub fn new(message: impl Into<String>) -> SetupFailure {
        SetupFailure {
            message: message.into(),
            hint: None,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> SetupFailure {
        self.hint = Some(hint.into());
        self
    }

    /// The error with its causes, and a hint for the errors a user can fix.
    pub fn from_error(e: &(dyn Error + 'static)) -> SetupFailure {
        let mut message = e.to_string();
        let mut cause = e.source();
        while let Some(c) = cause {
            let text = c.to_string();
            if !message.contains(&text) {
                message.push_str(": ");
                message.push_str(&text);
            }
            cause = c.source();
        }
        let failure = SetupFailure::new(message);
        match hint_for(e) {
            Some(h) => failure.with_hint(h),
            None => failure,
        }
    }
}

fn hint_for(e: &(dyn Error + 'static)) -> Option<&'static str> {
    use fluxsim::kustomize::KustomizeError;
    use fluxsim::pipeline::SetupError;
    let e = match e.downcast_ref::<SetupError>() {
        Some(SetupError::Kustomize(k)) => k as &(dyn Error + 'static),
        Some(SetupError::Keys(_)) => {
            return Some("check --age-key-file, SOPS_AGE_KEY_FILE and SOPS_AGE_KEY");
        }
        Some(SetupError::NoHelm { .. }) => {
            return Some(
                "install helm (./scripts/install-tools.sh puts a pinned one in .tools/bin) or pass --helm CMD",
            );
        }
        Some(SetupError::Discover(_)) => {
            return Some(
                "--path takes the folder of the cluster's root Flux objects, or the repository root",
            );
        }
        _ => e,
    };
    match e.downcast_ref::<KustomizeError>() {
        Some(KustomizeError::NotFound) => {
            Some("install kustomize (./scripts/install-tools.sh puts a pinned one in .tools/bin)")
        }
        _ => None,
    }
}
