//! The single writer: a dedicated thread owns the read-write connection and drains a bounded queue
//! of jobs. Jobs that arrive together share one transaction (group commit); each runs inside its
//! own savepoint, so one failing job rolls back only itself. A job's caller hears back only after
//! the shared transaction commits and, when the node is configured for `full` durability, after
//! the WAL has been flushed to disk by `wal_sync` — acknowledged means durable.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

use super::wal_sync::{Reply, WalSyncer};
use super::StoreError;

/// Most jobs folded into one transaction; bounds commit latency under load.
const MAX_GROUP: usize = 256;

/// Runs a job's commit hook (on the writer thread, in commit order) and returns its reply.
type Finish = Box<dyn FnOnce(Result<(), StoreError>) -> Reply + Send>;
/// Runs a job in the open transaction (`Ok`): whether it succeeded and how to finish it; or
/// refuses it unrun (`Err`: its caller gets the error at once).
type Job = Box<dyn FnOnce(Result<&Connection, StoreError>) -> Option<(bool, Finish)> + Send>;

enum Msg {
    Job(Job),
    Shutdown,
}

/// Counters exported on /metrics.
#[derive(Debug, Clone, Default)]
pub struct WriterStats {
    pub queue_depth: usize,
    pub queue_capacity: usize,
    pub jobs: u64,
    pub commits: u64,
    pub failed_jobs: u64,
    /// WAL flushes that acknowledged committed groups (0 unless durability is `full`).
    pub wal_flushes: u64,
    /// Why writes are refused: a WAL flush failed (the node must be restarted).
    pub refusing_writes: Option<String>,
}

#[derive(Default)]
struct Counters {
    jobs: AtomicU64,
    commits: AtomicU64,
    failed: AtomicU64,
    /// From the WAL flush thread, when there is one.
    syncer: Option<(Arc<AtomicU64>, Arc<std::sync::OnceLock<String>>)>,
}

pub(super) struct WriterHandle {
    tx: mpsc::Sender<Msg>,
    capacity: usize,
    counters: Arc<Counters>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl WriterHandle {
    /// `syncer`: flush the WAL before replying (the connection then commits with SQLite's NORMAL
    /// level); `None`: reply as soon as COMMIT returns.
    pub(super) fn start(
        conn: Connection,
        capacity: usize,
        syncer: Option<WalSyncer>,
    ) -> Result<WriterHandle, StoreError> {
        let (tx, rx) = mpsc::channel(capacity);
        let counters = Arc::new(Counters { syncer: syncer.as_ref().map(WalSyncer::observers), ..Counters::default() });
        let c = counters.clone();
        let thread = std::thread::Builder::new()
            .name("lantern-writer".into())
            .spawn(move || run(conn, rx, syncer, &c))
            .map_err(|e| StoreError::Invalid(format!("cannot start the writer thread: {e}")))?;
        Ok(WriterHandle { tx, capacity, counters, thread: Mutex::new(Some(thread)) })
    }

    fn job<T, E, F>(f: F) -> (Job, oneshot::Receiver<Result<T, E>>)
    where
        F: FnOnce(&Connection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        Self::job_with_hook(f, |_: &mut T| {})
    }

    /// A job whose `committed` hook runs on the writer thread right after its transaction
    /// commits, before its caller hears back: hooks run in commit order.
    fn job_with_hook<T, E, F, H>(f: F, committed: H) -> (Job, oneshot::Receiver<Result<T, E>>)
    where
        F: FnOnce(&Connection) -> Result<T, E> + Send + 'static,
        H: FnOnce(&mut T) + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let (done_tx, done_rx) = oneshot::channel();
        let job: Job = Box::new(move |conn: Result<&Connection, StoreError>| {
            let conn = match conn {
                Ok(c) => c,
                Err(e) => {
                    let _ = done_tx.send(Err(E::from(e)));
                    return None;
                }
            };
            let result = f(conn);
            let ok = result.is_ok();
            let finish: Finish = Box::new(move |commit: Result<(), StoreError>| {
                let outcome = match (result, commit) {
                    (Ok(mut v), Ok(())) => {
                        committed(&mut v);
                        Ok(v)
                    }
                    (Err(e), _) => Err(e),
                    (Ok(_), Err(e)) => Err(E::from(e)),
                };
                Box::new(move |durable: Result<(), StoreError>| {
                    let outcome = match (outcome, durable) {
                        (Ok(_), Err(e)) => Err(E::from(e)),
                        (outcome, _) => outcome,
                    };
                    // The caller may have gone away; the write stands either way.
                    let _ = done_tx.send(outcome);
                }) as Reply
            });
            Some((ok, finish))
        });
        (job, done_rx)
    }

