//! The engine's thread in a running node. Ingest hands it committed events ([`IndicatorWorker::submit`],
//! never blocking: if its queue is full it notes that it is behind and the thread re-reads the
//! events from the database). The thread applies events in seq order, publishes the live events,
//! and flushes the derived rows with the progress marker at most every [`FLUSH_EVERY`] (at once
//! when it is idle). Readers that must see every acknowledged statement reflected wait for the
//! flush with [`IndicatorWorker::settled`].

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TryRecvError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::Engine;
use crate::alerts::evaluator::DirtyStudents;
use crate::events::LearningEvent;
use crate::store::indicators::progress;
use crate::store::{Store, StoreError};

/// Batches of events queued before the engine is considered behind.
const QUEUE: usize = 1024;
/// Longest time applied events wait in memory before they are written.
pub const FLUSH_EVERY: Duration = Duration::from_millis(400);
/// Most events applied before a write, whatever the time.
const FLUSH_EVENTS: usize = 20_000;
/// Events read per query when catching up from the database.
const CATCH_UP_CHUNK: usize = 5_000;

enum Msg {
    Events(Vec<LearningEvent>),
    Stop,
}

struct Shared {
    /// Highest seq handed over by ingest.
    handed: AtomicI64,
    /// Set when a batch could not be queued: the thread re-reads from the database.
    behind: AtomicBool,
    /// How many batches could not be queued since start.
    times_behind: std::sync::atomic::AtomicU64,
    /// Highest seq whose derived rows are committed.
    flushed: watch::Sender<i64>,
}

/// Handle to the engine's thread.
pub struct IndicatorWorker {
    tx: SyncSender<Msg>,
    shared: Arc<Shared>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl IndicatorWorker {
    /// Starts the thread; it first catches up with events stored since the recorded progress.
    pub fn start(store: Store, engine: Arc<Engine>, dirty: Arc<DirtyStudents>) -> IndicatorWorker {
        Self::start_with_queue(store, engine, dirty, QUEUE)
    }

    /// `start` with a queue of `queue` batches (tests use a tiny one to exercise catching up).
    pub(crate) fn start_with_queue(
        store: Store,
        engine: Arc<Engine>,
        dirty: Arc<DirtyStudents>,
        queue: usize,
    ) -> IndicatorWorker {
        let (tx, rx) = mpsc::sync_channel(queue);
        let shared = Arc::new(Shared {
            handed: AtomicI64::new(0),
            behind: AtomicBool::new(false),
            times_behind: std::sync::atomic::AtomicU64::new(0),
            flushed: watch::channel(0).0,
        });
        let s = shared.clone();
        let thread = std::thread::Builder::new()
            .name("lantern-indicators".into())
            .spawn(move || Worker::new(store, engine, dirty, s).run(&rx))
            // Only fails when the process is out of threads or memory: nothing sensible can follow.
            .unwrap_or_else(|e| panic!("cannot start the indicator thread: {e}"));
        IndicatorWorker { tx, shared, thread: Mutex::new(Some(thread)) }
    }

    /// Hands over events that just committed. Never blocks.
    pub fn submit(&self, events: Vec<LearningEvent>) {
        let Some(max) = events.iter().map(|e| e.seq).max() else { return };
        self.shared.handed.fetch_max(max, Ordering::SeqCst);
        if self.tx.try_send(Msg::Events(events)).is_err() {
            self.shared.times_behind.fetch_add(1, Ordering::Relaxed);
            self.shared.behind.store(true, Ordering::SeqCst);
        }
    }

    /// Waits (at most `wait`) until every event handed over so far is written; false on timeout.
    pub async fn settled(&self, wait: Duration) -> bool {
        let target = self.shared.handed.load(Ordering::SeqCst);
        let mut rx = self.shared.flushed.subscribe();
        if *rx.borrow() >= target {
            return true;
        }
        let reached = matches!(tokio::time::timeout(wait, rx.wait_for(|f| *f >= target)).await, Ok(Ok(_)));
        reached
    }

    /// How many batches arrived while the queue was full (each made the engine re-read).
    pub fn times_behind(&self) -> u64 {
        self.shared.times_behind.load(Ordering::Relaxed)
    }

    /// Highest seq whose derived rows are committed.
    pub fn flushed_seq(&self) -> i64 {
        *self.shared.flushed.borrow()
    }

    /// Applies and writes what is queued, then stops the thread (before the store shuts down).
    pub fn stop(&self) {
        let _ = self.tx.send(Msg::Stop);
        if let Some(t) = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = t.join();
        }
    }
}

struct Worker {
    store: Store,
    engine: Arc<Engine>,
    dirty: Arc<DirtyStudents>,
    shared: Arc<Shared>,
    /// Highest seq applied in memory.
    cursor: i64,
    generation: i64,
    last_flush: Instant,
    /// A read or write failed: start again from the recorded progress.
    failed: bool,
    /// Highest seq whose live events were published (a restart re-applies, but does not
    /// re-publish, what was already pushed to the stream).
    published: i64,
    /// A stop was asked for: the store may close under the last flush.
    stopping: bool,
}

impl Worker {
    fn new(store: Store, engine: Arc<Engine>, dirty: Arc<DirtyStudents>, shared: Arc<Shared>) -> Worker {
        Worker {
            store,
            engine,
            dirty,
            shared,
            cursor: 0,
            generation: 0,
            last_flush: Instant::now(),
            failed: false,
            published: 0,
            stopping: false,
        }
    }

