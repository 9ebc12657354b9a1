//! Progress reporting for long imports: a callback the caller supplies, or a terminal progress
//! bar on stderr (only when stderr is a terminal). Reports stages and row counts, never data.

use std::fmt;
use std::io::IsTerminal;
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressStyle};

/// One progress update: `done` of `total` units in `stage` (e.g. `"users.csv: writing"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProgressUpdate<'a> {
    pub stage: &'a str,
    pub done: u64,
    pub total: u64,
}

type Callback = dyn Fn(ProgressUpdate<'_>) + Send + Sync;

/// Where progress goes. Cheap to clone.
#[derive(Clone)]
pub struct Progress {
    callback: Arc<Callback>,
}

impl fmt::Debug for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Progress(..)")
    }
}

/// The stage name of the last update of an import.
pub const DONE_STAGE: &str = "done";

impl Progress {
    /// Progress delivered to `callback`.
    pub fn new(callback: impl Fn(ProgressUpdate<'_>) + Send + Sync + 'static) -> Self {
        Self { callback: Arc::new(callback) }
    }

    /// A progress bar on stderr, or `None` when stderr is not a terminal (pipes, logs, tests).
    pub fn terminal_bar() -> Option<Self> {
        if !std::io::stderr().is_terminal() {
            return None;
        }
        let bar = ProgressBar::new(0);
        if let Ok(style) = ProgressStyle::with_template("{msg:30} [{bar:30}] {pos}/{len}") {
            bar.set_style(style.progress_chars("=> "));
        }
        Some(Self::new(move |update| {
            if update.stage == DONE_STAGE {
                bar.finish_and_clear();
                return;
            }
            bar.set_message(update.stage.to_owned());
            bar.set_length(update.total);
            bar.set_position(update.done);
        }))
    }

    pub(crate) fn report(&self, stage: &str, done: u64, total: u64) {
        (self.callback)(ProgressUpdate { stage, done, total });
    }
}

/// Reports to an optional [`Progress`], throttled to every `STEP` units.
pub(crate) struct Ticker<'a> {
    progress: Option<&'a Progress>,
    stage: String,
    total: u64,
    done: u64,
}

impl<'a> Ticker<'a> {
    const STEP: u64 = 500;

    pub(crate) fn start(progress: Option<&'a Progress>, stage: String, total: usize) -> Self {
        if let Some(progress) = progress {
            progress.report(&stage, 0, total as u64);
        }
        Self { progress, stage, total: total as u64, done: 0 }
    }

    pub(crate) fn tick(&mut self) {
        self.done += 1;
        if let Some(progress) = self.progress {
            if self.done.is_multiple_of(Self::STEP) || self.done == self.total {
                progress.report(&self.stage, self.done, self.total);
            }
        }
    }
}

pub(crate) fn finish(progress: Option<&Progress>) {
    if let Some(progress) = progress {
        progress.report(DONE_STAGE, 1, 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn ticker_reports_start_every_step_and_end() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&seen);
        let progress = Progress::new(move |update| {
            sink.lock().expect("not poisoned").push((update.stage.to_owned(), update.done, update.total));
        });
        let mut ticker = Ticker::start(Some(&progress), "users.csv".into(), 1001);
        for _ in 0..1001 {
            ticker.tick();
        }
        finish(Some(&progress));
        let seen = seen.lock().expect("not poisoned").clone();
        let counts: Vec<u64> = seen.iter().map(|(_, done, _)| *done).collect();
        assert_eq!(counts, [0, 500, 1000, 1001, 1]);
        assert_eq!(seen.last().map(|s| s.0.as_str()), Some(DONE_STAGE));
    }
}
