//! The housekeeper: one thread per pool that keeps its time. It times out waiting calls, grows the pool for
//! calls that waited long enough, drops instances that stayed idle, and keeps the minimum warm.

use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::MutexGuard;

use crate::lease::Instance;
use crate::state::{Shared, State};
use crate::waiter::Grant;

/// How long the housekeeper waits before trying again to make an instance after making one failed.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(1);

/// Starts the housekeeper of `pool`; it runs until the pool sets [`State::stopping`].
///
/// # Errors
/// When the thread cannot be started.
pub(crate) fn spawn(pool: Arc<Shared>) -> std::io::Result<()> {
    std::thread::Builder::new().name(format!("{}-housekeeper", pool.settings.name)).spawn(move || run(&pool)).map(drop)
}

fn run(pool: &Shared) {
    let settings = &pool.settings;
    let mut next_shrink = settings.idle_timeout.map(|timeout| Instant::now() + timeout);
    let mut retry_at: Option<Instant> = None;
    let mut state = pool.state.lock();
    while !state.stopping {
        let now = Instant::now();
        let next_expiry = state.expire_waiters(now);
        let mut dropped = Vec::new();
        if let (Some(at), Some(timeout)) = (next_shrink, settings.idle_timeout)
            && at <= now
        {
            dropped = state.shrink(settings.min);
            next_shrink = Some(now + timeout);
        }
        let to_make = top_up(&mut state, settings.min, retry_at.is_none_or(|at| at <= now));
        if dropped.is_empty() && to_make.is_empty() {
            match [next_expiry, next_shrink, retry_at].into_iter().flatten().filter(|at| *at > now).min() {
                Some(at) => drop(pool.housekeeping.wait_until(&mut state, at)),
                None => pool.housekeeping.wait(&mut state),
            }
            continue;
        }
        retry_at = MutexGuard::unlocked(&mut state, || {
            pool.retire(dropped);
            make_all(pool, to_make)
        });
    }
}

/// Room for the instances the pool lacks to have its minimum, unless it is closed or must not retry yet.
fn top_up(state: &mut State, min: usize, may_make: bool) -> Vec<Grant> {
    if state.closed || !may_make {
        return Vec::new();
    }
    (state.live..min).map(|_| state.make_one()).collect()
}

/// Makes the instances `grants` leave room for and puts them in the pool. Returns when to try again if
/// making one failed.
fn make_all(pool: &Shared, grants: Vec<Grant>) -> Option<Instant> {
    let mut retry_at = None;
    for grant in grants {
        let Grant::Make(source, generation) = grant else { continue };
        match source.make() {
            Ok(host) => {
                let stale = pool.update(|state| state.put_back(Instance::new(host, generation)));
                pool.retire(stale);
            }
            Err(error) => {
                wapc::__event!(warn, "pool `{}` could not make an instance: {error}", pool.settings.name);
                pool.update(State::forget_one);
                retry_at = Some(Instant::now() + RETRY_AFTER_FAILURE);
            }
        }
    }
    retry_at
}
