//! The node's storage: one SQLite database (optionally SQLCipher-encrypted) in WAL mode, written by
//! a single writer thread fed through a bounded queue (group commit: concurrent requests share one
//! transaction, each in its own savepoint), and read through a small pool of read-only
//! connections. All SQL of the node lives under this module.

pub mod access_log;
pub mod accounts;
pub mod alerts;
mod checkpointer;
pub mod indicators;
pub mod migrations;
mod readers;
pub mod releases;
pub mod roster;
pub mod scope;
pub mod sources;
pub mod statements;
pub mod test_school;
mod wal_sync;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rusqlite::{Connection, OpenFlags};

use crate::config::{NodeConfig, Synchronous};
pub use writer::WriterStats;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("cannot open database {path}: {source}")]
    Open { path: PathBuf, source: rusqlite::Error },
    #[error("database {path}: the key is wrong, or the file is not a Lantern database")]
    BadKey { path: PathBuf },
    #[error("database key: {0}")]
    Key(String),
    #[error("migration {version} ({name}) failed: {source}")]
    Migration { version: u32, name: &'static str, source: rusqlite::Error },
    #[error("database schema version {found} is newer than this binary supports ({supported})")]
    NewerSchema { found: u32, supported: u32 },
    #[error("the store is shut down")]
    Closed,
    #[error("the write may not be on disk ({0}); the node must restart")]
    NotDurable(String),
    #[error("writes are refused until the node restarts: a WAL flush failed ({0})")]
    Refused(String),
    #[error("{0}")]
    Invalid(String),
}

/// The SQLCipher key; never printed.
#[derive(Clone)]
pub struct DbKey(String);

impl std::fmt::Debug for DbKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DbKey(…)")
    }
}

impl DbKey {
    /// A key as given: 64 hex characters are used as the raw 256-bit key (fast to open); anything
    /// else is a passphrase that SQLCipher stretches with PBKDF2.
    pub fn new(material: &str) -> Result<DbKey, StoreError> {
        let m = material.trim();
        if m.is_empty() {
            return Err(StoreError::Key("the key is empty".into()));
        }
        if m.len() == 64 && m.chars().all(|c| c.is_ascii_hexdigit()) {
            Ok(DbKey(format!("x'{m}'")))
        } else {
            Ok(DbKey(m.to_string()))
        }
    }

    /// From `LANTERN_DB_KEY`, else the configured key file, else none (unencrypted).
    pub fn from_config(config: &NodeConfig, env_key: Option<&str>) -> Result<Option<DbKey>, StoreError> {
        if let Some(k) = env_key {
            return DbKey::new(k).map(Some);
        }
        match &config.database.key_file {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .map_err(|e| StoreError::Key(format!("cannot read key file {}: {e}", p.display())))?;
                DbKey::new(&text).map(Some)
            }
            None => Ok(None),
        }
    }
}

/// How to open the database.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub path: PathBuf,
    pub key: Option<DbKey>,
    pub readers: usize,
    pub writer_queue: usize,
    pub synchronous: Synchronous,
}

impl StoreOptions {
    pub fn from_config(config: &NodeConfig, key: Option<DbKey>) -> StoreOptions {
        StoreOptions {
            path: config.database_path(),
            key,
            readers: config.database.readers,
            writer_queue: config.database.writer_queue,
            synchronous: config.database.synchronous,
        }
    }
}

