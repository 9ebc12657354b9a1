//! Live ingest of xAPI statements: a validated batch ([`crate::xapi::parse_statements`]) is mapped
//! to the roster ([`prepare`], on the request path, no SQL), then stored in one writer job
//! ([`IngestState::store`]): statements, voiding, learning events, `unmatched` counters and the
//! event sink's derived state commit together or not at all, and the caller hears back only after
//! the commit. Reads of the statements resource live in [`retrieve`].
//!
//! Invariants: `stored` strictly increases with the statement's `seq` (it is assigned inside the
//! writer), so "everything stored up to the last committed `stored`" is a true consistency bound;
//! a batch is atomic (one refused statement leaves nothing behind); `learning_event` holds only
//! pseudonymous keys.

mod backfill;
mod prepare;
pub mod retrieve;
mod roster_index;

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::Connection;
use serde_json::Value;
use uuid::Uuid;

use crate::events::{EventSink, LearningEvent};
use crate::store::statements::{self as sql, NewStatement};
use crate::store::{Store, StoreError};
use crate::xapi::{same_content, XapiError};
pub use backfill::backfill_related;
pub use prepare::{prepare, Prepared};
pub use roster_index::{mbox_sha1sum, unmatched_actor_value, ActorMatch, RosterIndex};

/// Why a batch was refused. Nothing of the batch was stored.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// Invalid statement or parameter (400), or a conflicting statement id (409).
    #[error(transparent)]
    Xapi(#[from] XapiError),
    #[error("{at}: the data source {source_name:?} may not report on class {class:?}")]
    ClassNotServed { at: String, source_name: String, class: String },
    #[error("{at}: the data source {source_name:?} reports on specific classes, and this statement names none")]
    NoClass { at: String, source_name: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a stored batch did.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    /// Every statement id of the batch, in order (new and already stored alike).
    pub ids: Vec<Uuid>,
    /// How many were new (the rest were identical resends).
    pub new: usize,
    /// The learning events stored (handed over, and so empty here, when there is an event sink).
    pub events: Vec<LearningEvent>,
}

/// Ingest state shared by all requests: the roster snapshot and the `stored` clock.
#[derive(Debug)]
pub struct IngestState {
    home_page: String,
    roster: Mutex<Arc<RosterIndex>>,
    /// Microseconds since the epoch of the last `stored` handed out (0: not read yet).
    last_stored_us: AtomicI64,
}

/// The `homePage` of the authority Agent that stands for a data source.
pub const SOURCE_AUTHORITY_HOME_PAGE: &str = "urn:lantern:data-source";

/// Who a data source's statements are recorded as coming from (`authority`).
pub fn source_authority(source_name: &str) -> Value {
    serde_json::json!({"objectType": "Agent", "account": {"homePage": SOURCE_AUTHORITY_HOME_PAGE, "name": source_name}})
}

/// `stored` as the `statement.stored` column holds it: RFC 3339 UTC, six fraction digits.
pub fn stored_text(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

impl IngestState {
    /// `account_home_page`: the SIS home page of xAPI account actors (`xapi.account_home_page`).
    pub fn new(account_home_page: &str) -> IngestState {
        IngestState {
            home_page: account_home_page.to_string(),
            roster: Mutex::new(Arc::new(RosterIndex::default())),
            last_stored_us: AtomicI64::new(0),
        }
    }

    /// The roster snapshot, reloaded on `c` (a reader) when the roster changed since.
    pub fn roster(&self, c: &Connection) -> Result<Arc<RosterIndex>, StoreError> {
        let generation = sql::roster_generation(c)?;
        let current = self.roster.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if current.generation == generation && generation != [0; 4] {
            return Ok(current);
        }
        let fresh = Arc::new(RosterIndex::new(generation, sql::roster_rows(c)?, &self.home_page));
        *self.roster.lock().unwrap_or_else(|p| p.into_inner()) = fresh.clone();
        Ok(fresh)
    }

    /// Stores a prepared batch in one writer job and returns once it committed. The sink (if any)
    /// updates derived state inside the job and hears about the events after the commit.
    pub async fn store(
        self: &Arc<Self>,
        store: &Store,
        batch: Vec<Prepared>,
        source_id: i64,
        authority: Value,
        now: DateTime<Utc>,
        sink: Option<Arc<dyn EventSink>>,
    ) -> Result<Stored, IngestError> {
        let state = self.clone();
        let job_sink = sink.clone();
        // The sink hears about committed events on the writer thread, in commit (= seq) order.
        let committed = move |(stored, changes): &mut (Stored, Vec<Value>)| {
            if let Some(sink) = sink {
                if !stored.events.is_empty() || !changes.is_empty() {
                    sink.after_commit(std::mem::take(&mut stored.events), std::mem::take(changes));
                }
            }
        };
        let (stored, _) = store
            .write_then(
                move |c| state.write_batch(c, batch, source_id, &authority, now, job_sink.as_deref()),
                committed,
            )
            .await?;
        Ok(stored)
    }

    /// The next `stored`: now, or one microsecond after the last one if the clock has not moved on.
    fn next_stored(&self, c: &Connection, now: DateTime<Utc>) -> Result<DateTime<Utc>, StoreError> {
        let mut last = self.last_stored_us.load(Ordering::Relaxed);
        if last == 0 {
            last = sql::last_stored(c)?
                .and_then(|text| DateTime::parse_from_rfc3339(&text).ok())
                .map_or(0, |t| t.with_timezone(&Utc).timestamp_micros());
        }
        let next = now.timestamp_micros().max(last + 1);
        self.last_stored_us.store(next, Ordering::Relaxed);
        Ok(DateTime::from_timestamp_micros(next).unwrap_or(now))
    }

    /// The writer job: runs inside the writer's transaction (savepoint), so any error leaves
    /// nothing of the batch behind.
    fn write_batch(
        &self,
        c: &Connection,
        batch: Vec<Prepared>,
        source_id: i64,
        authority: &Value,
        now: DateTime<Utc>,
        sink: Option<&dyn EventSink>,
    ) -> Result<(Stored, Vec<Value>), IngestError> {
        let mut ids = Vec::with_capacity(batch.len());
        let mut events = Vec::new();
        let mut unmatched: HashMap<(&'static str, String), i64> = HashMap::new();
        let mut new = 0;
        let seen_at = crate::auth::ts(now);
        let authority = crate::xapi::Authority::new(authority);
        for mut p in batch {
            let at = std::mem::take(&mut p.at);
            let id_text = p.id.to_string();
            ids.push(p.id);
            if let Some(target) = p.voids {
                void_target(c, &target.to_string(), &at)?;
            }
            let stored = self.next_stored(c, now)?;
            let timestamp_added = p.statement.timestamp().is_none();
            p.statement.finalize_with(p.id, stored, &authority);
            let timestamp = crate::auth::ts(p.statement.timestamp().unwrap_or(stored));
            let voided = p.voids.is_none() && sql::is_void_target(c, &id_text)?;
            let row = NewStatement {
                id: &id_text,
                stored: &stored_text(stored),
                timestamp: &timestamp,
                source_id,
                actor: &p.actor,
                verb: p.statement.verb_id(),
                object: p.object.as_deref(),
                registration: p.registration.as_deref(),
                voids: p.voids_text.as_deref(),
                voided,
                json: p.statement.json_text(),
            };
            let Some(seq) = sql::insert_statement(c, &row)? else {
                check_same_content(c, &id_text, &p.statement, timestamp_added, &at)?;
                continue;
            };
            new += 1;
            sql::insert_related(c, seq, &p.related)?;
            for (kind, value) in p.unmatched.drain(..) {
                *unmatched.entry((kind, value)).or_default() += 1;
            }
            if let (Some(draft), false) = (p.event.take(), voided) {
                let event = draft.into_event(seq, timestamp.clone());
                sql::insert_learning_event(c, &event)?;
                events.push(event);
            }
        }
        for ((kind, value), count) in &unmatched {
            sql::count_unmatched(c, kind, value, *count, &seen_at)?;
        }
        let changes = match sink {
            Some(sink) if !events.is_empty() => sink.in_transaction(c, &events)?,
            _ => Vec::new(),
        };
        Ok((Stored { ids, new, events }, changes))
    }
}

/// Voiding (Part 2 §2.3.2): a voiding statement may not target another voiding statement; a
/// stored target is marked voided now, a missing one when it arrives.
fn void_target(c: &Connection, target: &str, at: &str) -> Result<(), IngestError> {
    match sql::statement_by_id(c, target)? {
        Some(t) if t.voids.is_some() => Err(XapiError::bad_request(format!(
            "{at}.object: statement {target} is itself a voiding statement, and voiding statements cannot be voided"
        ))
        .into()),
        Some(t) if !t.voided => Ok(sql::void_statement(c, t.seq)?),
        _ => Ok(()),
    }
}

/// An id already stored: an identical resend is accepted (nothing written), anything else is 409.
fn check_same_content(
    c: &Connection,
    id: &str,
    incoming: &crate::xapi::Statement,
    timestamp_added: bool,
    at: &str,
) -> Result<(), IngestError> {
    let conflict = || XapiError::conflict(format!("{at}.id: a different statement with id {id} is already stored"));
    let existing = sql::statement_by_id(c, id)?.ok_or_else(conflict)?;
    let existing: Value = serde_json::from_str(&existing.json).map_err(|_| conflict())?;
    let mut incoming = incoming.to_json();
    if timestamp_added {
        if let Value::Object(map) = &mut incoming {
            map.remove("timestamp");
        }
    }
    if same_content(&existing, &incoming) {
        Ok(())
    } else {
        Err(conflict().into())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests;
