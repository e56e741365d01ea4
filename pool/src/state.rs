//! [`Shared`] and [`State`]: the bookkeeping of a pool's instances and of the calls waiting for one.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use parking_lot::{Condvar, Mutex};

use crate::builder::Settings;
use crate::lease::Instance;
use crate::source::Source;
use crate::stats::PoolStats;
use crate::waiter::{Grant, Waiter};

/// What callers, leases and the housekeeper of one pool share.
pub(crate) struct Shared {
    pub(crate) settings: Settings,
    pub(crate) state: Mutex<State>,
    /// Wakes the housekeeper: a waiter with a deadline arrived, the pool fell below its minimum, it closed.
    pub(crate) housekeeping: Condvar,
    /// Wakes [`Pool::shutdown`](crate::Pool::shutdown) when the last instance is gone.
    pub(crate) drained: Condvar,
}

impl Shared {
    /// Runs `change` on the state, then wakes whoever the change concerns: a shutdown waiting for the last
    /// instance, the housekeeper when the pool fell below its minimum. What `change` returns (instances to
    /// drop) is dropped by the caller, after the lock.
    pub(crate) fn update<R>(&self, change: impl FnOnce(&mut State) -> R) -> R {
        let mut state = self.state.lock();
        let result = change(&mut state);
        if state.closed {
            if state.live == 0 {
                self.drained.notify_all();
            }
        } else if state.live < self.settings.min {
            self.housekeeping.notify_one();
        }
        result
    }

    /// Drops `instances`, outside the lock, and only then counts them gone: until their memory is freed they
    /// count against the maximum (a pooling allocator has a slot for each, no more).
    pub(crate) fn retire(&self, instances: impl IntoIterator<Item = Instance>) {
        let gone = instances.into_iter().count();
        if gone > 0 {
            self.update(|state| (0..gone).for_each(|_| state.forget_one()));
        }
    }
}

/// The pool's instances and queue. Every field changes under the pool's lock.
pub(crate) struct State {
    /// Instances not running a call, the most recently used last.
    pub(crate) idle: Vec<Instance>,
    /// The fewest instances idle since the housekeeper last looked: that many went unused all along.
    pub(crate) idle_low_water: usize,
    /// Instances idle, running a call, or being made.
    pub(crate) live: usize,
    /// Calls waiting for an instance, first come first served.
    pub(crate) waiting: VecDeque<Arc<Waiter>>,
    /// Where instances come from now, and which generation of the module that is.
    pub(crate) source: Arc<Source>,
    pub(crate) generation: u64,
    /// No more calls are accepted.
    pub(crate) closed: bool,
    /// The housekeeper must end (the pool was dropped).
    pub(crate) stopping: bool,
    max: usize,
}

impl State {
    pub(crate) fn new(source: Source, max: usize) -> Self {
        State {
            idle: Vec::new(),
            idle_low_water: 0,
            live: 0,
            waiting: VecDeque::new(),
            source: Arc::new(source),
            generation: 0,
            closed: false,
            stopping: false,
            max,
        }
    }

    /// An instance (or room to make one) for a call that arrives now, unless it must wait. Calls already
    /// waiting go first. `may_grow`: whether the call may have an instance made without waiting first.
    pub(crate) fn try_take(&mut self, may_grow: bool) -> Option<Grant> {
        if self.closed {
            return Some(Grant::Closed);
        }
        if !self.waiting.is_empty() {
            return None;
        }
        if let Some(instance) = self.idle.pop() {
            self.idle_low_water = self.idle_low_water.min(self.idle.len());
            return Some(Grant::Ready(instance));
        }
        (may_grow && self.live < self.max).then(|| self.make_one())
    }

    /// Room for one more instance, counted as live from now.
    pub(crate) fn make_one(&mut self) -> Grant {
        self.live += 1;
        Grant::Make(Arc::clone(&self.source), self.generation)
    }

    /// Takes back an instance whose call has finished: the first waiter gets it, or it waits idle. An instance
    /// of an older module, or of a closed pool, is returned for the caller to [retire](Shared::retire).
    pub(crate) fn put_back(&mut self, instance: Instance) -> Option<Instance> {
        if self.closed || instance.generation != self.generation {
            return Some(instance);
        }
        match self.waiting.pop_front() {
            Some(waiter) => waiter.grant(Grant::Ready(instance)),
            None => self.idle.push(instance),
        }
        None
    }

