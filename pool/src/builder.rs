//! [`PoolBuilder`]: the sizes, waits and recycling rules of a [`Pool`], and the host settings of its instances.

use std::sync::Arc;
use std::time::Duration;

use wapc::errors::{Error, Result};
use wapc::{HostCallbackFn, HostCallbackFuture, WapcHost, WebAssemblyEngineProvider, WebAssemblyEngineProviderAsync};

use crate::pool::Pool;
use crate::recycle::Recycle;
use crate::source::{HostSettings, Source};

/// How long an instance may stay idle, by default, before the pool drops it (down to its minimum).
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// What a pool is built with.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) name: String,
    pub(crate) min: usize,
    pub(crate) max: usize,
    pub(crate) idle_timeout: Option<Duration>,
    pub(crate) acquire_timeout: Option<Duration>,
    pub(crate) grow_after: Duration,
    pub(crate) recycle: Recycle,
}

/// Configures and builds a [`Pool`].
///
/// ```no_run
/// use std::time::Duration;
/// use wapc_pool::Pool;
/// use wasmtime_provider::WasmtimeEngineProviderBuilder;
///
/// # fn main() -> Result<(), wapc::errors::Error> {
/// let module = std::fs::read("guest.wasm")?;
/// let engine = WasmtimeEngineProviderBuilder::new().module_bytes(&module).deadline(Duration::from_secs(1)).build()?;
/// let pool = Pool::builder()
///     .name("orders")
///     .min_instances(2)
///     .max_instances(16)
///     .acquire_timeout(Duration::from_millis(500))
///     .recycle_after_calls(100_000)
///     .build(Box::new(engine))?;
/// # Ok(())
/// # }
/// ```
#[must_use]
pub struct PoolBuilder {
    settings: Settings,
    hosts: HostSettings,
}

impl Default for PoolBuilder {
    fn default() -> Self {
        let max = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        PoolBuilder {
            settings: Settings {
                name: "wapc-pool".to_owned(),
                min: 1,
                max,
                idle_timeout: Some(DEFAULT_IDLE_TIMEOUT),
                acquire_timeout: None,
                grow_after: Duration::ZERO,
                recycle: Recycle::default(),
            },
            hosts: HostSettings::default(),
        }
    }
}

impl PoolBuilder {
    /// A builder with the defaults: one instance kept warm, as many at most as the machine has cores, idle
    /// instances dropped after [`DEFAULT_IDLE_TIMEOUT`], callers waiting as long as it takes.
    pub fn new() -> Self {
        Self::default()
    }

