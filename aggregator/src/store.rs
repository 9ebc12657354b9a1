//! The aggregator's storage: one SQLite database in WAL mode with embedded migrations. A single
//! connection behind a mutex is enough here (a district has tens of nodes sending monthly); every
//! call runs on a blocking thread. All SQL of the aggregator lives in this file.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use lantern_policies::dp::ReleasedCell;
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
    conn: Arc<Mutex<Connection>>,
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
    pub cells: Vec<ReleasedCell>,
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
        Ok(Store { conn: Arc::new(Mutex::new(conn)) })
    }

    /// The connection; a poisoned lock is still a consistent database (every write is one
    /// transaction), so it is used as is.
    pub fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
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

/// Stores an accepted release and its partitions; the caller holds the transaction.
pub fn insert_release(conn: &Connection, release: &Release, received_at: &str) -> Result<(), StoreError> {
    conn.execute(
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
    let mut st = conn.prepare_cached(
        "INSERT INTO release_partition (release_id, table_id, position, per, subgroup, cells)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let id = release.release_id.to_string();
    for table in &release.tables {
        for (i, p) in table.partitions.iter().enumerate() {
            let cells = serde_json::to_string(&p.cells)
                .map_err(|e| StoreError::Corrupt { release_id: id.clone(), reason: e.to_string() })?;
            st.execute(params![id, table.id, i as i64, p.per, p.subgroup, cells])?;
        }
    }
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
        "SELECT r.release_id, r.node_id, r.period, p.per, p.subgroup, p.cells
           FROM release_partition p JOIN release r ON r.release_id = p.release_id
          WHERE p.table_id = ?1 AND (?2 IS NULL OR r.period = ?2)
          ORDER BY r.node_id, r.sequence, p.position",
    )?;
    let mut rows = st.query(params![table_id, period])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let release_id: String = r.get(0)?;
        let text: String = r.get(5)?;
        let cells = serde_json::from_str(&text)
            .map_err(|e| StoreError::Corrupt { release_id: release_id.clone(), reason: e.to_string() })?;
        out.push(StoredPartition { node_id: r.get(1)?, period: r.get(2)?, per: r.get(3)?, subgroup: r.get(4)?, cells });
    }
    Ok(out)
}

/// Number of accepted releases.
pub fn release_count(conn: &Connection) -> Result<u64, StoreError> {
    Ok(conn.query_row("SELECT count(*) FROM release", [], |r| r.get::<_, i64>(0))? as u64)
}
