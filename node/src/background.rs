//! A task that runs until the node stops (alert evaluation, summary mail, release scheduling and
//! delivery): spawned with a stop signal it watches, stopped by sending the signal and waiting
//! for the task to return.

use std::future::Future;

use tokio::sync::watch;
use tokio::task::JoinHandle;

pub struct Background {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Background {
    /// Spawns `run(stopped)` on the current runtime; `stopped` changes to `true` at [`stop`].
    ///
    /// [`stop`]: Background::stop
    pub fn spawn<F, Fut>(run: F) -> Background
    where
        F: FnOnce(watch::Receiver<bool>) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let (stop, stopped) = watch::channel(false);
        Background { stop, task: tokio::spawn(run(stopped)) }
    }

    /// Signals the task and waits until it has returned.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}