/// Handle to the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    writer: writer::WriterHandle,
    readers: readers::ReaderPool,
    checkpointer: checkpointer::Checkpointer,
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the database, applies migrations and starts the writer thread.
    pub fn open(opts: &StoreOptions) -> Result<Store, StoreError> {
        if let Some(dir) = opts.path.parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir)
                    .map_err(|e| StoreError::Invalid(format!("cannot create {}: {e}", dir.display())))?;
            }
        }
        // `full`: the writer commits at SQLite's NORMAL level and `wal_sync` flushes the WAL before
        // any caller hears back (the same durability, without the writer waiting for the disk).
        let mut conn = open_connection(&opts.path, opts.key.as_ref(), false, Synchronous::Normal)?;
        if let Some(missing) = slow_build(&conn)? {
            tracing::warn!(
                "SQLite was built {missing}: every connection shares one lock, and ingest is slower; \
                 build Lantern from its repository (.cargo/config.toml sets LIBSQLITE3_FLAGS)"
            );
        }
        let syncer = match opts.synchronous {
            // The WAL file exists once the connection has read in WAL mode (open_connection has);
            // it is opened here, before any write of this run.
            Synchronous::Full => Some(wal_sync::WalSyncer::start(
                Box::new(wal_sync::WalFile::for_database(&opts.path)),
                Box::new(wal_sync::abort_process),
            )?),
            Synchronous::Normal => None,
        };
        migrations::migrate_to(&mut conn, migrations::latest_version())?;
        let writer = writer::WriterHandle::start(conn, opts.writer_queue, syncer)?;
        let checkpointer =
            checkpointer::Checkpointer::start(open_connection(&opts.path, opts.key.as_ref(), false, opts.synchronous)?);
        let open_reader = {
            let path = opts.path.clone();
            let key = opts.key.clone();
            let sync = opts.synchronous;
            move || open_connection(&path, key.as_ref(), true, sync)
        };
        let readers = readers::ReaderPool::new(opts.readers, Box::new(open_reader));
        Ok(Store { inner: Arc::new(Inner { writer, readers, checkpointer, path: opts.path.clone() }) })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Runs `f` in the writer's transaction and returns once it has committed (or failed and been
    /// rolled back, leaving nothing behind).
    pub async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&Connection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        self.inner.writer.submit(f).await
    }

    /// `write`, with `committed` run on the writer thread as soon as the transaction commits and
    /// before the caller hears back. Hooks of successive writes run in commit order (what a
    /// consumer of committed data needs); they must be quick and must not block.
    pub async fn write_then<T, E, F, H>(&self, f: F, committed: H) -> Result<T, E>
    where
        F: FnOnce(&Connection) -> Result<T, E> + Send + 'static,
        H: FnOnce(&mut T) + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        self.inner.writer.submit_with_hook(f, committed).await
    }

    /// Returns once everything committed before the call is on disk (with durability `full`; at
    /// once with `normal`): an empty job, which is acknowledged after the next WAL flush.
    pub async fn durable_barrier(&self) -> Result<(), StoreError> {
        self.write(|_| Ok::<(), StoreError>(())).await
    }

    /// `write` for synchronous callers (CLI commands); never call it on an async executor thread.
    pub fn write_blocking<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&Connection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        self.inner.writer.submit_blocking(f)
    }

    /// Runs `f` on a pooled read-only connection on a blocking thread.
    pub async fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&Connection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        self.inner.readers.read(f).await
    }

    /// `read` for synchronous callers.
    pub fn read_blocking<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&Connection) -> Result<T, E>,
        E: From<StoreError>,
    {
        self.inner.readers.read_blocking(f)
    }

    /// Queue depth and commit counters, for /metrics.
    pub fn writer_stats(&self) -> WriterStats {
        self.inner.writer.stats()
    }

    /// Finishes every queued write, then stops the writer thread. Later writes fail with `Closed`.
    pub fn shutdown(&self) {
        self.inner.writer.shutdown();
        self.inner.checkpointer.stop();
    }
}

/// What the bundled SQLite lacks of the build flags in `.cargo/config.toml` (a build outside the
/// repository, e.g. `cargo install`, does not read them), if anything.
fn slow_build(c: &Connection) -> Result<Option<&'static str>, StoreError> {
    let mut st = c.prepare("PRAGMA compile_options")?;
    let opts = st.query_map([], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
    Ok(if opts.iter().any(|o| o == "ENABLE_MEMORY_MANAGEMENT") {
        Some("with memory management")
    } else if !opts.iter().any(|o| o == "DEFAULT_MEMSTATUS=0") {
        Some("with memory statistics")
    } else {
        None
    })
}

