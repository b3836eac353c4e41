//! Draws the stages' progress on a terminal (stderr): one bar per stage, created when the stage
//! queues its first owner and cleared when it is done. Hidden when stderr is not a terminal,
//! with `--no-progress`, `-q` or `-v` (bars and logs never mix).

use fluxsim::reporter::{Event, Reporter, Stage};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::sync::Mutex;
use std::time::Duration;

/// Whether to draw bars at all: a pure function of the settings, so it can be tested.
pub fn enabled(stderr_is_terminal: bool, quiet: bool, verbose: u8, no_progress: bool) -> bool {
    stderr_is_terminal && !quiet && verbose == 0 && !no_progress
}

/// Progress bars for a run's stages.
pub struct TtyProgress {
    bars: Mutex<Vec<(Stage, ProgressBar)>>,
}

impl TtyProgress {
    pub fn new() -> TtyProgress {
        TtyProgress {
            bars: Mutex::new(Vec::new()),
        }
    }

    fn with_bar(&self, stage: Stage, f: impl FnOnce(&ProgressBar)) {
        let mut bars = self.bars.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, bar)) = bars.iter().find(|(s, _)| *s == stage) {
            f(bar);
            return;
        }
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        let template = format!(
            "{{spinner}} {} {{pos}}/{{len}} {} [{{elapsed}}] {{wide_msg}}",
            match stage {
                Stage::Kustomizations => "building",
                Stage::HelmReleases => "rendering",
            },
            stage.noun()
        );
        if let Ok(style) = ProgressStyle::with_template(&template) {
            bar.set_style(style);
        }
        bar.enable_steady_tick(Duration::from_millis(120));
        f(&bar);
        bars.push((stage, bar));
    }
}

impl Reporter for TtyProgress {
    fn report(&self, event: Event<'_>) {
        match event {
            Event::Queued { stage, count } => self.with_bar(stage, |b| b.inc_length(count)),
            Event::Finished { stage, owner } => self.with_bar(stage, |b| {
                b.inc(1);
                b.set_message(owner.name().to_string());
            }),
            Event::StageDone { stage } => self.with_bar(stage, |b| b.finish_and_clear()),
            // Diagnostics are printed with the summary, once the run is over.
            Event::Diagnostic(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_only_on_a_quiet_terminal() {
        assert!(enabled(true, false, 0, false));
        assert!(!enabled(false, false, 0, false));
        assert!(!enabled(true, true, 0, false));
        assert!(!enabled(true, false, 1, false));
        assert!(!enabled(true, false, 0, true));
    }
}
