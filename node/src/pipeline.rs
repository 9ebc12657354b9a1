//! The derived-state pipeline behind ingest: the indicators engine updates mastery, participation
//! and item statistics in the same transaction as the events and pushes them to the live stream;
//! the students touched are then queued for alert re-evaluation (`alerts::evaluator`).

use std::sync::Arc;

use rusqlite::Connection;

use crate::alerts::evaluator::DirtyStudents;
use crate::events::{EventSink, LearningEvent};
use crate::indicators::Engine;
use crate::store::StoreError;

pub struct Pipeline {
    pub engine: Engine,
    pub dirty: Arc<DirtyStudents>,
}

impl EventSink for Pipeline {
    fn in_transaction(&self, c: &Connection, events: &[LearningEvent]) -> Result<Vec<serde_json::Value>, StoreError> {
        self.engine.in_transaction(c, events)
    }

    fn after_commit(&self, events: &[LearningEvent], changes: Vec<serde_json::Value>) {
        self.engine.after_commit(events, changes);
        self.dirty.mark(events.iter().map(|e| e.student_key.as_str()));
    }
}
