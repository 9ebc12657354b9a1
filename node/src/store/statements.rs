//! SQL for the xAPI statements resource: storing statements and their learning events, voiding,
//! the `unmatched` counters, the roster lookups the ingest path caches; the side rows the
//! `related_*` filters read ([`related`]) and the list query of `GET /xapi/statements` ([`list`]).
//! Hot statements are prepared once per connection (`prepare_cached`).

mod list;
mod related;

use rusqlite::{params, Connection, OptionalExtension};

use super::StoreError;
use crate::events::LearningEvent;
pub use list::{first_seq_stored_after, list_statements, ActivityFilter, AgentFilter, ListFilter, ListedStatement};
pub use related::{backfill_advance, backfill_chunk, backfill_pending, insert_related, NewRelated, RelatedSet};

/// One statement row to insert; `json` is the finalized statement text.
#[derive(Debug, Clone, Copy)]
pub struct NewStatement<'a> {
    pub id: &'a str,
    /// RFC 3339 UTC with six fraction digits (text order is time order).
    pub stored: &'a str,
    /// When it happened (the statement's `timestamp`), RFC 3339 UTC.
    pub timestamp: &'a str,
    pub source_id: i64,
    /// The actor's IFI key; empty for an anonymous Group.
    pub actor: &'a str,
    pub verb: &'a str,
    pub object: Option<&'a str>,
    pub registration: Option<&'a str>,
    pub voids: Option<&'a str>,
    pub voided: bool,
    pub json: &'a str,
}

/// Inserts a statement; `None` when a statement with this id is already stored (nothing written).
pub fn insert_statement(c: &Connection, s: &NewStatement<'_>) -> Result<Option<i64>, StoreError> {
    let changed = c
        .prepare_cached(
            "INSERT INTO statement (id, stored, timestamp, source_id, actor, verb, object, registration, voids, voided, json)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) ON CONFLICT (id) DO NOTHING",
        )?
        .execute(params![
            s.id,
            s.stored,
            s.timestamp,
            s.source_id,
            s.actor,
            s.verb,
            s.object,
            s.registration,
            s.voids,
            s.voided,
            s.json
        ])?;
    Ok((changed == 1).then(|| c.last_insert_rowid()))
}

/// A stored statement as the ingest path and single-statement reads need it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredStatement {
    pub seq: i64,
    pub stored: String,
    /// The statement it voids, when it is a voiding statement.
    pub voids: Option<String>,
    pub voided: bool,
    pub json: String,
}

/// The statement with this id, voided or not.
pub fn statement_by_id(c: &Connection, id: &str) -> Result<Option<StoredStatement>, StoreError> {
    Ok(c.prepare_cached("SELECT seq, stored, voids, voided, json FROM statement WHERE id = ?1")?
        .query_row([id], |r| {
            Ok(StoredStatement {
                seq: r.get(0)?,
                stored: r.get(1)?,
                voids: r.get(2)?,
                voided: r.get(3)?,
                json: r.get(4)?,
            })
        })
        .optional()?)
}

/// Whether a stored voiding statement names `id` as its target.
pub fn is_void_target(c: &Connection, id: &str) -> Result<bool, StoreError> {
    Ok(c.prepare_cached("SELECT 1 FROM statement WHERE voids = ?1 LIMIT 1")?.exists([id])?)
}

/// Marks a statement voided and removes its learning event (a voided statement no longer counts).
pub fn void_statement(c: &Connection, seq: i64) -> Result<(), StoreError> {
    c.prepare_cached("UPDATE statement SET voided = 1 WHERE seq = ?1")?.execute([seq])?;
    c.prepare_cached("DELETE FROM learning_event WHERE seq = ?1")?.execute([seq])?;
    Ok(())
}

pub fn insert_learning_event(c: &Connection, e: &LearningEvent) -> Result<(), StoreError> {
    c.prepare_cached(
        "INSERT INTO learning_event (seq, student_key, at, verb, item_id, class_id, session_id, quiz_id, correct,
                                     response, score, duration_s)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?
    .execute(params![
        e.seq,
        e.student_key,
        e.at,
        e.verb,
        e.item_id,
        e.class_id,
        e.session_id,
        e.quiz_id,
        e.correct,
        e.response,
        e.score,
        e.duration_s
    ])?;
    Ok(())
}

/// Adds `count` sightings of an unmatched actor, activity or class.
pub fn count_unmatched(c: &Connection, kind: &str, value: &str, count: i64, now: &str) -> Result<(), StoreError> {
    c.prepare_cached(
        "INSERT INTO unmatched (kind, value, count, first_seen, last_seen) VALUES (?1, ?2, ?3, ?4, ?4)
         ON CONFLICT (kind, value) DO UPDATE SET count = count + excluded.count, last_seen = excluded.last_seen",
    )?
    .execute(params![kind, value, count, now])?;
    Ok(())
}

/// One row of `unmatched`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct UnmatchedRow {
    pub kind: String,
    pub value: String,
    pub count: i64,
    pub first_seen: String,
    pub last_seen: String,
}

/// Every unmatched value, most seen first.
pub fn list_unmatched(c: &Connection) -> Result<Vec<UnmatchedRow>, StoreError> {
    let mut st =
        c.prepare("SELECT kind, value, count, first_seen, last_seen FROM unmatched ORDER BY count DESC, kind, value")?;
    let rows = st
        .query_map([], |r| {
            Ok(UnmatchedRow {
                kind: r.get(0)?,
                value: r.get(1)?,
                count: r.get(2)?,
                first_seen: r.get(3)?,
                last_seen: r.get(4)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// The `stored` of the statement stored last, if any.
pub fn last_stored(c: &Connection) -> Result<Option<String>, StoreError> {
    Ok(c.prepare_cached("SELECT stored FROM statement ORDER BY seq DESC LIMIT 1")?
        .query_row([], |r| r.get(0))
        .optional()?)
}

/// A marker that changes whenever the roster, classes or item bank may have changed: the newest
/// import run and the newest person, class and item rows.
pub fn roster_generation(c: &Connection) -> Result<[i64; 4], StoreError> {
    Ok(c.prepare_cached(
        "SELECT (SELECT coalesce(max(id), 0) FROM import_run), (SELECT coalesce(max(rowid), 0) FROM person),
                (SELECT coalesce(max(rowid), 0) FROM class), (SELECT coalesce(max(rowid), 0) FROM item)",
    )?
    .query_row([], |r| Ok([r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?]))?)
}

/// What statements are matched against: rostered students (sourcedId, pseudonymous key, email),
/// classes, and items with their quiz.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RosterRows {
    pub students: Vec<(String, String, Option<String>)>,
    pub classes: Vec<String>,
    pub items: Vec<(String, String)>,
}

pub fn roster_rows(c: &Connection) -> Result<RosterRows, StoreError> {
    let mut out = RosterRows::default();
    let mut st = c.prepare(
        "SELECT p.sourced_id, p.pkey, p.email FROM person p
          WHERE EXISTS (SELECT 1 FROM person_role r WHERE r.pkey = p.pkey AND r.role = 'student')",
    )?;
    out.students = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect::<Result<_, _>>()?;
    let mut st = c.prepare("SELECT sourced_id FROM class")?;
    out.classes = st.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
    let mut st = c.prepare("SELECT item_id, activity_id FROM item")?;
    out.items = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
    Ok(out)
}

/// Number of stored statements (voided included).
pub fn count_statements(c: &Connection) -> Result<i64, StoreError> {
    Ok(c.query_row("SELECT count(*) FROM statement", [], |r| r.get(0))?)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests;
