//! SQL for the append-only, hash-chained access log. Triggers in the schema refuse UPDATE and
//! DELETE; the chain makes any edit done around them (e.g. with a raw SQLite tool) detectable.

use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};

use super::StoreError;

/// The hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One entry to append (seq, prev_hash and hash are filled in here).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEntry {
    pub at: String,
    pub account_id: Option<i64>,
    pub role: Option<String>,
    pub action: String,
    pub subject: Option<String>,
    pub detail: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Entry {
    pub seq: i64,
    pub at: String,
    pub account_id: Option<i64>,
    pub role: Option<String>,
    pub action: String,
    pub subject: Option<String>,
    pub detail: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

/// The chained hash of an entry: SHA-256 over the previous hash and the fields, JSON-encoded so
/// field boundaries are unambiguous.
pub fn entry_hash(prev_hash: &str, seq: i64, e: &NewEntry) -> String {
    let fields = serde_json::json!([prev_hash, seq, e.at, e.account_id, e.role, e.action, e.subject, e.detail]);
    hex::encode(Sha256::digest(fields.to_string().as_bytes()))
}

/// Appends entries in order, continuing the chain. Runs inside the writer's transaction.
pub fn append(c: &Connection, entries: &[NewEntry]) -> Result<(), StoreError> {
    let last: Option<(i64, String)> = c
        .query_row("SELECT seq, hash FROM access_log ORDER BY seq DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let (mut seq, mut prev) = last.unwrap_or((0, GENESIS.to_string()));
    let mut st = c.prepare_cached(
        "INSERT INTO access_log(seq, at, account_id, role, action, subject, detail, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    for e in entries {
        seq += 1;
        let hash = entry_hash(&prev, seq, e);
        st.execute(params![seq, e.at, e.account_id, e.role, e.action, e.subject, e.detail, prev, hash])?;
        prev = hash;
    }
    Ok(())
}

/// Calls `f` for every entry in order (streaming: the log can be large).
pub fn for_each(c: &Connection, mut f: impl FnMut(Entry)) -> Result<(), StoreError> {
    let mut st = c.prepare(
        "SELECT seq, at, account_id, role, action, subject, detail, prev_hash, hash FROM access_log ORDER BY seq",
    )?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        f(Entry {
            seq: r.get(0)?,
            at: r.get(1)?,
            account_id: r.get(2)?,
            role: r.get(3)?,
            action: r.get(4)?,
            subject: r.get(5)?,
            detail: r.get(6)?,
            prev_hash: r.get(7)?,
            hash: r.get(8)?,
        });
    }
    Ok(())
}

/// The most recent entries, newest first, optionally about one subject.
pub fn recent(c: &Connection, subject: Option<&str>, limit: i64) -> Result<Vec<Entry>, StoreError> {
    let mut st = c.prepare(
        "SELECT seq, at, account_id, role, action, subject, detail, prev_hash, hash FROM access_log
         WHERE (?1 IS NULL OR subject = ?1) ORDER BY seq DESC LIMIT ?2",
    )?;
    let rows = st
        .query_map(params![subject, limit], |r| {
            Ok(Entry {
                seq: r.get(0)?,
                at: r.get(1)?,
                account_id: r.get(2)?,
                role: r.get(3)?,
                action: r.get(4)?,
                subject: r.get(5)?,
                detail: r.get(6)?,
                prev_hash: r.get(7)?,
                hash: r.get(8)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}
