//! A small pool of read-only connections. WAL lets them read while the writer writes; async callers
//! run their query on a blocking thread, bounded by a semaphore the size of the pool.

use std::sync::Mutex;

use rusqlite::Connection;
use tokio::sync::Semaphore;

use super::StoreError;

type Opener = Box<dyn Fn() -> Result<Connection, StoreError> + Send + Sync>;

pub(super) struct ReaderPool {
    idle: std::sync::Arc<Mutex<Vec<Connection>>>,
    permits: std::sync::Arc<Semaphore>,
    open: std::sync::Arc<Opener>,
    size: usize,
}

impl ReaderPool {
    pub(super) fn new(size: usize, open: Opener) -> ReaderPool {
        ReaderPool {
            idle: std::sync::Arc::new(Mutex::new(Vec::with_capacity(size))),
            permits: std::sync::Arc::new(Semaphore::new(size)),
            open: std::sync::Arc::new(open),
            size,
        }
    }

    pub(super) async fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&Connection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let permit = self.permits.clone().acquire_owned().await.map_err(|_| E::from(StoreError::Closed))?;
        let idle = self.idle.clone();
        let open = self.open.clone();
        let size = self.size;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            with_connection(&idle, &open, size, f)
        })
        .await
        .map_err(|e| E::from(StoreError::Invalid(format!("read task failed: {e}"))))?
    }

    pub(super) fn read_blocking<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&Connection) -> Result<T, E>,
        E: From<StoreError>,
    {
        with_connection(&self.idle, &self.open, self.size, f)
    }
}

fn with_connection<T, E, F>(idle: &Mutex<Vec<Connection>>, open: &Opener, size: usize, f: F) -> Result<T, E>
where
    F: FnOnce(&Connection) -> Result<T, E>,
    E: From<StoreError>,
{
    let pooled = idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
    let conn = match pooled {
        Some(c) => c,
        None => open().map_err(E::from)?,
    };
    let result = f(&conn);
    let mut idle = idle.lock().unwrap_or_else(|p| p.into_inner());
    if idle.len() < size {
        idle.push(conn);
    }
    result
}
