//! The single writer: a dedicated thread owns the read-write connection and drains a bounded queue
//! of jobs. Jobs that arrive together share one transaction (group commit); each runs inside its
//! own savepoint, so one failing job rolls back only itself. A job's caller hears back only after
//! the shared transaction commits — acknowledged means durable.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

use super::StoreError;

/// Most jobs folded into one transaction; bounds commit latency under load.
const MAX_GROUP: usize = 256;

type Finish = Box<dyn FnOnce(Result<(), StoreError>) + Send>;
type Job = Box<dyn FnOnce(&Connection) -> (bool, Finish) + Send>;

enum Msg {
    Job(Job),
    Shutdown,
}

/// Counters exported on /metrics.
#[derive(Debug, Clone, Copy, Default)]
pub struct WriterStats {
    pub queue_depth: usize,
    pub queue_capacity: usize,
    pub jobs: u64,
    pub commits: u64,
    pub failed_jobs: u64,
}

#[derive(Default)]
struct Counters {
    jobs: AtomicU64,
    commits: AtomicU64,
    failed: AtomicU64,
}

pub(super) struct WriterHandle {
    tx: mpsc::Sender<Msg>,
    capacity: usize,
    counters: Arc<Counters>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl WriterHandle {
    pub(super) fn start(conn: Connection, capacity: usize) -> Result<WriterHandle, StoreError> {
        let (tx, rx) = mpsc::channel(capacity);
        let counters = Arc::new(Counters::default());
        let c = counters.clone();
        let thread = std::thread::Builder::new()
            .name("lantern-writer".into())
            .spawn(move || run(conn, rx, &c))
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
        let job: Job = Box::new(move |conn: &Connection| {
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
                // The caller may have gone away; the write stands either way.
                let _ = done_tx.send(outcome);
            });
            (ok, finish)
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

fn run(conn: Connection, mut rx: mpsc::Receiver<Msg>, counters: &Counters) {
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
        run_group(&conn, batch, counters);
    }
    // Refuse whatever raced in after the stop: dropping the jobs drops their reply channels, and
    // their callers see `Closed`.
    rx.close();
    while rx.try_recv().is_ok() {}
}

fn run_group(conn: &Connection, batch: Vec<Job>, counters: &Counters) {
    let mut finishes = Vec::with_capacity(batch.len());
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
        // Without a transaction the jobs cannot run. Dropping them drops their reply channels, so
        // each caller gets an error and nothing was written.
        tracing::error!(error = %e, jobs = batch.len(), "cannot begin a transaction");
        drop(batch);
        return;
    }
    for job in batch {
        counters.jobs.fetch_add(1, Ordering::Relaxed);
        if let Err(e) = conn.prepare_cached("SAVEPOINT job").and_then(|mut st| st.execute([])) {
            tracing::error!(error = %e, "savepoint failed");
        }
        let (ok, finish) = job(conn);
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
    }
    let commit = conn.execute_batch("COMMIT");
    match commit {
        Ok(()) => {
            counters.commits.fetch_add(1, Ordering::Relaxed);
            for f in finishes {
                f(Ok(()));
            }
        }
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            let msg = e.to_string();
            tracing::error!(error = %msg, "commit failed; the group was rolled back");
            for f in finishes {
                f(Err(StoreError::Invalid(format!("commit failed: {msg}"))));
            }
        }
    }
}
