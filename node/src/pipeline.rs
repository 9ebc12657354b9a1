//! The derived-state pipeline behind ingest: stored learning events are handed, once committed, to
//! the indicator engine's thread, which updates mastery, participation and item statistics, pushes
//! them to the live stream, and then queues the students touched for alert re-evaluation
//! (`alerts::evaluator`).

use std::sync::Arc;

use rusqlite::Connection;

use crate::events::{EventSink, LearningEvent};
use crate::indicators::IndicatorWorker;
use crate::store::StoreError;

pub struct Pipeline {
    pub indicators: Arc<IndicatorWorker>,
}

impl EventSink for Pipeline {
    fn in_transaction(&self, _c: &Connection, _events: &[LearningEvent]) -> Result<Vec<serde_json::Value>, StoreError> {
        // Nothing derived is written on the ingest path: the engine applies committed events.
        Ok(Vec::new())
    }

    fn after_commit(&self, events: Vec<LearningEvent>, _changes: Vec<serde_json::Value>) {
        self.indicators.submit(events);
    }
}
