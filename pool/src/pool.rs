//! [`Pool`]: instances of one compiled module, each running one call at a time.

use std::sync::Arc;

use parking_lot::{Condvar, Mutex};
use wapc::errors::{Error, Result};

use crate::acquire::{Acquire, acquire_blocking};
use crate::builder::{PoolBuilder, Settings};
use crate::host::PoolHost;
use crate::housekeeper;
use crate::lease::Instance;
use crate::source::Source;
use crate::state::{Shared, State};
use crate::stats::PoolStats;
use crate::threads::Threads;

/// A pool of instances of one waPC module: up to [`max_instances`](PoolBuilder::max_instances) calls run at
/// once, each on an instance of its own. See the [crate documentation](crate) for how it behaves.
///
/// `Pool` is `Send + Sync`: share it by reference between threads, or in an `Arc`.
pub struct Pool {
    shared: Arc<Shared>,
    threads: Threads,
}

impl Pool {
    /// A builder with the default settings.
    pub fn builder() -> PoolBuilder {
        PoolBuilder::new()
    }

    /// Starts a pool and makes its minimum number of instances. If one cannot be made: with `strict`, the error
    /// is returned; without, it is logged and the housekeeper keeps trying.
    pub(crate) fn start(settings: Settings, source: Source, strict: bool) -> Result<Pool> {
        let shared = Self::shared(settings, source);
        match warm(&shared) {
            Err(error) if strict => return Err(error),
            Err(error) => {
                wapc::__event!(warn, "pool `{}` could not make its first instances: {error}", shared.settings.name)
            }
            Ok(()) => {}
        }
        Self::run(shared)
    }

    /// Starts a pool of async hosts and makes its minimum number of instances, on the caller's task.
    pub(crate) async fn start_async(settings: Settings, source: Source) -> Result<Pool> {
        let shared = Self::shared(settings, source);
        let source = Arc::clone(&shared.state.lock().source);
        for _ in 0..shared.settings.min {
            add_idle(&shared, source.make_async().await?);
        }
        Self::run(shared)
    }

    fn shared(mut settings: Settings, source: Source) -> Arc<Shared> {
        settings.min = settings.min.min(settings.max);
        let state = State::new(source, settings.max);
        Arc::new(Shared { settings, state: Mutex::new(state), housekeeping: Condvar::new(), drained: Condvar::new() })
    }

    /// Starts the housekeeper and the threads of a pool whose first instances are made.
    fn run(shared: Arc<Shared>) -> Result<Pool> {
        housekeeper::spawn(Arc::clone(&shared))?;
        let threads = Threads::new(&shared.settings.name, shared.settings.max);
        Ok(Pool { shared, threads })
    }

