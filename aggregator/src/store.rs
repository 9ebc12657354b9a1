//! The aggregator's storage: one SQLite database in WAL mode with embedded migrations. A single
//! connection behind a mutex is enough here (a district has tens of nodes sending monthly); every
//! call runs on a blocking thread. All SQL of the aggregator lives in this file.

use std::collections::HashMap;
use std::ops::{Deref, DerefMut};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use lantern_policies::dp::{CellKey, CellValue};
use lantern_policies::envelope::Release;
use rusqlite::{params, Connection, OptionalExtension};

use crate::config::Synchronous;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("cannot open database {path}: {reason}")]
    Open { path: String, reason: rusqlite::Error },
    #[error("migration {version} failed: {reason}")]
    Migration { version: u32, reason: rusqlite::Error },
    #[error("database schema version {0} is newer than this binary supports")]
    NewerSchema(u32),
    #[error("stored cells of release {release_id} are unreadable: {reason}")]
    Corrupt { release_id: String, reason: String },
}

/// Every migration, oldest first. Append only.
const MIGRATIONS: &[(u32, &str)] = &[(1, include_str!("store/migrations/0001_releases.sql"))];

/// Handle to the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    db: Arc<Mutex<Db>>,
}

/// The connection and the ids of the partition key lists already stored (they repeat in every
/// release, so each release stores only its values).
pub struct Db {
    conn: Connection,
    key_ids: HashMap<Vec<CellKey>, i64>,
}

impl Deref for Db {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.conn
    }
}

impl DerefMut for Db {
    fn deref_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }
}

/// What the store knows about a node's last accepted release.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRelease {
    pub release_id: String,
    pub node_id: String,
    pub sequence: u64,
    pub period: String,
    pub budget_year: i32,
    pub rho: f64,
    pub cells: u64,
    pub received_at: String,
}

/// One partition of one stored release, as read back for estimates.
#[derive(Debug, Clone)]
pub struct StoredPartition {
    pub node_id: String,
    pub period: String,
    pub per: Option<String>,
    pub subgroup: Option<String>,
    /// Shared by every release with the same key list.
    pub keys: Arc<Vec<CellKey>>,
    pub values: Vec<CellValue>,
    pub sigmas: Vec<f64>,
}

impl StoredPartition {
    /// (key, value, σ) of every cell, in release order.
    pub fn cells(&self) -> impl Iterator<Item = (&CellKey, CellValue, f64)> {
        self.keys.iter().zip(&self.values).zip(&self.sigmas).map(|((k, v), s)| (k, *v, *s))
    }
}

impl Store {
    /// Opens (creating if needed) the database and applies migrations.
    pub fn open(path: &Path, synchronous: Synchronous) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Open {
                path: path.display().to_string(),
                reason: rusqlite::Error::InvalidPath(format!("{}: {e}", dir.display()).into()),
            })?;
        }
        let mut conn =
            Connection::open(path).map_err(|reason| StoreError::Open { path: path.display().to_string(), reason })?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        let sync = match synchronous {
            Synchronous::Full => "FULL",
            Synchronous::Normal => "NORMAL",
        };
        conn.pragma_update(None, "synchronous", sync)?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        migrate(&mut conn)?;
        Ok(Store { db: Arc::new(Mutex::new(Db { conn, key_ids: HashMap::new() })) })
    }

    /// The database; a poisoned lock is still a consistent database (every write is one
    /// transaction), so it is used as is.
    pub fn lock(&self) -> MutexGuard<'_, Db> {
        self.db.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let current: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let latest = MIGRATIONS.last().map_or(0, |m| m.0);
    if current > latest {
        return Err(StoreError::NewerSchema(current));
    }
    for (version, sql) in MIGRATIONS.iter().filter(|m| m.0 > current) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql).map_err(|reason| StoreError::Migration { version: *version, reason })?;
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
    }
    Ok(())
}

/// The release with this id, if accepted before.
pub fn release_by_id(conn: &Connection, release_id: &str) -> Result<Option<StoredRelease>, StoreError> {
    Ok(conn
        .query_row(
            "SELECT release_id, node_id, sequence, period, budget_year, rho, cells, received_at
               FROM release WHERE release_id = ?1",
            [release_id],
            stored_release,
        )
        .optional()?)
}

