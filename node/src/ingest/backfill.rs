//! Side rows for statements stored before migration 0009: each is parsed again from its stored
//! JSON with the same code the ingest path uses, in chunks of one writer job each, before the
//! node serves queries.

use std::collections::HashMap;

use rusqlite::Connection;

use super::prepare::related_rows;
use crate::store::statements as sql;
use crate::store::{Store, StoreError};
use crate::xapi::parse_statements;

/// Statements per writer job.
const CHUNK: usize = 2_000;

/// What a backfill did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BackfillReport {
    /// Statements given their side rows.
    pub statements: u64,
    /// Stored statements that no longer parse (none should): left without side rows, so the
    /// `related_*` filters match them by their own columns only.
    pub unreadable: u64,
}

/// Gives every statement stored before migration 0009 its side rows; a no-op once done (and on
/// a database that had no statements then). Safe to interrupt: each chunk commits with its
/// progress marker.
pub fn backfill_related(store: &Store) -> Result<BackfillReport, StoreError> {
    let mut report = BackfillReport::default();
    loop {
        let (done, chunk) = store.write_blocking(backfill_chunk)?;
        report.statements += chunk.statements;
        report.unreadable += chunk.unreadable;
        if done {
            if report.statements > 0 {
                tracing::info!(
                    statements = report.statements,
                    unreadable = report.unreadable,
                    "related rows backfilled"
                );
            }
            return Ok(report);
        }
    }
}

/// One chunk inside a writer job: `(finished, what it did)`.
fn backfill_chunk(c: &Connection) -> Result<(bool, BackfillReport), StoreError> {
    let Some((done, last)) = sql::backfill_pending(c)? else {
        return Ok((true, BackfillReport::default()));
    };
    let rows = sql::backfill_chunk(c, done, last, CHUNK)?;
    let mut report = BackfillReport::default();
    let mut sets = HashMap::new();
    let mut reached = last;
    for (seq, json) in &rows {
        match parse_statements(json.as_bytes()).ok().and_then(|mut parsed| parsed.pop()) {
            Some(statement) => {
                sql::insert_related(c, *seq, &related_rows(&statement, &mut sets))?;
                report.statements += 1;
            }
            None => report.unreadable += 1,
        }
        reached = *seq;
    }
    if rows.len() < CHUNK {
        reached = last;
    }
    sql::backfill_advance(c, reached)?;
    Ok((reached >= last, report))
}