    /// The pool's name, in its errors, logs and thread names.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.settings.name = name.into();
        self
    }

    /// How many instances are made at once and kept however idle they are.
    pub fn min_instances(mut self, min: usize) -> Self {
        self.settings.min = min;
        self
    }

    /// How many instances may exist at once, so how many calls run at once (at least 1).
    pub fn max_instances(mut self, max: usize) -> Self {
        self.settings.max = max.max(1);
        self
    }

    /// How long an instance beyond the minimum may stay idle before it is dropped: between one and two of
    /// these after its last call. `None` keeps every instance.
    pub fn idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.settings.idle_timeout = timeout;
        self
    }

    /// How long a call may wait for an instance before failing with
    /// [`Error::PoolTimeout`](wapc::errors::Error::PoolTimeout). Without it a call waits as long as it takes.
    pub fn acquire_timeout(mut self, timeout: Duration) -> Self {
        self.settings.acquire_timeout = Some(timeout);
        self
    }

    /// How long a call waits for a busy instance to become free before the pool makes a new one for it
    /// (while below its maximum). Zero, the default, makes one at once. Upstream `wapc-pool` calls it
    /// `max_wait`.
    pub fn grow_after(mut self, wait: Duration) -> Self {
        self.settings.grow_after = wait;
        self
    }

    /// Retires an instance after it has served `calls` calls, and makes a fresh one in its place.
    pub fn recycle_after_calls(mut self, calls: u64) -> Self {
        self.settings.recycle.after_calls = Some(calls.max(1));
        self
    }

    /// Retires an instance once its linear memory has grown past `bytes` (a guest's memory never shrinks;
    /// guests whose allocator fragments it keep growing), and makes a fresh one in its place.
    pub fn recycle_above_memory(mut self, bytes: usize) -> Self {
        self.settings.recycle.above_memory = Some(bytes);
        self
    }

    /// Handles the host calls of every instance: `(host id, binding, namespace, operation, payload)`. Each
    /// instance is a host with an id of its own.
    pub fn host_callback(mut self, callback: impl HostCallbackFn) -> Self {
        self.hosts.host_callback = Some(Arc::new(callback));
        self
    }

    /// Handles the host calls of a pool of async hosts ([`build_async`](Self::build_async)): `(host id, binding,
    /// namespace, operation, payload)` to a future of the answer, awaited without holding a thread.
    pub fn host_callback_async(
        mut self,
        callback: impl Fn(u64, String, String, String, Vec<u8>) -> HostCallbackFuture + Send + Sync + 'static,
    ) -> Self {
        self.hosts.host_callback_async = Some(Arc::new(callback));
        self
    }

    /// Handles the `__console_log` lines of every instance: `(host id, line)`.
    pub fn console_log(mut self, handler: impl Fn(u64, &str) + Send + Sync + 'static) -> Self {
        self.hosts.console_log = Some(Arc::new(handler));
        self
    }

    /// Builds the pool from a provider of the module, whose compiled code every instance shares, and makes the
    /// minimum number of instances.
    ///
    /// # Errors
    /// [`Error::Provider`](wapc::errors::Error::Provider) when the provider cannot share its module (see
    /// [`WebAssemblyEngineProvider::share_module`]); the errors of [`WapcHost::new`] when an instance cannot
    /// be made.
    pub fn build(self, provider: Box<dyn WebAssemblyEngineProvider>) -> Result<Pool> {
        let source = Source::module(provider, self.hosts)?;
        Pool::start(self.settings, source, true)
    }

    /// Builds a pool of [`WapcHostAsync`](wapc::WapcHostAsync)s from an async provider of the module (such as
    /// wasmtime-provider's `build_async`), whose compiled code every instance shares, and makes the minimum
    /// number of instances. [`Pool::call_async`] runs its guests on the caller's task; their host calls go to
    /// the [`host_callback_async`](Self::host_callback_async) (or, without one, the blocking
    /// [`host_callback`](Self::host_callback)). Call it on the tokio runtime the pool will serve: the
    /// housekeeper makes instances there.
    ///
    /// ```no_run
    /// use wapc_pool::Pool;
    /// use wasmtime_provider::WasmtimeEngineProviderBuilder;
    ///
    /// # async fn run() -> Result<(), wapc::errors::Error> {
    /// let module = std::fs::read("guest.wasm")?;
    /// let engine = WasmtimeEngineProviderBuilder::new().module_bytes(&module).build_async()?;
    /// let pool = Pool::builder()
    ///     .max_instances(64)
    ///     .host_callback_async(|_id, _binding, _namespace, _operation, payload| {
    ///         Box::pin(async move {
    ///             tokio::time::sleep(std::time::Duration::from_millis(5)).await; // holds no thread
    ///             Ok(payload)
    ///         })
    ///     })
    ///     .build_async(Box::new(engine))
    ///     .await?;
    /// let answer = pool.call_async("echo", b"hello".to_vec()).await?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`Error::Provider`] off a tokio runtime, or when the provider cannot share its module; the errors of
    /// [`WapcHostAsync::new`](wapc::WapcHostAsync::new) when an instance cannot be made.
    pub async fn build_async(self, provider: Box<dyn WebAssemblyEngineProviderAsync + Send>) -> Result<Pool> {
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|_| Error::provider("a pool of async hosts is built on the tokio runtime it serves"))?;
        let source = Source::async_module(provider, self.hosts, runtime)?;
        Pool::start_async(self.settings, source).await
    }

    /// Builds the pool from a factory of hosts, one per instance, and makes the minimum number of instances.
    /// Such a pool cannot [`replace_module`](Pool::replace_module); the host callback and console log are
    /// the factory's to set.
    ///
    /// # Errors
    /// What the factory returns when making the first instances.
    pub fn build_from_hosts(self, factory: impl Fn() -> Result<WapcHost> + Send + Sync + 'static) -> Result<Pool> {
        Pool::start(self.settings, Source::Hosts(Box::new(factory)), true)
    }

    /// Like [`build_from_hosts`](Self::build_from_hosts), except that failing to make the first instances is
    /// logged and retried in the background rather than returned, as upstream `wapc-pool` does.
    pub(crate) fn build_from_hosts_leniently(
        self,
        factory: impl Fn() -> Result<WapcHost> + Send + Sync + 'static,
    ) -> Result<Pool> {
        Pool::start(self.settings, Source::Hosts(Box::new(factory)), false)
    }
}

impl std::fmt::Debug for PoolBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PoolBuilder")
            .field("settings", &self.settings)
            .field("host_callback", &self.hosts.host_callback.is_some())
            .field("host_callback_async", &self.hosts.host_callback_async.is_some())
            .field("console_log", &self.hosts.console_log.is_some())
            .finish()
    }
}
