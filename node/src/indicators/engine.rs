//! The indicator engine: applies learning events to the derived indicator tables and pushes what
//! changed to the live stream. In a running node it works off the ingest path, on its own thread
//! ([`IndicatorWorker`]): ingest commits statements and events and hands the events over; the
//! engine applies them in memory, publishes the live events at once, and writes the derived rows
//! together with how far it has got (`indicator_progress`) in one transaction at most every
//! 400 ms under load (at once when idle): one write per student × standard per interval rather than
//! per answer. A crash loses nothing: on start the engine resumes from the recorded progress and
//! re-reads the committed events after it, so every event is applied exactly once.
//!
//! [`Engine::apply`] runs the same code synchronously in the caller's transaction (tests, tools).

mod live_sessions;
mod state;
mod worker;

use std::sync::{Arc, Mutex, MutexGuard};

use lantern_policies::rules::BktModel;
use rusqlite::Connection;

use crate::events::LearningEvent;
use crate::live::{LiveEvent, LiveHub};
use crate::store::StoreError;
use state::State;
pub use worker::IndicatorWorker;

/// BKT parameters (per standard), the live hub, and the working state.
pub struct Engine {
    bkt: BktModel,
    hub: Arc<LiveHub>,
    state: Mutex<State>,
}

impl Engine {
    pub fn new(bkt: impl Into<BktModel>, hub: Arc<LiveHub>) -> Engine {
        let bkt = bkt.into();
        Engine { state: Mutex::new(State::new(bkt.clone())), bkt, hub }
    }

    pub fn hub(&self) -> &Arc<LiveHub> {
        &self.hub
    }

    /// Applies `events` (already stored, in seq order) and writes the derived rows in the caller's
    /// transaction; returns the live events (not published). On error nothing of it is kept in
    /// memory (the caller's transaction rolls back the rows).
    pub fn apply(&self, c: &Connection, events: &[LearningEvent]) -> Result<Vec<LiveEvent>, StoreError> {
        let mut state = self.state();
        let result = state.apply(c, events).and_then(|live| {
            state.take_writes().write(c)?;
            Ok(live)
        });
        if result.is_err() {
            *state = State::new(self.bkt.clone());
        }
        result
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Forgets everything held in memory (after a failed write, or a rebuild underneath).
    fn reset(&self) {
        *self.state() = State::new(self.bkt.clone());
    }
}