fn open_connection(
    path: &Path,
    key: Option<&DbKey>,
    read_only: bool,
    sync: Synchronous,
) -> Result<Connection, StoreError> {
    let flags = if read_only {
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX
    };
    let conn = Connection::open_with_flags(path, flags)
        .map_err(|source| StoreError::Open { path: path.to_path_buf(), source })?;
    if let Some(k) = key {
        conn.pragma_update(None, "key", &k.0)?;
    }
    // The first read fails if the key is wrong or the file is not SQLite.
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0))
        .map_err(|_| StoreError::BadKey { path: path.to_path_buf() })?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    if !read_only {
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            // Durability (the WAL flush before acknowledging) and concurrent readers rely on it.
            return Err(StoreError::Invalid(format!(
                "{}: the database cannot use WAL mode here (got {mode}); put it on a local file system",
                path.display()
            )));
        }
        // Connections that write never checkpoint on commit: `checkpointer` does it on its own
        // thread (SQLite's default, every 1,000 pages, checkpointed and fsynced the database file
        // after nearly every busy ingest commit, on the writer thread).
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        // A read in WAL mode opens (creating if needed) the -wal file, which the WAL flush opens next.
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0))?;
    }
    conn.pragma_update(
        None,
        "synchronous",
        match sync {
            Synchronous::Full => "FULL",
            Synchronous::Normal => "NORMAL",
        },
    )?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    // 32 MB page cache per connection. For the writer more is not better: while the database is
    // under 1 GiB SQLite walks its whole page cache at every commit after a B-tree balance
    // (docs/BENCHMARKS.md), and in a year-sized database the random statement-id index pages miss
    // in 128 MB as in 32 MB; 32 MB measured ~6% faster ingest than 128 MB.
    conn.pragma_update(None, "cache_size", -32_000)?;
    Ok(conn)
}

/// A store in a temporary directory, for tests in this crate and others.
pub fn open_temp(dir: &Path) -> Result<Store, StoreError> {
    open_temp_at(&dir.join("node.db"))
}

