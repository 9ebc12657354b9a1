//! Learning events: the pseudonymous facts derived from accepted xAPI statements, and the
//! extension point through which ingest hands them to whatever keeps derived state (indicators,
//! rules, the live stream) — inside the same transaction, then again after it commits.

use rusqlite::Connection;

use crate::store::StoreError;

/// One scored or unscored learning event of a rostered student (a row of `learning_event`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LearningEvent {
    /// The statement's storage sequence number (orders events; resumes the live stream).
    pub seq: i64,
    /// Pseudonymous student key.
    pub student_key: String,
    /// When it happened (the statement's timestamp), RFC 3339 UTC.
    pub at: String,
    /// answered, attempted, completed, passed, failed, experienced or other.
    pub verb: String,
    /// The item of the bank, when the activity is one.
    pub item_id: Option<String>,
    pub class_id: Option<String>,
    /// The live class session (xAPI registration).
    pub session_id: Option<String>,
    pub quiz_id: Option<String>,
    pub correct: Option<bool>,
    pub response: Option<String>,
    pub score: Option<f64>,
    pub duration_s: Option<f64>,
}

/// Receives learning events as they are stored. `in_transaction` runs inside the writer's
/// transaction (an error rolls the whole batch back: nothing is acknowledged); `after_commit` runs
/// once the batch is durable, on the writer thread in commit (= seq) order, before the data
/// source hears back — it must be quick and must not block (hand the events to another thread).
pub trait EventSink: Send + Sync + 'static {
    /// Updates derived state in the same transaction as the events; returns what changed, for
    /// `after_commit`.
    fn in_transaction(&self, c: &Connection, events: &[LearningEvent]) -> Result<Vec<serde_json::Value>, StoreError>;
    /// Publishes what changed.
    fn after_commit(&self, events: Vec<LearningEvent>, changes: Vec<serde_json::Value>);
}
