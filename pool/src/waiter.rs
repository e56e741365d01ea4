//! [`Waiter`]: a call queued for an instance, and the [`Grant`] that ends its wait.

use std::sync::Arc;
use std::task::Waker;
use std::thread::Thread;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::lease::Instance;
use crate::source::Source;

/// What a waiting call is given: an instance, the right to make one, or the reason it will get neither.
pub(crate) enum Grant {
    /// An idle instance.
    Ready(Instance),
    /// Room for one more instance, made from this source, of this generation of the pool's module.
    Make(Arc<Source>, u64),
    /// The pool was shut down.
    Closed,
    /// The acquire timeout passed after waiting this long.
    TimedOut(Duration),
}

/// A call waiting in a pool's queue. The pool's lock orders every change to the queue; the waiter's own lock
/// only hands the grant over.
pub(crate) struct Waiter {
    slot: Mutex<Slot>,
    /// When the call started waiting.
    pub(crate) since: Instant,
    /// When the call gives up with [`Grant::TimedOut`], if ever.
    pub(crate) deadline: Option<Instant>,
    /// When the call may have a new instance made for it rather than wait for a busy one, if ever.
    pub(crate) grow_at: Option<Instant>,
}

struct Slot {
    grant: Option<Grant>,
    wake: Wake,
}

/// How to wake the waiting call.
pub(crate) enum Wake {
    /// A blocked thread.
    Thread(Thread),
    /// An async task.
    Task(Waker),
}

impl Waiter {
    pub(crate) fn new(wake: Wake, since: Instant, deadline: Option<Instant>, grow_at: Option<Instant>) -> Self {
        Waiter { slot: Mutex::new(Slot { grant: None, wake }), since, deadline, grow_at }
    }

    /// Whether the pool's housekeeper must watch the clock for this waiter.
    pub(crate) fn has_times(&self) -> bool {
        self.deadline.is_some() || self.grow_at.is_some()
    }

    /// Ends the wait with `grant` and wakes the call.
    pub(crate) fn grant(&self, grant: Grant) {
        let mut slot = self.slot.lock();
        slot.grant = Some(grant);
        match &slot.wake {
            Wake::Thread(thread) => thread.unpark(),
            Wake::Task(waker) => waker.wake_by_ref(),
        }
    }

    /// The grant, if the wait has ended.
    pub(crate) fn take_grant(&self) -> Option<Grant> {
        self.slot.lock().grant.take()
    }

    /// The grant if the wait has ended; otherwise the task to wake becomes `waker`.
    pub(crate) fn take_grant_or_wake(&self, waker: &Waker) -> Option<Grant> {
        let mut slot = self.slot.lock();
        if slot.grant.is_none() {
            match &mut slot.wake {
                Wake::Task(current) => current.clone_from(waker),
                wake @ Wake::Thread(_) => *wake = Wake::Task(waker.clone()),
            }
        }
        slot.grant.take()
    }
}
