//! Getting an instance for a call: at once when one is idle, otherwise by waiting in the queue, from a
//! thread ([`acquire_blocking`]) or a task ([`Acquire`]).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use wapc::errors::Result;

use crate::lease::Lease;
use crate::state::Shared;
use crate::waiter::{Grant, Waiter, Wake};

/// Waits on the calling thread for an instance of `pool`.
///
/// # Errors
/// [`Error::PoolClosed`](wapc::errors::Error::PoolClosed), [`Error::PoolTimeout`](wapc::errors::Error::PoolTimeout).
pub(crate) fn acquire_blocking(pool: &Shared) -> Result<Lease<&Shared>> {
    let waiter = match try_take_or_queue(pool, || Wake::Thread(std::thread::current())) {
        Ok(grant) => return Lease::new(pool, grant),
        Err(waiter) => waiter,
    };
    loop {
        if let Some(grant) = waiter.take_grant() {
            return Lease::new(pool, grant);
        }
        std::thread::park();
    }
}

/// An instance at once, or a place in the queue that `wake` wakes.
fn try_take_or_queue(pool: &Shared, wake: impl FnOnce() -> Wake) -> std::result::Result<Grant, Arc<Waiter>> {
    let settings = &pool.settings;
    let mut state = pool.state.lock();
    if let Some(grant) = state.try_take(settings.grow_after.is_zero()) {
        return Ok(grant);
    }
    let now = Instant::now();
    let grow_at = (!settings.grow_after.is_zero()).then(|| now + settings.grow_after);
    let deadline = settings.acquire_timeout.map(|timeout| now + timeout);
    let waiter = Arc::new(Waiter::new(wake(), now, deadline, grow_at));
    state.waiting.push_back(Arc::clone(&waiter));
    if waiter.has_times() {
        pool.housekeeping.notify_one();
    }
    Err(waiter)
}

/// Waits in a task for an instance of a pool, without holding a thread. Dropping it leaves the queue (or
/// gives back what it was granted meanwhile).
pub(crate) struct Acquire<'a> {
    pool: &'a Arc<Shared>,
    waiter: Option<Arc<Waiter>>,
}

impl<'a> Acquire<'a> {
    pub(crate) fn new(pool: &'a Arc<Shared>) -> Self {
        Acquire { pool, waiter: None }
    }
}

impl Future for Acquire<'_> {
    type Output = Result<Lease<Arc<Shared>>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let grant = match &self.waiter {
            Some(waiter) => waiter.take_grant_or_wake(cx.waker()),
            None => match try_take_or_queue(self.pool, || Wake::Task(Waker::clone(cx.waker()))) {
                Ok(grant) => Some(grant),
                Err(waiter) => {
                    self.waiter = Some(waiter);
                    None
                }
            },
        };
        match grant {
            Some(grant) => {
                self.waiter = None;
                Poll::Ready(Lease::new(Arc::clone(self.pool), grant))
            }
            None => Poll::Pending,
        }
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        if let Some(waiter) = self.waiter.take() {
            let stale = self.pool.update(|state| state.cancel(&waiter));
            self.pool.retire(stale);
        }
    }
}
