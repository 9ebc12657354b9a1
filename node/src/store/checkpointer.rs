//! WAL checkpoints on their own thread. SQLite's automatic checkpoint runs on the connection that
//! commits — here the single writer, whose time bounds ingest throughput — so the writer's
//! automatic checkpoint is turned off and this thread, with its own connection, copies committed
//! WAL frames into the database file (`PRAGMA wal_checkpoint(PASSIVE)`: it never blocks the writer
//! or readers) once a second while there is anything to copy.

use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::Connection;

/// How often the WAL is checked.
const EVERY: Duration = Duration::from_secs(1);

type Stop = Arc<(Mutex<bool>, Condvar)>;

pub(super) struct Checkpointer {
    stop: Stop,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Checkpointer {
    pub(super) fn start(conn: Connection) -> Checkpointer {
        let stop: Stop = Arc::new((Mutex::new(false), Condvar::new()));
        let s = stop.clone();
        let thread = std::thread::Builder::new().name("lantern-ckpt".into()).spawn(move || run(&conn, &s)).ok();
        if thread.is_none() {
            tracing::warn!("cannot start the checkpoint thread; the WAL is checkpointed when the node stops");
        }
        Checkpointer { stop, thread: Mutex::new(thread) }
    }

    /// Stops the thread (a last checkpoint happens when the connections close).
    pub(super) fn stop(&self) {
        let (flag, cv) = &*self.stop;
        *flag.lock().unwrap_or_else(|p| p.into_inner()) = true;
        cv.notify_all();
        if let Some(t) = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = t.join();
        }
    }
}

fn run(conn: &Connection, stop: &Stop) {
    let (flag, cv) = &**stop;
    // Frames in the WAL after the last checkpoint, to skip idle rounds.
    let mut last_frames = -1i64;
    loop {
        {
            let stopped = flag.lock().unwrap_or_else(|p| p.into_inner());
            let (stopped, _) = cv.wait_timeout_while(stopped, EVERY, |s| !*s).unwrap_or_else(|p| p.into_inner());
            if *stopped {
                return;
            }
        }
        match conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| Ok((r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))) {
            Ok((frames, copied)) => {
                if frames != last_frames {
                    tracing::trace!(frames, copied, "checkpoint");
                }
                last_frames = frames;
            }
            Err(e) => tracing::warn!("checkpoint: {e}"),
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop();
    }
}