    pub(super) async fn submit<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&Connection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let (job, done) = Self::job(f);
        self.tx.send(Msg::Job(job)).await.map_err(|_| E::from(StoreError::Closed))?;
        done.await.map_err(|_| E::from(StoreError::Closed))?
    }

    pub(super) async fn submit_with_hook<T, E, F, H>(&self, f: F, committed: H) -> Result<T, E>
    where
        F: FnOnce(&Connection) -> Result<T, E> + Send + 'static,
        H: FnOnce(&mut T) + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let (job, done) = Self::job_with_hook(f, committed);
        self.tx.send(Msg::Job(job)).await.map_err(|_| E::from(StoreError::Closed))?;
        done.await.map_err(|_| E::from(StoreError::Closed))?
    }

    pub(super) fn submit_blocking<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&Connection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let (job, done) = Self::job(f);
        self.tx.blocking_send(Msg::Job(job)).map_err(|_| E::from(StoreError::Closed))?;
        done.blocking_recv().map_err(|_| E::from(StoreError::Closed))?
    }

    pub(super) fn stats(&self) -> WriterStats {
        WriterStats {
            queue_depth: self.capacity.saturating_sub(self.tx.capacity()),
            queue_capacity: self.capacity,
            jobs: self.counters.jobs.load(Ordering::Relaxed),
            commits: self.counters.commits.load(Ordering::Relaxed),
            failed_jobs: self.counters.failed.load(Ordering::Relaxed),
            wal_flushes: self.counters.syncer.as_ref().map_or(0, |(n, _)| n.load(Ordering::Relaxed)),
            refusing_writes: self.counters.syncer.as_ref().and_then(|(_, f)| f.get().cloned()),
        }
    }

    /// Queues a stop after everything already queued, and waits for the thread to finish.
    pub(super) fn shutdown(&self) {
        let handle = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(h) = handle {
            // Sending from inside a runtime would panic with blocking_send; try_send then a
            // plain-thread fallback covers both callers.
            if self.tx.try_send(Msg::Shutdown).is_err() {
                let tx = self.tx.clone();
                let _ = std::thread::spawn(move || tx.blocking_send(Msg::Shutdown)).join();
            }
            let _ = h.join();
        }
    }
}

fn run(conn: Connection, mut rx: mpsc::Receiver<Msg>, mut syncer: Option<WalSyncer>, counters: &Counters) {
    let mut stop = false;
    while !stop {
        let Some(first) = rx.blocking_recv() else {
            break;
        };
        let mut batch = Vec::with_capacity(16);
        match first {
            Msg::Job(j) => batch.push(j),
            Msg::Shutdown => break,
        }
        while batch.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(Msg::Job(j)) => batch.push(j),
                Ok(Msg::Shutdown) => {
                    stop = true;
                    break;
                }
                Err(_) => break,
            }
        }
        if let Some(why) = syncer.as_ref().and_then(WalSyncer::failure) {
            for job in batch {
                job(Err(StoreError::Refused(why.clone())));
            }
            continue;
        }
        run_group(&conn, batch, syncer.as_ref(), counters);
    }
    // Refuse whatever raced in after the stop: dropping the jobs drops their reply channels, and
    // their callers see `Closed`.
    rx.close();
    while rx.try_recv().is_ok() {}
    // Every committed group's callers hear back before the writer is gone.
    if let Some(s) = syncer.as_mut() {
        s.stop();
    }
}

fn run_group(conn: &Connection, batch: Vec<Job>, syncer: Option<&WalSyncer>, counters: &Counters) {
    let mut finishes = Vec::with_capacity(batch.len());
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
        // Without a transaction the jobs cannot run: each caller gets the error, nothing was written.
        tracing::error!(error = %e, jobs = batch.len(), "cannot begin a transaction");
        let why = e.to_string();
        for job in batch {
            job(Err(StoreError::Invalid(format!("cannot begin a transaction: {why}"))));
        }
        return;
    }
    let mut jobs = batch.into_iter();
    while let Some(job) = jobs.next() {
        counters.jobs.fetch_add(1, Ordering::Relaxed);
        if let Err(e) = conn.prepare_cached("SAVEPOINT job").and_then(|mut st| st.execute([])) {
            tracing::error!(error = %e, "savepoint failed");
        }
        let Some((ok, finish)) = job(Ok(conn)) else {
            let _ = conn.execute_batch("RELEASE job"); // a job given a connection always runs
            continue;
        };
        if !ok {
            counters.failed.fetch_add(1, Ordering::Relaxed);
        }
        let end = if ok {
            conn.prepare_cached("RELEASE job").and_then(|mut st| st.execute([])).map(drop)
        } else {
            conn.execute_batch("ROLLBACK TO job; RELEASE job")
        };
        if let Err(e) = end {
            tracing::error!(error = %e, "ending savepoint failed");
        }
        finishes.push(finish);
        if conn.is_autocommit() {
            // SQLite rolled the whole transaction back (an I/O error, a full disk, no memory):
            // every job of the group so far is undone, and the rest must not run outside it.
            tracing::error!(jobs = finishes.len() + jobs.len(), "the database rolled the group's transaction back");
            let why = "the database rolled the transaction back (I/O error, disk full or out of memory)";
            for f in finishes {
                f(Err(StoreError::Invalid(why.into())))(Ok(()));
            }
            for job in jobs {
                job(Err(StoreError::Invalid(why.into())));
            }
            return;
        }
    }
    let commit = conn.execute_batch("COMMIT");
    match commit {
        Ok(()) => {
            counters.commits.fetch_add(1, Ordering::Relaxed);
            let replies: Vec<Reply> = finishes.into_iter().map(|f| f(Ok(()))).collect();
            match syncer {
                Some(s) => s.acknowledge(replies),
                None => replies.into_iter().for_each(|r| r(Ok(()))),
            }
        }
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            let msg = e.to_string();
            tracing::error!(error = %msg, "commit failed; the group was rolled back");
            for f in finishes {
                f(Err(StoreError::Invalid(format!("commit failed: {msg}"))))(Ok(()));
            }
        }
    }
}
