//! The access log as the privacy officer sees it: recording who read which student's record, and
//! verifying the hash chain end to end (`lantern node audit verify`).

use serde::Serialize;

use crate::store::access_log::{self, entry_hash, Entry, NewEntry, GENESIS};
use crate::store::{Store, StoreError};

/// Result of walking the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    pub entries: u64,
    pub ok: bool,
    /// The first broken link, in words, naming the entry's sequence number.
    pub problem: Option<String>,
    pub last_hash: String,
}

/// Checks every entry: sequence numbers consecutive from 1, each `prev_hash` equal to the previous
/// entry's hash, and each hash recomputed from the fields.
pub fn verify(store: &Store) -> Result<VerifyReport, StoreError> {
    store.read_blocking(|c| {
        let mut expected_seq = 1i64;
        let mut prev = GENESIS.to_string();
        let mut problem: Option<String> = None;
        let mut entries = 0u64;
        access_log::for_each(c, |e: Entry| {
            entries += 1;
            if problem.is_some() {
                return;
            }
            if e.seq != expected_seq {
                problem =
                    Some(format!("entry {}: expected sequence number {expected_seq} (an entry is missing)", e.seq));
            } else if e.prev_hash != prev {
                problem = Some(format!("entry {}: does not link to the entry before it", e.seq));
            } else {
                let fields = NewEntry {
                    at: e.at.clone(),
                    account_id: e.account_id,
                    role: e.role.clone(),
                    action: e.action.clone(),
                    subject: e.subject.clone(),
                    detail: e.detail.clone(),
                };
                if entry_hash(&prev, e.seq, &fields) != e.hash {
                    problem = Some(format!("entry {}: contents do not match its hash (edited)", e.seq));
                }
            }
            prev = e.hash;
            expected_seq += 1;
        })?;
        Ok(VerifyReport { entries, ok: problem.is_none(), problem, last_hash: prev })
    })
}

/// Appends entries through the writer, returning once they are durable.
pub async fn record(store: &Store, entries: Vec<NewEntry>) -> Result<(), StoreError> {
    if entries.is_empty() {
        return Ok(());
    }
    store.write(move |c| access_log::append(c, &entries)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::Connection;

    fn entry(i: usize) -> NewEntry {
        NewEntry {
            at: format!("2026-09-01T08:00:{i:02}Z"),
            account_id: Some(1),
            role: Some("teacher".into()),
            action: "read_student".into(),
            subject: Some(format!("p_{i:016x}")),
            detail: Some("/api/v1/students/{key}".into()),
        }
    }

    #[tokio::test]
    async fn intact_chain_verifies_and_edits_are_detected() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::open_temp(dir.path()).unwrap();
        record(&store, (0..5).map(entry).collect()).await.unwrap();
        record(&store, (5..8).map(entry).collect()).await.unwrap();
        let r = verify(&store).unwrap();
        assert!(r.ok, "{r:?}");
        assert_eq!(r.entries, 8);

        // The triggers refuse edits through SQL...
        let err = store
            .write(|c| Ok::<_, StoreError>(c.execute("UPDATE access_log SET subject = 'x' WHERE seq = 3", [])?))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("append-only"), "{err}");
        assert!(verify(&store).unwrap().ok, "a refused edit changes nothing");
        store.shutdown();

        // ...and an edit made around them (dropping the trigger with a raw tool) breaks the chain.
        let path = dir.path().join("node.db");
        let raw = Connection::open(&path).unwrap();
        raw.execute_batch(
            "DROP TRIGGER access_log_append_only_update; UPDATE access_log SET subject = 'p_forged' WHERE seq = 3;",
        )
        .unwrap();
        drop(raw);
        let store = crate::store::open_temp(dir.path()).unwrap();
        let r = verify(&store).unwrap();
        assert!(!r.ok);
        assert_eq!(r.problem.as_deref(), Some("entry 3: contents do not match its hash (edited)"));
    }

    #[tokio::test]
    async fn deleted_entry_is_detected() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::open_temp(dir.path()).unwrap();
        record(&store, (0..4).map(entry).collect()).await.unwrap();
        store.shutdown();
        let raw = Connection::open(dir.path().join("node.db")).unwrap();
        raw.execute_batch("DROP TRIGGER access_log_append_only_delete; DELETE FROM access_log WHERE seq = 2;").unwrap();
        drop(raw);
        let store = crate::store::open_temp(dir.path()).unwrap();
        let r = verify(&store).unwrap();
        assert_eq!(r.problem.as_deref(), Some("entry 3: expected sequence number 2 (an entry is missing)"));
    }
}
