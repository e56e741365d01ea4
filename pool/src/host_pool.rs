//! [`HostPool`] and [`HostPoolBuilder`]: the API of upstream `wapc-pool` 1.x, on a [`Pool`].

use std::time::Duration;

use wapc::WapcHost;
use wapc::errors::{Error, Result};

use crate::builder::PoolBuilder;
use crate::pool::Pool;

/// A factory of hosts, as upstream `wapc-pool` takes it.
type Factory = Box<dyn Fn() -> WapcHost + Send + Sync + 'static>;

/// A pool of waPC hosts made by a factory, with upstream `wapc-pool`'s API: each worker is one host.
///
/// Upstream's meanings hold: `min_threads` workers are started at once, up to `max_threads` as calls need
/// them; a call waits `max_wait` for a busy worker before the pool starts another; workers above the minimum
/// end after `max_idle` without calls. Unlike upstream, a call never blocks the executor thread it runs on, a
/// worker whose call aborted gets a fresh instance, and a factory that panics fails calls instead of killing
/// workers. For everything a [`Pool`] can do besides, use it directly.
///
/// ```no_run
/// use wapc::WapcHost;
/// use wapc_pool::HostPoolBuilder;
///
/// # async fn run() -> anyhow::Result<()> {
/// let module = std::fs::read("guest.wasm")?;
/// let engine = wasmtime_provider::WasmtimeEngineProviderBuilder::new().module_bytes(&module).build()?;
/// let pool = HostPoolBuilder::new()
///     .name("pool example")
///     .factory(move || {
///         let engine = engine.clone();
///         WapcHost::new(Box::new(engine), None).unwrap()
///     })
///     .max_threads(5)
///     .build();
/// let answer = pool.call("echo", b"hello".to_vec()).await?;
/// # Ok(())
/// # }
/// ```
#[must_use]
pub struct HostPool {
    /// The name of the pool (for debugging purposes).
    pub name: String,
    pool: Option<Pool>,
}

impl HostPool {
    /// A pool named `name` whose hosts `factory` makes, with `min_threads` to `max_threads` workers.
    pub fn new<N, F>(
        name: N,
        factory: F,
        min_threads: usize,
        max_threads: usize,
        max_wait: Duration,
        max_idle: Duration,
    ) -> Self
    where
        N: AsRef<str>,
        F: Fn() -> WapcHost + Send + Sync + 'static,
    {
        let name = name.as_ref().to_owned();
        let pool = PoolBuilder::new()
            .name(name.clone())
            .min_instances(min_threads)
            .max_instances(max_threads)
            .grow_after(max_wait)
            .idle_timeout(Some(max_idle))
            .build_from_hosts_leniently(move || Ok(factory()));
        let pool = pool.map_err(|error| wapc::__event!(error, "host pool `{name}` could not start: {error}")).ok();
        HostPool { name, pool }
    }

    /// The number of workers (hosts) alive.
    #[must_use]
    pub fn num_active_workers(&self) -> usize {
        self.pool.as_ref().map_or(0, |pool| pool.stats().live)
    }

    /// Calls `op` on one of the workers with `payload`.
    ///
    /// # Errors
    /// Those of [`Pool::call_async`]; [`Error::PoolClosed`] after [`shutdown`](Self::shutdown).
    pub async fn call<T: AsRef<str>>(&self, op: T, payload: Vec<u8>) -> Result<Vec<u8>> {
        match &self.pool {
            Some(pool) => pool.call_async(op.as_ref(), payload).await,
            None => Err(Error::PoolClosed { pool: self.name.clone() }),
        }
    }

    /// Shuts the pool down: waiting calls are refused, running calls finish first.
    ///
    /// # Errors
    /// [`Error::PoolClosed`] when the pool was already shut down.
    pub fn shutdown(&mut self) -> Result<()> {
        let pool = self.pool.take().ok_or_else(|| Error::PoolClosed { pool: self.name.clone() })?;
        pool.shutdown();
        Ok(())
    }
}

impl std::fmt::Debug for HostPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostPool").field("name", &self.name).field("pool", &self.pool).finish()
    }
}

/// Builds a [`HostPool`], with upstream `wapc-pool`'s defaults: 1 to 2 workers, 100 ms `max_wait`, 5 minutes
/// `max_idle`.
#[must_use]
pub struct HostPoolBuilder {
    name: Option<String>,
    factory: Option<Factory>,
    min_threads: usize,
    max_threads: usize,
    max_wait: Duration,
    max_idle: Duration,
}

impl Default for HostPoolBuilder {
    fn default() -> Self {
        HostPoolBuilder {
            name: None,
            factory: None,
            min_threads: 1,
            max_threads: 2,
            max_wait: Duration::from_millis(100),
            max_idle: Duration::from_secs(5 * 60),
        }
    }
}

impl HostPoolBuilder {
    /// A builder with the defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// The pool's name.
    pub fn name<T: AsRef<str>>(mut self, name: T) -> Self {
        self.name = Some(name.as_ref().to_owned());
        self
    }

    /// What makes the host of each worker.
    pub fn factory<F>(mut self, factory: F) -> Self
    where
        F: Fn() -> WapcHost + Send + Sync + 'static,
    {
        self.factory = Some(Box::new(factory));
        self
    }

    /// The workers started at once and kept however idle.
    pub fn min_threads(mut self, min: usize) -> Self {
        self.min_threads = min;
        self
    }

    /// The most workers the pool grows to.
    pub fn max_threads(mut self, max: usize) -> Self {
        self.max_threads = max;
        self
    }

    /// How long a worker above the minimum stays without calls before it ends.
    pub fn max_idle(mut self, timeout: Duration) -> Self {
        self.max_idle = timeout;
        self
    }

    /// How long a call waits for a busy worker before the pool starts another.
    pub fn max_wait(mut self, duration: Duration) -> Self {
        self.max_wait = duration;
        self
    }

    /// Builds the pool.
    ///
    /// # Panics
    /// When no [`factory`](Self::factory) was given, as upstream does.
    pub fn build(mut self) -> HostPool {
        #[allow(clippy::expect_used)]
        let factory = self.factory.take().expect("A waPC host pool must have a factory function.");
        HostPool::new(
            self.name.unwrap_or_else(|| "waPC host pool".to_owned()),
            factory,
            self.min_threads,
            self.max_threads,
            self.max_wait,
            self.max_idle,
        )
    }
}

impl std::fmt::Debug for HostPoolBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostPoolBuilder")
            .field("name", &self.name)
            .field("factory", &self.factory.is_some())
            .field("min_threads", &self.min_threads)
            .field("max_threads", &self.max_threads)
            .field("max_wait", &self.max_wait)
            .field("max_idle", &self.max_idle)
            .finish()
    }
}