    fn run(mut self, rx: &Receiver<Msg>) {
        self.restart();
        loop {
            if self.failed {
                // Nothing is lost: the events are stored. Try again shortly.
                std::thread::sleep(Duration::from_millis(500));
                self.restart();
            }
            let wait = FLUSH_EVERY.saturating_sub(self.last_flush.elapsed());
            let first = if self.engine.state().unflushed() > 0 {
                rx.recv_timeout(wait)
            } else {
                rx.recv().map_err(|_| RecvTimeoutError::Disconnected)
            };
            let mut stop = false;
            let mut events = Vec::new();
            match first {
                Ok(Msg::Events(e)) => events = e,
                Ok(Msg::Stop) | Err(RecvTimeoutError::Disconnected) => stop = true,
                Err(RecvTimeoutError::Timeout) => {}
            }
            let mut drained = true;
            while !stop && events.len() < FLUSH_EVENTS {
                match rx.try_recv() {
                    Ok(Msg::Events(e)) => events.extend(e),
                    Ok(Msg::Stop) | Err(TryRecvError::Disconnected) => stop = true,
                    Err(TryRecvError::Empty) => break,
                }
            }
            if events.len() >= FLUSH_EVENTS {
                drained = false;
            }
            if stop {
                self.stopping = true;
            }
            if self.shared.behind.swap(false, Ordering::SeqCst) {
                // A batch could not be queued: everything handed over is committed, so read it
                // all from the database first; the cursor then skips the queued copies.
                self.catch_up();
            }
            self.apply(events);
            let unflushed = self.engine.state().unflushed();
            if unflushed > 0
                && (stop || unflushed >= FLUSH_EVENTS || (drained && self.last_flush.elapsed() >= FLUSH_EVERY))
            {
                self.flush();
            }
            if stop {
                return;
            }
        }
    }

    /// (Re)starts from the recorded progress: drops what memory holds and re-reads what follows.
    fn restart(&mut self) {
        self.failed = false;
        self.engine.reset();
        loop {
            match self.store.read_blocking(progress::load) {
                Ok(p) => {
                    self.cursor = p.applied_seq;
                    self.generation = p.generation;
                    self.shared.flushed.send_replace(p.applied_seq);
                    break;
                }
                Err(StoreError::Closed) => return,
                Err(e) => {
                    tracing::warn!("indicators: reading progress: {e}");
                    std::thread::sleep(Duration::from_secs(1));
                }
            }
        }
        self.catch_up();
    }

    /// Applies every committed event after the cursor, from the database.
    fn catch_up(&mut self) {
        while !self.failed {
            let cursor = self.cursor;
            let events = match self.store.read_blocking(|c| progress::events_after(c, cursor, CATCH_UP_CHUNK)) {
                Ok(e) => e,
                Err(e) => {
                    tracing::warn!("indicators: catching up: {e}");
                    self.failed = true;
                    return;
                }
            };
            if events.is_empty() {
                return;
            }
            self.apply(events);
            self.flush();
        }
    }

    /// Applies the events after the cursor and publishes the live events of those not published
    /// before.
    fn apply(&mut self, mut events: Vec<LearningEvent>) {
        let cursor = self.cursor;
        events.retain(|e| e.seq > cursor);
        if self.failed || events.is_empty() {
            return;
        }
        // The cursor passes every event read, including any skipped below.
        let last = events.iter().map(|e| e.seq).max().unwrap_or(cursor);
        // Ingest stores only valid times; an event that is not is skipped rather than retried forever.
        events.retain(|e| {
            let ok = crate::indicators::date_of(&e.at).is_ok();
            if !ok {
                tracing::warn!(seq = e.seq, "indicators: learning event with an invalid time skipped");
            }
            ok
        });
        let published = self.published;
        let split = events.partition_point(|e| e.seq <= published);
        let engine = self.engine.clone();
        let result = self.store.read_blocking(|c| -> Result<_, StoreError> {
            let mut state = engine.state();
            state.apply(c, &events[..split])?;
            state.apply(c, &events[split..])
        });
        match result {
            Ok(live) => {
                self.cursor = last;
                self.published = self.published.max(last);
                engine.hub().publish(live);
            }
            Err(e) => {
                tracing::warn!("indicators: applying events: {e}");
                self.failed = true;
            }
        }
    }

    /// Writes the derived rows of everything applied, with the progress marker.
    fn flush(&mut self) {
        self.last_flush = Instant::now();
        if self.failed {
            return;
        }
        let writes = self.engine.state().take_writes();
        if writes.events == 0 {
            return;
        }
        let generation = self.generation;
        let written = self.store.write_blocking(move |c| -> Result<Option<(i64, Vec<String>)>, StoreError> {
            if progress::load(c)?.generation != generation {
                return Ok(None);
            }
            writes.write(c)?;
            Ok(Some((writes.max_seq, writes.students)))
        });
        match written {
            Ok(Some((seq, students))) => {
                self.shared.flushed.send_replace(seq);
                self.dirty.mark(students.iter().map(String::as_str));
            }
            Ok(None) => {
                tracing::info!("indicators: the tables were rebuilt; resuming from the rebuild");
                self.restart();
            }
            // Closed while stopping: the events are stored, the next start applies them.
            Err(StoreError::Closed) if self.stopping => {}
            Err(e) => {
                tracing::warn!("indicators: writing: {e}");
                self.failed = true;
            }
        }
    }
}