    /// The pool's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.shared.settings.name
    }

    /// Runs `operation` of the guest with `payload` on an instance, on the calling thread, waiting for one
    /// if all are busy.
    ///
    /// # Errors
    /// Those of [`WapcHost::call`](wapc::WapcHost::call) and of making an instance;
    /// [`Error::PoolTimeout`] when no instance became free within the acquire timeout;
    /// [`Error::PoolClosed`] after [`shutdown`](Self::shutdown).
    pub fn call(&self, operation: &str, payload: &[u8]) -> Result<Vec<u8>> {
        acquire_blocking(&self.shared)?.call(operation, payload)
    }

    /// Runs `operation` of the guest with `payload` on an instance, from async code: the wait for an instance
    /// holds no thread, and the guest runs on one of the pool's own threads. Dropping the future before it
    /// has an instance leaves the queue; once the guest runs, the call completes and its result is dropped.
    ///
    /// A pool of async hosts ([`build_async`](PoolBuilder::build_async)) runs the guest on the caller's task
    /// instead; dropping the future then cancels the call, and the instance is replaced before its next one.
    ///
    /// # Errors
    /// Those of [`call`](Self::call).
    pub async fn call_async(&self, operation: impl Into<String>, payload: impl Into<Vec<u8>>) -> Result<Vec<u8>> {
        let (operation, payload) = (operation.into(), payload.into());
        let mut lease = Acquire::new(&self.shared).await?;
        if lease.is_async() {
            return lease.call_async(&operation, &payload).await;
        }
        let (answer, answered) = tokio::sync::oneshot::channel();
        // The caller's span goes with the call to the pool's thread: the guest's `wapc.call` nests inside it.
        let span = tracing::Span::current();
        self.threads.run(Box::new(move || {
            let _inside = span.enter();
            let result = lease.call(&operation, &payload);
            // The instance goes back before the caller hears: its next call finds it free.
            drop(lease);
            let _ = answer.send(result);
        }));
        answered.await.unwrap_or_else(|_| Err(Error::provider(format!("pool `{}` lost its thread", self.name()))))
    }

    /// Replaces the module of every instance with `module` (the bytes of a new one, compiled once). Calls
    /// running finish on the old module; calls that start after this returns run on the new one; no call sees
    /// a mix. If the new module fails to compile or initialise, the pool keeps the old one and the error is
    /// returned.
    ///
    /// # Errors
    /// Those of [`WapcHost::replace_module`](wapc::WapcHost::replace_module); [`Error::Provider`] for a pool
    /// built from a host factory.
    pub fn replace_module(&self, module: &[u8]) -> Result<()> {
        let source = Arc::clone(&self.shared.state.lock().source);
        let (source, first) = source.with_module(module)?;
        self.swap_source(source, first);
        Ok(())
    }

    /// [`replace_module`](Self::replace_module) for a pool of async hosts, without blocking (a pool of
    /// blocking hosts is served as `replace_module` serves it).
    ///
    /// # Errors
    /// Those of [`replace_module`](Self::replace_module).
    pub async fn replace_module_async(&self, module: &[u8]) -> Result<()> {
        let source = Arc::clone(&self.shared.state.lock().source);
        let (source, first) = source.with_module_async(module).await?;
        self.swap_source(source, first);
        Ok(())
    }

    fn swap_source(&self, source: Source, first: PoolHost) {
        let stale = self.shared.update(|state| state.replace_source(source, Instance::new(first, 0)));
        self.shared.retire(stale);
    }

    /// Refuses the calls waiting and every later call with [`Error::PoolClosed`], and returns when the calls
    /// running have finished and every instance is dropped. Calling it from a host callback of this pool's own
    /// guest would wait for itself: don't.
    pub fn shutdown(&self) {
        let idle = self.shared.update(State::close);
        self.shared.retire(idle);
        let mut state = self.shared.state.lock();
        while state.live > 0 {
            self.shared.drained.wait(&mut state);
        }
    }

    /// The most instances the pool has at once: how many calls it runs at once.
    #[must_use]
    pub fn max_instances(&self) -> usize {
        self.shared.settings.max
    }

    /// What the pool is doing right now.
    #[must_use]
    pub fn stats(&self) -> PoolStats {
        self.shared.state.lock().stats()
    }
}

/// Makes the pool's minimum number of instances.
fn warm(pool: &Shared) -> Result<()> {
    let source = Arc::clone(&pool.state.lock().source);
    for _ in 0..pool.settings.min {
        add_idle(pool, source.make()?);
    }
    Ok(())
}

/// Adds a new instance of the first generation to the idle ones.
fn add_idle(pool: &Shared, host: PoolHost) {
    let mut state = pool.state.lock();
    state.live += 1;
    state.idle.push(Instance::new(host, 0));
}

impl Drop for Pool {
    fn drop(&mut self) {
        let idle = self.shared.update(|state| {
            state.stopping = true;
            state.close()
        });
        self.shared.housekeeping.notify_all();
        self.shared.retire(idle);
    }
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool").field("name", &self.name()).field("stats", &self.stats()).finish()
    }
}
