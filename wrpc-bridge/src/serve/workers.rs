//! [`Workers`]: a bounded set of threads for work that blocks: decoding large parameters, and calling the guest.
//!
//! Such work must not run on the runtime's async workers, and tokio's blocking pool alone would start a thread for
//! each of up to 512 waiting tasks. Here a task first takes one of a fixed number of places, then runs on the
//! blocking pool: never more threads busy than places.

use std::sync::Arc;

use tokio::sync::Semaphore;

/// A fixed number of places to run blocking work in.
#[derive(Debug, Clone)]
pub(super) struct Workers {
    places: Arc<Semaphore>,
}

impl Workers {
    /// `places` places (at least one).
    pub(super) fn new(places: usize) -> Self {
        Workers { places: Arc::new(Semaphore::new(places.max(1))) }
    }

    /// As many places as the machine has cores.
    pub(super) fn per_core() -> Self {
        Self::new(std::thread::available_parallelism().map_or(1, usize::from))
    }

    /// Runs `work` on a thread of the blocking pool once a place is free; `None` if it panicked. The place is held
    /// until `work` returns, even if the caller stops waiting for it.
    pub(super) async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
        let place = Arc::clone(&self.places).acquire_owned().await.ok()?;
        tokio::task::spawn_blocking(move || {
            let _place = place;
            work()
        })
        .await
        .ok()
    }
}
