//! The side rows of a statement that the `related_*` filters and StatementRef targeting read
//! (migration 0009): its set of related identifiers, interned, and the statement its object refers
//! to. Written by [`insert_related`], one call per new statement, with statements prepared once
//! per connection.

use std::sync::Arc;

use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};

use crate::store::StoreError;

/// A set of related identifiers as the store interns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelatedSet {
    /// The first 8 bytes of the SHA-256 of `text`, as a signed integer.
    pub id: i64,
    /// Canonical JSON: the sorted `[kind, identifier]` pairs.
    pub text: String,
    /// The sorted, distinct (kind, identifier) pairs; kind is `activity`, `member` or `agent`.
    pub ids: Vec<(&'static str, String)>,
}

impl RelatedSet {
    /// The set of these pairs; `None` when there are none (the statement gets no row).
    pub fn new(mut ids: Vec<(&'static str, String)>) -> Option<RelatedSet> {
        if ids.is_empty() {
            return None;
        }
        ids.sort_unstable();
        ids.dedup();
        let text = serde_json::Value::Array(ids.iter().map(|(kind, value)| serde_json::json!([kind, value])).collect())
            .to_string();
        let digest = Sha256::digest(text.as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        Some(RelatedSet { id: i64::from_le_bytes(first), text, ids })
    }
}

/// What to store beside one new statement.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewRelated {
    pub set: Option<Arc<RelatedSet>>,
    /// Register the set before using it: set on the first statement of a request (or backfill
    /// chunk) that uses it. Any later statement of the same request with this set comes after it
    /// in the same transaction, or after an identical resend whose set was registered when it was
    /// first stored, so every `statement_related` row names a registered set.
    pub register: bool,
    /// The id of the statement the object refers to (a StatementRef, e.g. a voiding statement).
    pub target: Option<String>,
}

/// Stores a new statement's side rows. Typical cost: one append to `statement_related`.
pub fn insert_related(c: &Connection, seq: i64, related: &NewRelated) -> Result<(), StoreError> {
    if let Some(set) = &related.set {
        if related.register {
            register_set(c, set)?;
        }
        c.prepare_cached("INSERT INTO statement_related (seq, set_id) VALUES (?1, ?2)")?
            .execute(params![seq, set.id])?;
    }
    if let Some(target) = &related.target {
        c.prepare_cached("INSERT INTO statement_target (seq, target) VALUES (?1, ?2)")?
            .execute(params![seq, target])?;
    }
    Ok(())
}

/// Adds a set and its identifiers unless it is stored already. Two different sets with the same
/// id (a 64-bit hash collision) refuse the write rather than mix their statements.
fn register_set(c: &Connection, set: &RelatedSet) -> Result<(), StoreError> {
    let added = c
        .prepare_cached("INSERT INTO related_set (id, ids) VALUES (?1, ?2) ON CONFLICT (id) DO NOTHING")?
        .execute(params![set.id, set.text])?;
    if added == 0 {
        let stored: String =
            c.prepare_cached("SELECT ids FROM related_set WHERE id = ?1")?.query_row([set.id], |r| r.get(0))?;
        return if stored == set.text {
            Ok(())
        } else {
            Err(StoreError::Invalid(format!("related_set {}: two identifier sets share one id", set.id)))
        };
    }
    let mut insert = c.prepare_cached("INSERT INTO related_set_id (kind, value, set_id) VALUES (?1, ?2, ?3)")?;
    for (kind, value) in &set.ids {
        insert.execute(params![kind, value, set.id])?;
    }
    Ok(())
}

/// The statements stored before migration 0009 that still lack their side rows: `(done, last)`
/// seq, or `None` when there are none.
pub fn backfill_pending(c: &Connection) -> Result<Option<(i64, i64)>, StoreError> {
    Ok(c.prepare_cached("SELECT done_seq, last_seq FROM related_backfill")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

/// Up to `limit` statements after seq `done` and at most `last`, oldest first: (seq, JSON).
pub fn backfill_chunk(c: &Connection, done: i64, last: i64, limit: usize) -> Result<Vec<(i64, String)>, StoreError> {
    let mut st =
        c.prepare_cached("SELECT seq, json FROM statement WHERE seq > ?1 AND seq <= ?2 ORDER BY seq LIMIT ?3")?;
    let rows = st.query_map(params![done, last, limit as i64], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Records that every statement up to `done` has its rows; the marker goes once `done` reaches
/// the last statement it covers.
pub fn backfill_advance(c: &Connection, done: i64) -> Result<(), StoreError> {
    c.prepare_cached("UPDATE related_backfill SET done_seq = ?1")?.execute([done])?;
    c.prepare_cached("DELETE FROM related_backfill WHERE done_seq >= last_seq")?.execute([])?;
    Ok(())
}