    /// One live instance is gone (dropped, or never made): the first waiter may have one made in its place.
    pub(crate) fn forget_one(&mut self) {
        self.live = self.live.saturating_sub(1);
        if !self.closed
            && self.live < self.max
            && let Some(waiter) = self.waiting.pop_front()
        {
            let grant = self.make_one();
            waiter.grant(grant);
        }
    }

    /// Takes `waiter` out of the queue, or gives back what it was granted meanwhile. Returns an instance to
    /// [retire](Shared::retire), if one must go.
    pub(crate) fn cancel(&mut self, waiter: &Arc<Waiter>) -> Option<Instance> {
        if let Some(position) = self.waiting.iter().position(|queued| Arc::ptr_eq(queued, waiter)) {
            self.waiting.remove(position);
            return None;
        }
        match waiter.take_grant() {
            Some(Grant::Ready(instance)) => self.put_back(instance),
            Some(Grant::Make(..)) => {
                self.forget_one();
                None
            }
            Some(Grant::Closed | Grant::TimedOut(_)) | None => None,
        }
    }

    /// Refuses every waiting and later call; returns the idle instances, to [retire](Shared::retire).
    pub(crate) fn close(&mut self) -> Vec<Instance> {
        self.closed = true;
        for waiter in self.waiting.drain(..) {
            waiter.grant(Grant::Closed);
        }
        self.idle_low_water = 0;
        std::mem::take(&mut self.idle)
    }

    /// Makes `source` the pool's source, of a new generation, with `first` (made outside the pool) its first
    /// instance. Returns the instances of the old module that were idle, and `first` if the pool is full, to
    /// [retire](Shared::retire).
    pub(crate) fn replace_source(&mut self, source: Source, first: Instance) -> Vec<Instance> {
        self.generation += 1;
        self.source = Arc::new(source);
        let mut stale = std::mem::take(&mut self.idle);
        self.idle_low_water = 0;
        // Counted from now, so that retiring it, if it must go, balances.
        self.live += 1;
        let first = Instance { generation: self.generation, ..first };
        if self.live - stale.len() <= self.max {
            stale.extend(self.put_back(first));
        } else {
            stale.push(first);
        }
        stale
    }

    /// Waiters whose time to give up has come get [`Grant::TimedOut`]; the first waiters whose time to grow
    /// has come get room for a new instance while there is room. Returns when to look again, if ever.
    pub(crate) fn expire_waiters(&mut self, now: Instant) -> Option<Instant> {
        self.waiting.retain(|waiter| match waiter.deadline {
            Some(deadline) if deadline <= now => {
                waiter.grant(Grant::TimedOut(now.saturating_duration_since(waiter.since)));
                false
            }
            _ => true,
        });
        while self.live < self.max && self.waiting.front().and_then(|waiter| waiter.grow_at).is_some_and(|at| at <= now)
        {
            if let Some(waiter) = self.waiting.pop_front() {
                let grant = self.make_one();
                waiter.grant(grant);
            }
        }
        let next_deadline = self.waiting.iter().filter_map(|waiter| waiter.deadline).min();
        let next_growth =
            if self.live < self.max { self.waiting.front().and_then(|waiter| waiter.grow_at) } else { None };
        [next_deadline, next_growth].into_iter().flatten().min()
    }

    /// Takes out, down to `min` live instances, the instances that stayed idle since the last look. Returns
    /// them, to [retire](Shared::retire).
    pub(crate) fn shrink(&mut self, min: usize) -> Vec<Instance> {
        let unused = self.idle_low_water.min(self.idle.len()).min(self.live.saturating_sub(min));
        // The least recently used are at the front.
        let dropped: Vec<Instance> = self.idle.drain(..unused).collect();
        self.idle_low_water = self.idle.len();
        dropped
    }

    pub(crate) fn stats(&self) -> PoolStats {
        PoolStats {
            live: self.live,
            busy: self.live - self.idle.len(),
            idle: self.idle.len(),
            waiting: self.waiting.len(),
        }
    }
}
