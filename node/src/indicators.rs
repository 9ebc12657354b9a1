//! Indicators (issue 6): mastery by Bayesian knowledge tracing, recent accuracy and trend,
//! participation in live sessions, attendance, and item statistics — kept up to date as events
//! commit by the [`Engine`] (on its own thread in a running node: [`IndicatorWorker`]), recomputed
//! from scratch by [`rebuild`], and read for the rules by [`student_facts`]. Definitions and
//! formulas: docs/INDICATORS.md.
//!
//! Event order: every order-dependent indicator (BKT mastery, a student's first answer to an item)
//! is defined over a student's answers sorted by event time, ties broken by storage seq. Both the
//! incremental path and the rebuild follow that order, whatever order events arrive in.

pub mod attendance;
pub mod bkt;
pub mod bkt_fit;
mod engine;
mod facts;
pub mod item_stats;
mod rebuild;
pub mod sessions;
pub mod views;

use chrono::{Datelike, Duration, NaiveDate};
use rusqlite::Connection;

use crate::store::StoreError;

pub use engine::{Engine, IndicatorWorker};
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
    let d = monday(date_of(at)?);
    Ok(format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day()))
}

pub(crate) fn date_of(at: &str) -> Result<NaiveDate, IndicatorError> {
    // `YYYY-MM-DD` read by hand: this runs for every answer, and chrono's format parser is slow.
    let b = at.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b.get(r)?.iter().try_fold(0u32, |n, &d| d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0')))
    };
    let date = match (num(0..4), b.get(4), num(5..7), b.get(7), num(8..10)) {
        (Some(y), Some(b'-'), Some(m), Some(b'-'), Some(d)) => NaiveDate::from_ymd_opt(y as i32, m, d),
        _ => None,
    };
    date.ok_or_else(|| IndicatorError::BadTime { seq: 0, at: at.to_owned() })
}

pub(crate) fn monday(d: NaiveDate) -> NaiveDate {
    d - Duration::days(i64::from(d.weekday().num_days_from_monday()))
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
