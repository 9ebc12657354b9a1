//! Durable acknowledgements without the writer waiting for the disk.
//!
//! With SQLite's `synchronous=FULL` every COMMIT flushes the WAL to disk on the committing
//! connection — here the single writer — which then sits idle for the device's flush while
//! requests queue behind it (on the reference machine that idle time was a fifth of the writer's
//! wall time under ingest load). Instead, when the node is configured for `full` durability, the
//! writer commits with SQLite's NORMAL level (the commit's WAL frames are written to the
//! operating system, not yet flushed) and hands the group's replies to this thread, which flushes
//! the WAL file (`fdatasync`) and only then lets the callers hear back. One flush covers every
//! commit whose frames were written before it started, so while the disk flushes, the writer
//! already runs the next group.
//!
//! Acknowledged still means durable against power loss: SQLite has written all of a commit's
//! frames (with `pwrite`, no user-space buffer) when COMMIT returns, and the flush starts after
//! that; a flush through another descriptor of the same file flushes the same pages. At NORMAL
//! SQLite still syncs the WAL header when it restarts the WAL and syncs WAL and database around
//! every checkpoint, so the database stays consistent whatever is lost after the last flush.
//!
//! What changes: a commit is *visible* (to readers, commit hooks, the live stream) before it is
//! on disk, for the few milliseconds until its flush. A power cut in between takes back something
//! a teacher may have seen; nothing that was acknowledged. Whatever must not be taken back once it
//! leaves the node (a sealed release: its budget spend) waits for `Store::durable_barrier` first.
//!
//! A failed flush leaves the disk's state unknown (the kernel may have dropped the pages it could
//! not write) while those commits are visible and a checkpoint would copy them into the database
//! file: the waiting callers get an error, later writes are refused, and the node stops
//! (`abort_process`) to recover from what is on disk when restarted.

use std::fs::File;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, OnceLock};
use std::thread::JoinHandle;

use super::StoreError;

/// Committed groups that may wait for their flush before the writer waits too.
const MAX_WAITING_GROUPS: usize = 64;

/// Sends a caller its outcome once the write is durable (`Ok`) or cannot be made so (`Err`).
pub(super) type Reply = Box<dyn FnOnce(Result<(), StoreError>) + Send>;

/// Makes everything written to the WAL so far durable.
pub(super) trait Flush: Send {
    /// Called once before any commit: opens what the flushes need, so a write error reported
    /// before the first flush is not missed by a file descriptor opened after it.
    fn prepare(&mut self) -> io::Result<()> {
        Ok(())
    }
    fn flush(&mut self) -> io::Result<()>;
}

/// What happens after a flush failed and the waiting callers were told.
pub(super) type OnFailure = Box<dyn Fn(&str) + Send>;

/// The node's reaction to a failed flush: commits after the last good flush are visible but may
/// be gone from disk, and SQLite's checkpoints would copy whatever the WAL holds into the database
/// file. The only safe course is PostgreSQL's: stop at once and let SQLite recover from what is on
/// disk at the next start (the service manager restarts the node; quiz tools resend what was not
/// acknowledged).
pub(super) fn abort_process(why: &str) {
    tracing::error!(error = %why, "cannot flush the WAL: the node stops now and recovers from disk when restarted");
    eprintln!("lantern: cannot flush the database WAL ({why}); stopping so the database recovers from disk");
    std::process::abort();
}

/// The database's `-wal` file, opened on first use and reopened if it was replaced (SQLite
/// deletes it only when the last connection closes, but a flush must never silently go to a
/// file that is no longer the WAL).
pub(super) struct WalFile {
    path: PathBuf,
    open: Option<(File, u64)>,
}

impl WalFile {
    pub(super) fn for_database(db: &Path) -> WalFile {
        let mut name = db.as_os_str().to_owned();
        name.push("-wal");
        WalFile { path: PathBuf::from(name), open: None }
    }

    fn file(&mut self) -> io::Result<&File> {
        let current = std::fs::metadata(&self.path)?.ino();
        if self.open.as_ref().is_none_or(|(_, ino)| *ino != current) {
            let file = File::open(&self.path)?;
            let ino = file.metadata()?.ino();
            // A WAL file SQLite just created must also have its directory entry on disk (like
            // SQLite, a file system that cannot sync directories is only warned about).
            if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
                if let Err(e) = File::open(dir).and_then(|d| d.sync_all()) {
                    tracing::warn!("cannot sync the directory of {}: {e}", self.path.display());
                }
            }
            self.open = Some((file, ino));
        }
        match &self.open {
            Some((f, _)) => Ok(f),
            None => Err(io::Error::other("the WAL file is not open")),
        }
    }
}