/// An unencrypted store at `path` with test-sized pools (tests that look into a node's database).
pub fn open_temp_at(path: &Path) -> Result<Store, StoreError> {
    Store::open(&StoreOptions {
        path: path.to_path_buf(),
        key: None,
        readers: 2,
        writer_queue: 64,
        synchronous: Synchronous::Normal,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(store: &Store) -> i64 {
        store
            .read_blocking(|c| Ok::<_, StoreError>(c.query_row("SELECT count(*) FROM account_link", [], |r| r.get(0))?))
            .unwrap()
    }

    fn insert_link(c: &Connection, target: &str) -> Result<(), StoreError> {
        c.execute("INSERT INTO account(id, username, role, password_hash, created_at, password_changed_at) VALUES (1, 'a', 'admin', 'x', 't', 't') ON CONFLICT DO NOTHING", [])?;
        c.execute(
            "INSERT INTO account_link(account_id, kind, target, created_at) VALUES (1, 'class', ?1, 't')",
            [target],
        )?;
        Ok(())
    }

    #[tokio::test]
    async fn write_commits_and_failed_job_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = open_temp(dir.path()).unwrap();
        store.write(|c| insert_link(c, "c1")).await.unwrap();
        assert_eq!(count(&store), 1);
        let err = store
            .write(|c| {
                insert_link(c, "c2")?;
                Err::<(), _>(StoreError::Invalid("boom".into()))
            })
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), "boom");
        assert_eq!(count(&store), 1, "a failed job must leave nothing behind");
    }

    #[tokio::test]
    async fn concurrent_writes_are_group_committed_independently() {
        let dir = tempfile::tempdir().unwrap();
        let store = open_temp(dir.path()).unwrap();
        let mut handles = Vec::new();
        for i in 0..200 {
            let s = store.clone();
            handles.push(tokio::spawn(async move {
                s.write(move |c| {
                    insert_link(c, &format!("c{i}"))?;
                    if i % 10 == 0 {
                        return Err(StoreError::Invalid(format!("job {i} fails")));
                    }
                    Ok(())
                })
                .await
            }));
        }
        let mut failed = 0;
        for h in handles {
            if h.await.unwrap().is_err() {
                failed += 1;
            }
        }
        assert_eq!(failed, 20);
        assert_eq!(count(&store), 180);
        let stats = store.writer_stats();
        assert!(stats.commits <= 200 && stats.jobs == 200, "{stats:?}");
    }

    /// When SQLite rolls a group's transaction back under a job (here the job does it itself; in
    /// life an I/O error or a full disk), the jobs after it in the group must neither run in a
    /// transaction of their own nor be reported committed.
    #[test]
    fn a_group_whose_transaction_is_rolled_back_commits_nothing_and_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let store = open_temp(dir.path()).unwrap();
        let s = store.clone();
        // Holds the writer while the next two jobs queue up and form one group.
        let hold = std::thread::spawn(move || {
            s.write_blocking(|c| {
                std::thread::sleep(std::time::Duration::from_millis(300));
                insert_link(c, "first")
            })
        });
        std::thread::sleep(std::time::Duration::from_millis(100));
        let s = store.clone();
        let breaks = std::thread::spawn(move || {
            s.write_blocking(|c| {
                insert_link(c, "undone")?;
                c.execute_batch("ROLLBACK")?;
                Ok::<_, StoreError>(())
            })
        });
        std::thread::sleep(std::time::Duration::from_millis(50));
        let after = store.write_blocking(|c| insert_link(c, "after"));
        hold.join().unwrap().unwrap();
        let broke = breaks.join().unwrap();
        assert!(broke.is_err(), "{broke:?}");
        assert!(after.is_err(), "the job after the rollback was reported committed");
        let targets: Vec<String> = store
            .read_blocking(|c| {
                let mut st = c.prepare("SELECT target FROM account_link ORDER BY target")?;
                let v = st.query_map([], |r| r.get(0))?.collect::<Result<Vec<String>, _>>()?;
                Ok::<_, StoreError>(v)
            })
            .unwrap();
        assert_eq!(targets, ["first"]);
        store.write_blocking(|c| insert_link(c, "later")).unwrap();
        assert_eq!(count(&store), 2);
    }

    #[test]
    fn shutdown_finishes_queued_writes_then_refuses() {
        let dir = tempfile::tempdir().unwrap();
        let store = open_temp(dir.path()).unwrap();
        store.write_blocking(|c| insert_link(c, "c1")).unwrap();
        store.shutdown();
        let err = store.write_blocking(|c| insert_link(c, "c2")).unwrap_err();
        assert!(matches!(err, StoreError::Closed));
        assert_eq!(count(&store), 1);
    }

    #[test]
    fn encrypted_database_needs_its_key() {
        let dir = tempfile::tempdir().unwrap();
        let opts = StoreOptions {
            path: dir.path().join("enc.db"),
            key: Some(DbKey::new(&"ab".repeat(32)).unwrap()),
            readers: 1,
            writer_queue: 4,
            synchronous: Synchronous::Normal,
        };
        let store = Store::open(&opts).unwrap();
        store.write_blocking(|c| insert_link(c, "secret-class")).unwrap();
        store.shutdown();
        drop(store);
        let raw = std::fs::read(dir.path().join("enc.db")).unwrap();
        assert!(!raw.starts_with(b"SQLite format 3"), "file must be encrypted");
        let wrong = StoreOptions { key: Some(DbKey::new("not the key").unwrap()), ..opts.clone() };
        assert!(matches!(Store::open(&wrong), Err(StoreError::BadKey { .. })));
        let none = StoreOptions { key: None, ..opts.clone() };
        assert!(matches!(Store::open(&none), Err(StoreError::BadKey { .. })));
        let again = Store::open(&opts).unwrap();
        assert_eq!(count(&again), 1);
    }

    #[test]
    fn full_durability_acknowledges_after_a_wal_flush_and_normal_without() {
        let dir = tempfile::tempdir().unwrap();
        for (sync, flushed) in [(Synchronous::Full, true), (Synchronous::Normal, false)] {
            let opts = StoreOptions {
                path: dir.path().join(format!("{sync:?}.db")),
                key: None,
                readers: 1,
                writer_queue: 4,
                synchronous: sync,
            };
            let store = Store::open(&opts).unwrap();
            for i in 0..3 {
                store.write_blocking(move |c| insert_link(c, &format!("c{i}"))).unwrap();
                assert_eq!(store.writer_stats().wal_flushes > i, flushed, "{sync:?}");
            }
            // The writer never waits for the disk inside COMMIT itself (1 = NORMAL).
            let level: i64 = store
                .write_blocking(|c| Ok::<_, StoreError>(c.query_row("PRAGMA synchronous", [], |r| r.get(0))?))
                .unwrap();
            assert_eq!(level, 1);
            assert_eq!(count(&store), 3);
            store.shutdown();
        }
    }

    #[test]
    fn sqlite_is_built_without_shared_allocation_locks() {
        // .cargo/config.toml sets these for the bundled SQLCipher; a build without them works
        // but every connection contends for one page-cache and one allocation mutex.
        // (`Store::open` logs a warning when they are missing.)
        let c = Connection::open_in_memory().unwrap();
        assert_eq!(slow_build(&c).unwrap(), None);
    }

    #[test]
    fn key_material_forms() {
        assert!(DbKey::new("  ").is_err());
        assert_eq!(DbKey::new(&"0f".repeat(32)).unwrap().0, format!("x'{}'", "0f".repeat(32)));
        assert_eq!(DbKey::new("correct horse").unwrap().0, "correct horse");
        assert_eq!(format!("{:?}", DbKey::new("correct horse").unwrap()), "DbKey(…)");
    }
}
