//! Indicators (issue 6): mastery by Bayesian knowledge tracing, recent accuracy and trend,
//! participation in live sessions, attendance, and item statistics — kept up to date inside the
//! ingest transaction by [`Engine`] (the `EventSink`), recomputed from scratch by [`rebuild`], and
//! read for the rules by [`student_facts`]. Definitions and formulas: docs/INDICATORS.md.
//!
//! Event order: every order-dependent indicator (BKT mastery, a student's first answer to an item)
//! is defined over a student's answers sorted by event time, ties broken by storage seq. Both the
//! incremental path and the rebuild follow that order, whatever order events arrive in.

pub mod attendance;
pub mod bkt;
pub mod bkt_fit;
mod facts;
mod incremental;
pub mod item_stats;
mod rebuild;
pub mod sessions;
pub mod views;

use std::sync::Arc;

use chrono::{Datelike, Duration, NaiveDate};
use lantern_policies::rules::BktParams;
use rusqlite::Connection;

use crate::events::{EventSink, LearningEvent};
use crate::live::{LiveEvent, LiveHub};
use crate::store::StoreError;

pub use facts::student_facts;
pub use rebuild::{rebuild, rebuild_collecting_answers, RebuildReport};

/// Errors of the indicator layer.
#[derive(Debug, thiserror::Error)]
pub enum IndicatorError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("learning event {seq}: time {at:?} is not an RFC 3339 date-time")]
    BadTime { seq: i64, at: String },
}

impl From<rusqlite::Error> for IndicatorError {
    fn from(e: rusqlite::Error) -> Self {
        IndicatorError::Store(StoreError::from(e))
    }
}

impl From<IndicatorError> for StoreError {
    fn from(e: IndicatorError) -> Self {
        match e {
            IndicatorError::Store(s) => s,
            other => StoreError::Invalid(other.to_string()),
        }
    }
}

/// Names the event in a time error raised without knowing it.
pub(crate) fn bad_time(e: IndicatorError, seq: i64) -> IndicatorError {
    match e {
        IndicatorError::BadTime { at, .. } => IndicatorError::BadTime { seq, at },
        other => other,
    }
}

/// The order of events within a student's timeline: time, then seq.
pub(crate) fn event_key(at: &str, seq: i64) -> (&str, i64) {
    (at, seq)
}

/// The Monday (`YYYY-MM-DD`) of the week an RFC 3339 UTC time falls in.
pub(crate) fn week_of(at: &str) -> Result<String, IndicatorError> {
    Ok(monday(date_of(at)?).format("%Y-%m-%d").to_string())
}

pub(crate) fn date_of(at: &str) -> Result<NaiveDate, IndicatorError> {
    at.get(..10)
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .ok_or_else(|| IndicatorError::BadTime { seq: 0, at: at.to_owned() })
}

pub(crate) fn monday(d: NaiveDate) -> NaiveDate {
    d - Duration::days(i64::from(d.weekday().num_days_from_monday()))
}

/// The event sink that keeps the indicators current and feeds the live hub.
pub struct Engine {
    bkt: BktParams,
    hub: Arc<LiveHub>,
    /// Only the writer thread applies events; the lock is never contended.
    bank: std::sync::Mutex<incremental::ItemStandards>,
}

impl Engine {
    pub fn new(bkt: BktParams, hub: Arc<LiveHub>) -> Engine {
        Engine { bkt, hub, bank: std::sync::Mutex::default() }
    }

    pub fn hub(&self) -> &Arc<LiveHub> {
        &self.hub
    }

    /// The incremental update without the JSON round trip (what `in_transaction` does).
    pub fn apply(&self, c: &Connection, events: &[LearningEvent]) -> Result<Vec<LiveEvent>, StoreError> {
        let mut bank = self.bank.lock().unwrap_or_else(|p| p.into_inner());
        incremental::apply(c, &self.bkt, &mut bank, events)
    }
}

impl EventSink for Engine {
    fn in_transaction(&self, c: &Connection, events: &[LearningEvent]) -> Result<Vec<serde_json::Value>, StoreError> {
        let changes = self.apply(c, events)?;
        changes
            .into_iter()
            .map(|e| serde_json::to_value(e).map_err(|e| StoreError::Invalid(format!("live event: {e}"))))
            .collect()
    }

    fn after_commit(&self, _events: &[LearningEvent], changes: Vec<serde_json::Value>) {
        // Values come from `in_transaction` above (or another sink speaking the same kinds);
        // anything that is not a live event is skipped, never fatal.
        self.hub.publish(changes.into_iter().filter_map(|v| serde_json::from_value::<LiveEvent>(v).ok()));
    }
}

/// Recomputes the attendance summaries of these students (after an attendance import, in the
/// import's transaction).
pub fn refresh_attendance(c: &Connection, student_keys: &[String]) -> Result<(), StoreError> {
    for k in student_keys {
        attendance_for(c, k)?;
    }
    Ok(())
}

/// `refresh_attendance` for students named by roster sourcedId (unknown ids are skipped: the import
/// has already refused files that name them).
pub fn refresh_attendance_by_sourced_id<'a>(
    c: &Connection,
    sourced_ids: impl IntoIterator<Item = &'a str>,
) -> Result<(), StoreError> {
    for id in sourced_ids {
        if let Some(k) = crate::store::scope::person_key(c, id)? {
            attendance_for(c, &k)?;
        }
    }
    Ok(())
}

fn attendance_for(c: &Connection, student_key: &str) -> Result<attendance::AttendanceSummary, StoreError> {
    let marks = crate::store::indicators::reads::student_marks(c, student_key)?;
    let summary = attendance::AttendanceSummary::from_days(&attendance::school_days(&marks));
    crate::store::indicators::reads::save_attendance_summary(c, student_key, &summary)?;
    Ok(summary)
}

#[cfg(test)]
mod tests;