fn stored_release(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredRelease> {
    Ok(StoredRelease {
        release_id: r.get(0)?,
        node_id: r.get(1)?,
        sequence: r.get::<_, i64>(2)? as u64,
        period: r.get(3)?,
        budget_year: r.get(4)?,
        rho: r.get(5)?,
        cells: r.get::<_, i64>(6)? as u64,
        received_at: r.get(7)?,
    })
}

/// The highest sequence accepted from `node_id`, if any.
pub fn last_sequence(conn: &Connection, node_id: &str) -> Result<Option<u64>, StoreError> {
    let v: Option<i64> =
        conn.query_row("SELECT max(sequence) FROM release WHERE node_id = ?1", [node_id], |r| r.get(0))?;
    Ok(v.map(|v| v as u64))
}

/// The node's spends in a budget year: (period, ρ) per accepted release.
pub fn node_spends(conn: &Connection, node_id: &str, budget_year: i32) -> Result<Vec<(String, f64)>, StoreError> {
    let mut st = conn.prepare_cached("SELECT period, rho FROM release WHERE node_id = ?1 AND budget_year = ?2")?;
    let rows = st.query_map(params![node_id, budget_year], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Stores an accepted release and its partitions in one transaction.
pub fn insert_release(db: &mut Db, release: &Release, received_at: &str) -> Result<(), StoreError> {
    let Db { conn, key_ids } = db;
    let tx = conn.transaction()?;
    tx.execute(
        "INSERT INTO release (release_id, node_id, sequence, period, period_start, period_end, budget_year,
                              policy_hash, rho, cells, created_at, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        params![
            release.release_id.to_string(),
            release.node_id.as_str(),
            release.sequence as i64,
            release.period.label,
            release.period.start.to_string(),
            release.period.end.to_string(),
            release.period.budget_year,
            release.policy_hash.0,
            release.rho_spent,
            release.cell_count() as i64,
            release.created_at.to_rfc3339(),
            received_at,
        ],
    )?;
    let id = release.release_id.to_string();
    let corrupt = |e: serde_json::Error| StoreError::Corrupt { release_id: id.clone(), reason: e.to_string() };
    let mut new_keys = Vec::new();
    {
        let mut st = tx.prepare_cached(
            "INSERT INTO release_partition (release_id, table_id, position, per, subgroup, keys_id, sigma, sigmas, vals)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        for table in &release.tables {
            for (i, p) in table.partitions.iter().enumerate() {
                let keys: Vec<CellKey> = p.cells.iter().map(|c| c.key.clone()).collect();
                let keys_id = match key_ids.get(&keys) {
                    Some(k) => *k,
                    None => {
                        let text = serde_json::to_string(&keys).map_err(corrupt)?;
                        tx.execute("INSERT OR IGNORE INTO partition_keys (keys) VALUES (?1)", [&text])?;
                        let k: i64 =
                            tx.query_row("SELECT keys_id FROM partition_keys WHERE keys = ?1", [&text], |r| r.get(0))?;
                        new_keys.push((keys, k));
                        k
                    }
                };
                let values: Vec<Option<i64>> = p.cells.iter().map(|c| c.value.noisy()).collect();
                let first = p.cells.first().map_or(0.0, |c| c.sigma);
                let (sigma, sigmas) = if p.cells.iter().all(|c| c.sigma == first) {
                    (Some(first), None)
                } else {
                    let all: Vec<f64> = p.cells.iter().map(|c| c.sigma).collect();
                    (None, Some(serde_json::to_string(&all).map_err(corrupt)?))
                };
                let vals = serde_json::to_string(&values).map_err(corrupt)?;
                st.execute(params![id, table.id, i as i64, p.per, p.subgroup, keys_id, sigma, sigmas, vals])?;
            }
        }
    }
    tx.commit()?;
    // Only after the commit: a rolled-back key row must not be remembered.
    key_ids.extend(new_keys);
    Ok(())
}

/// Every accepted release, newest first.
pub fn releases(conn: &Connection) -> Result<Vec<StoredRelease>, StoreError> {
    let mut st = conn.prepare(
        "SELECT release_id, node_id, sequence, period, budget_year, rho, cells, received_at
           FROM release ORDER BY received_at DESC, node_id, sequence DESC",
    )?;
    let rows = st.query_map([], stored_release)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Spend of one node in one period.
#[derive(Debug, Clone, PartialEq)]
pub struct PeriodSpend {
    pub node_id: String,
    pub period: String,
    pub budget_year: i32,
    pub releases: u64,
    pub rho: f64,
}

/// Spend per node and period, ordered by node, year, period.
pub fn ledger(conn: &Connection) -> Result<Vec<PeriodSpend>, StoreError> {
    let mut st = conn.prepare(
        "SELECT node_id, period, budget_year, count(*), sum(rho) FROM release
          GROUP BY node_id, period, budget_year ORDER BY node_id, budget_year, period",
    )?;
    let rows = st.query_map([], |r| {
        Ok(PeriodSpend {
            node_id: r.get(0)?,
            period: r.get(1)?,
            budget_year: r.get(2)?,
            releases: r.get::<_, i64>(3)? as u64,
            rho: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The periods with at least one release, oldest first.
pub fn periods(conn: &Connection) -> Result<Vec<String>, StoreError> {
    let mut st = conn.prepare("SELECT DISTINCT period FROM release ORDER BY period_start, period")?;
    let rows = st.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Every stored partition of `table_id`, in `period` (or every period when `None`).
pub fn partitions(conn: &Connection, table_id: &str, period: Option<&str>) -> Result<Vec<StoredPartition>, StoreError> {
    let mut st = conn.prepare_cached(
        "SELECT r.release_id, r.node_id, r.period, p.per, p.subgroup, p.keys_id, p.sigma, p.sigmas, p.vals
           FROM release_partition p JOIN release r ON r.release_id = p.release_id
          WHERE p.table_id = ?1 AND (?2 IS NULL OR r.period = ?2)
          ORDER BY r.node_id, r.sequence, p.position",
    )?;
    let mut keys_by_id: HashMap<i64, Arc<Vec<CellKey>>> = HashMap::new();
    let mut rows = st.query(params![table_id, period])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let release_id: String = r.get(0)?;
        let corrupt = |reason: String| StoreError::Corrupt { release_id: release_id.clone(), reason };
        let keys_id: i64 = r.get(5)?;
        let keys = match keys_by_id.get(&keys_id) {
            Some(k) => k.clone(),
            None => {
                let text: String =
                    conn.query_row("SELECT keys FROM partition_keys WHERE keys_id = ?1", [keys_id], |r| r.get(0))?;
                let k: Arc<Vec<CellKey>> = Arc::new(serde_json::from_str(&text).map_err(|e| corrupt(e.to_string()))?);
                keys_by_id.insert(keys_id, k.clone());
                k
            }
        };
        let vals: String = r.get(8)?;
        let values: Vec<Option<i64>> = serde_json::from_str(&vals).map_err(|e| corrupt(e.to_string()))?;
        let sigmas: Vec<f64> = match (r.get::<_, Option<f64>>(6)?, r.get::<_, Option<String>>(7)?) {
            (Some(s), _) => vec![s; values.len()],
            (None, Some(text)) => serde_json::from_str(&text).map_err(|e| corrupt(e.to_string()))?,
            (None, None) => return Err(corrupt("no sigma".into())),
        };
        if values.len() != keys.len() || sigmas.len() != keys.len() {
            return Err(corrupt(format!("{} keys, {} values, {} sigmas", keys.len(), values.len(), sigmas.len())));
        }
        out.push(StoredPartition {
            node_id: r.get(1)?,
            period: r.get(2)?,
            per: r.get(3)?,
            subgroup: r.get(4)?,
            keys,
            values: values.into_iter().map(|v| v.map_or(CellValue::Suppressed, CellValue::Noisy)).collect(),
            sigmas,
        });
    }
    Ok(out)
}

/// Number of accepted releases.
pub fn release_count(conn: &Connection) -> Result<u64, StoreError> {
    Ok(conn.query_row("SELECT count(*) FROM release", [], |r| r.get::<_, i64>(0))? as u64)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use lantern_policies::dp::{plan_release, PublicPartitions, StudentRecord};
    use lantern_policies::release_policy::ReleasePolicy;

    fn release(sequence: u64) -> Release {
        let policy = ReleasePolicy::builtin().unwrap();
        let public = PublicPartitions { rules: vec!["r1".into()], standards: vec![] };
        let mut s = StudentRecord::new("p1");
        s.set("tier", "1").set("flagged", "no").set("intervention_outcome", "none");
        let tables = plan_release(&policy, &public).unwrap().compute(&[s]).unwrap();
        let day = chrono::NaiveDate::from_ymd_opt(2026, 10, 1).unwrap();
        let at = Utc.with_ymd_and_hms(2026, 10, 31, 0, 0, 0).unwrap();
        Release::new("n1".parse().unwrap(), sequence, policy.period_containing(day), &policy, tables, at)
    }

    #[test]
    fn partitions_read_back_as_released_with_shared_key_lists() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("a.db"), Synchronous::Normal).unwrap();
        let mut r1 = release(1);
        // One partition with per-cell σ, to exercise the list form.
        r1.tables[0].partitions[0].cells[0].sigma = 99.0;
        let r2 = release(2);
        insert_release(&mut store.lock(), &r1, "t1").unwrap();
        insert_release(&mut store.lock(), &r2, "t2").unwrap();
        let db = store.lock();
        let distinct: i64 = db.query_row("SELECT count(*) FROM partition_keys", [], |r| r.get(0)).unwrap();
        let per_release: usize = r1.tables.iter().map(|t| t.partitions.len()).sum();
        assert!(distinct as usize <= per_release, "key lists are shared between releases");
        let table = &r1.tables[0];
        let parts = partitions(&db, &table.id, Some("2026-10")).unwrap();
        assert_eq!(parts.len(), 2 * table.partitions.len());
        for (stored, released) in parts.iter().zip(&table.partitions) {
            let cells: Vec<_> = stored.cells().map(|(k, v, s)| (k.clone(), v, s)).collect();
            let expected: Vec<_> = released.cells.iter().map(|c| (c.key.clone(), c.value, c.sigma)).collect();
            assert_eq!(cells, expected);
        }
        assert_eq!(parts[0].sigmas[0], 99.0);
        assert!(partitions(&db, &table.id, Some("2026-11")).unwrap().is_empty());
        assert_eq!(release_count(&db).unwrap(), 2);
    }
}