impl Flush for WalFile {
    fn prepare(&mut self) -> io::Result<()> {
        let path = self.path.display().to_string();
        self.file().map(drop).map_err(|e| io::Error::new(e.kind(), format!("opening {path}: {e}")))
    }

    fn flush(&mut self) -> io::Result<()> {
        let path = self.path.display().to_string();
        self.file().and_then(|f| f.sync_data()).map_err(|e| io::Error::new(e.kind(), format!("flushing {path}: {e}")))
    }
}

/// The flushing thread and what the writer needs to know of it.
pub(super) struct WalSyncer {
    tx: Option<mpsc::SyncSender<Vec<Reply>>>,
    thread: Option<JoinHandle<()>>,
    failure: Arc<OnceLock<String>>,
    flushes: Arc<AtomicU64>,
}

impl WalSyncer {
    pub(super) fn start(mut flush: Box<dyn Flush>, on_failure: OnFailure) -> Result<WalSyncer, StoreError> {
        flush.prepare().map_err(|e| StoreError::Invalid(format!("durability full: {e}")))?;
        // Bounded: while the disk is stuck, the writer stops committing once this many groups
        // wait for their flush (as it did when it flushed inside COMMIT itself).
        let (tx, rx) = mpsc::sync_channel::<Vec<Reply>>(MAX_WAITING_GROUPS);
        let failure = Arc::new(OnceLock::new());
        let flushes = Arc::new(AtomicU64::new(0));
        let (f, n) = (failure.clone(), flushes.clone());
        let thread = std::thread::Builder::new()
            .name("lantern-walsync".into())
            .spawn(move || run(&mut *flush, &rx, &f, &n, &*on_failure))
            .map_err(|e| StoreError::Invalid(format!("cannot start the WAL flush thread: {e}")))?;
        Ok(WalSyncer { tx: Some(tx), thread: Some(thread), failure, flushes })
    }

    /// Replies to the callers of a committed group once it is on disk.
    pub(super) fn acknowledge(&self, replies: Vec<Reply>) {
        let undelivered = match &self.tx {
            Some(tx) => tx.send(replies).err().map(|e| e.0),
            None => Some(replies),
        };
        if let Some(replies) = undelivered {
            let why = "the WAL flush thread is gone";
            let _ = self.failure.set(why.into());
            for r in replies {
                r(Err(StoreError::NotDurable(why.into())));
            }
        }
    }

    /// Why writes are refused, after a flush failed.
    pub(super) fn failure(&self) -> Option<String> {
        self.failure.get().cloned()
    }

    /// What the writer's statistics show: flushes so far (counted before their replies go out),
    /// and the failure that stops writes.
    pub(super) fn observers(&self) -> (Arc<AtomicU64>, Arc<OnceLock<String>>) {
        (self.flushes.clone(), self.failure.clone())
    }

    /// Delivers every pending reply, then stops the thread.
    pub(super) fn stop(&mut self) {
        self.tx = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for WalSyncer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn run(
    flush: &mut dyn Flush,
    rx: &mpsc::Receiver<Vec<Reply>>,
    failure: &OnceLock<String>,
    flushes: &AtomicU64,
    on_failure: &dyn Fn(&str),
) {
    while let Ok(first) = rx.recv() {
        let mut replies = first;
        while let Ok(more) = rx.try_recv() {
            replies.extend(more);
        }
        let outcome = match failure.get() {
            Some(why) => Err(why.clone()),
            None => flush.flush().map_err(|e| e.to_string()),
        };
        match outcome {
            Ok(()) => {
                flushes.fetch_add(1, Ordering::Relaxed);
                for r in replies {
                    r(Ok(()));
                }
            }
            Err(why) => {
                let first = failure.set(why.clone()).is_ok();
                for r in replies {
                    r(Err(StoreError::NotDurable(why.clone())));
                }
                if first {
                    on_failure(&why);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    struct Scripted(Arc<Mutex<Vec<io::Result<()>>>>);

    impl Flush for Scripted {
        fn flush(&mut self) -> io::Result<()> {
            self.0.lock().unwrap().pop().unwrap_or(Ok(()))
        }
    }

    fn reply_into(out: &Arc<Mutex<Vec<Result<(), String>>>>) -> Reply {
        let out = out.clone();
        Box::new(move |r| out.lock().unwrap().push(r.map_err(|e| e.to_string())))
    }

    #[test]
    fn replies_come_after_a_flush_and_a_failed_flush_fails_every_later_one() {
        let script = Arc::new(Mutex::new(vec![Err(io::Error::other("disk gone")), Ok(())]));
        let reacted = Arc::new(AtomicU64::new(0));
        let r = reacted.clone();
        let on_failure = Box::new(move |_: &str| {
            r.fetch_add(1, Ordering::Relaxed);
        });
        let mut s = WalSyncer::start(Box::new(Scripted(script)), on_failure).unwrap();
        let out = Arc::new(Mutex::new(Vec::new()));
        s.acknowledge(vec![reply_into(&out), reply_into(&out)]);
        while out.lock().unwrap().len() < 2 {
            std::thread::yield_now();
        }
        assert_eq!(s.flushes.load(Ordering::Relaxed), 1);
        assert!(s.failure().is_none());
        s.acknowledge(vec![reply_into(&out)]);
        s.acknowledge(vec![reply_into(&out)]);
        s.stop();
        let got = out.lock().unwrap().clone();
        assert_eq!(got[..2], [Ok(()), Ok(())]);
        assert!(got[2..].iter().all(|r| r.as_ref().is_err_and(|e| e.contains("disk gone"))), "{got:?}");
        assert_eq!(got.len(), 4);
        assert_eq!(reacted.load(Ordering::Relaxed), 1, "the node reacts to the first failure once");
        assert!(s.failure().is_some_and(|f| f.contains("disk gone")));
        assert_eq!(s.flushes.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn after_a_failed_flush_the_writer_runs_no_more_jobs_and_says_why() {
        use super::super::writer::WriterHandle;
        let dir = tempfile::tempdir().unwrap();
        let conn = rusqlite::Connection::open(dir.path().join("t.db")).unwrap();
        conn.execute_batch("CREATE TABLE t (x INTEGER)").unwrap();
        let script = Arc::new(Mutex::new(vec![Err(io::Error::other("EIO")), Ok(())]));
        let writer =
            WriterHandle::start(conn, 8, Some(WalSyncer::start(Box::new(Scripted(script)), Box::new(|_| {})).unwrap()))
                .unwrap();
        let insert =
            |w: &WriterHandle| w.submit_blocking(|c| Ok::<_, StoreError>(c.execute("INSERT INTO t VALUES (1)", [])?));
        assert_eq!(insert(&writer).unwrap(), 1);
        assert_eq!(writer.stats().wal_flushes, 1);
        let err = insert(&writer).unwrap_err();
        assert!(matches!(&err, StoreError::NotDurable(why) if why.contains("EIO")), "{err}");
        // Refused unrun: the failing flush came after the second insert committed, the third
        // never runs.
        let err = insert(&writer).unwrap_err();
        assert!(matches!(&err, StoreError::Refused(why) if why.contains("EIO")), "{err}");
        let rows =
            writer.submit_blocking(|c| Ok::<i64, StoreError>(c.query_row("SELECT count(*) FROM t", [], |r| r.get(0))?));
        assert!(matches!(rows, Err(StoreError::Refused(_))));
        assert!(writer.stats().refusing_writes.is_some_and(|w| w.contains("EIO")));
        writer.shutdown();
        let check = rusqlite::Connection::open(dir.path().join("t.db")).unwrap();
        assert_eq!(check.query_row("SELECT count(*) FROM t", [], |r| r.get::<_, i64>(0)).unwrap(), 2);
    }

    #[test]
    fn the_wal_file_is_found_next_to_the_database_and_reopened_when_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("node.db");
        let mut wal = WalFile::for_database(&db);
        assert_eq!(wal.flush().unwrap_err().kind(), io::ErrorKind::NotFound);
        std::fs::write(dir.path().join("node.db-wal"), b"one").unwrap();
        wal.flush().unwrap();
        let first = wal.open.as_ref().map(|(_, ino)| *ino);
        std::fs::write(dir.path().join("node.db-wal.new"), b"two").unwrap();
        std::fs::rename(dir.path().join("node.db-wal.new"), dir.path().join("node.db-wal")).unwrap();
        wal.flush().unwrap();
        assert_ne!(wal.open.as_ref().map(|(_, ino)| *ino), first);
    }
}
