//! [`WasmtimeEngineProviderAsyncPre`] and [`WasmtimeEngineProviderAsync`]: the provider of
//! [`WapcHostAsync`](wapc::WapcHostAsync)s, whose guests suspend while their host calls are awaited.

use std::sync::Arc;
use std::time::Duration;

use wapc::errors::{Error, Result};
use wapc::{ModuleStateAsync, WebAssemblyEngineProviderAsync};
use wasmtime::{Store, TypedFunc};

use crate::deadline::{Budget, EpochDeadlines, Phase};
use crate::provider::{Exports, WasmtimeEngineProviderPre, start_outcome};
use crate::store::WapcStore;
use crate::traps::{execution_error, instantiation_error};

/// A module compiled and linked for async hosts, from which providers are made cheaply: build it once with
/// [`build_async_pre`](crate::WasmtimeEngineProviderBuilder::build_async_pre) and
/// [`rehydrate`](Self::rehydrate) a provider per host. Clones share the compiled code.
#[derive(Clone, Debug)]
pub struct WasmtimeEngineProviderAsyncPre {
    pre: WasmtimeEngineProviderPre,
    epoch_deadlines: Option<EpochDeadlines>,
}

impl WasmtimeEngineProviderAsyncPre {
    pub(crate) fn new(pre: WasmtimeEngineProviderPre, epoch_deadlines: Option<EpochDeadlines>) -> Self {
        WasmtimeEngineProviderAsyncPre { pre, epoch_deadlines }
    }

    /// A provider for one host, with the builder's deadlines.
    ///
    /// # Errors
    /// [`Error::Provider`] when the builder asked for both kinds of deadline.
    pub fn rehydrate(&self) -> Result<WasmtimeEngineProviderAsync> {
        let budget = self.pre.budget(self.epoch_deadlines, Budget::ticking(self.pre.engine()))?;
        Ok(WasmtimeEngineProviderAsync { pre: self.pre.clone(), budget, instance: None })
    }

    /// The module compiled to this engine's native code: see [`WasmtimeEngineProviderPre::serialize`].
    ///
    /// # Errors
    /// [`Error::Provider`] if wasmtime cannot serialise the module.
    pub fn serialize(&self) -> Result<Vec<u8>> {
        self.pre.serialize()
    }

    /// The engine the module is compiled for.
    #[must_use]
    pub fn engine(&self) -> &wasmtime::Engine {
        self.pre.engine()
    }

    /// The compiled module.
    #[must_use]
    pub fn module(&self) -> &wasmtime::Module {
        self.pre.module()
    }
}

/// Runs waPC modules on wasmtime for a [`WapcHostAsync`](wapc::WapcHostAsync): the guest runs on a wasmtime
/// fiber, which suspends while a host callback's future is pending (and while a WASI call waits), so a guest
/// waiting on its host holds no thread. Make one with
/// [`build_async`](crate::WasmtimeEngineProviderBuilder::build_async).
///
/// ```no_run
/// use wapc::WapcHostAsync;
/// use wasmtime_provider::WasmtimeEngineProviderBuilder;
///
/// # async fn run() -> Result<(), wapc::errors::Error> {
/// let module = std::fs::read("guest.wasm")?;
/// let engine = WasmtimeEngineProviderBuilder::new()
///     .module_bytes(&module)
///     .deadline(std::time::Duration::from_secs(1))
///     .build_async()?;
/// let host = WapcHostAsync::new(Box::new(engine), None).await?;
/// let answer = host.call("greet", b"world").await?;
/// # Ok(())
/// # }
/// ```
///
/// Guest code yields to the executor at every epoch tick ([`DEADLINE_TICK`](crate::DEADLINE_TICK) with the
/// builder's own engine), so a long call shares its worker with other tasks. A
/// [`deadline`](crate::WasmtimeEngineProviderBuilder::deadline) ends a call at the tick it passes while guest
/// code runs, and at once when it passes while the guest waits (a tokio timer, so call on a tokio runtime with
/// time enabled); either way with [`Error::DeadlineExceeded`]. WASI runs on wasmtime-wasi's async functions,
/// which need a tokio runtime too.
///
/// A clone shares the compiled module and settings and makes a fresh instance of its own on
/// [`init`](WebAssemblyEngineProviderAsync::init).
pub struct WasmtimeEngineProviderAsync {
    pre: WasmtimeEngineProviderPre,
    budget: Budget,
    instance: Option<AsyncInstance>,
}

/// One instance, in a store of its own, called with `call_async`.
struct AsyncInstance {
    store: Store<WapcStore>,
    guest_call: TypedFunc<(i32, i32), i32>,
}

impl AsyncInstance {
    /// Instantiates `pre` and runs its start functions within `budget`.
    async fn new(pre: &WasmtimeEngineProviderPre, budget: &Budget) -> Result<Self> {
        let mut store = pre.new_store(budget)?;
        store.epoch_deadline_callback(|mut store| Ok(store.data_mut().tick_limit.on_tick()));
        budget.arm_async(&mut store, Phase::Init);
        let instance = budget
            .within(Phase::Init, pre.instance_pre.instantiate_async(&mut store))
            .await
            .map_err(|e| instantiation_error(pre.engine(), e, budget.limit(Phase::Init)))?;
        let Exports { guest_call, starts } = Exports::of(instance, &mut store)?;
        for (function, start) in starts {
            budget.arm_async(&mut store, Phase::Init);
            let result = budget.within(Phase::Init, start.call_async(&mut store, ())).await;
            start_outcome(function, result, budget)?;
        }
        Ok(AsyncInstance { store, guest_call })
    }

    async fn call(&mut self, budget: &Budget, op_length: i32, msg_length: i32) -> Result<i32> {
        budget.arm_async(&mut self.store, Phase::Call);
        budget
            .within(Phase::Call, self.guest_call.call_async(&mut self.store, (op_length, msg_length)))
            .await
            .map_err(|e| execution_error(e, budget.limit(Phase::Call)))
    }
}

#[async_trait::async_trait]
impl WebAssemblyEngineProviderAsync for WasmtimeEngineProviderAsync {
    async fn init(&mut self, _host: Arc<ModuleStateAsync>) -> Result<()> {
        self.instance = Some(AsyncInstance::new(&self.pre, &self.budget).await?);
        Ok(())
    }

    async fn call(&mut self, op_length: i32, msg_length: i32) -> Result<i32> {
        let instance = self
            .instance
            .as_mut()
            .ok_or_else(|| Error::provider("the provider has no instance: `init` was not called"))?;
        instance.call(&self.budget, op_length, msg_length).await
    }

    async fn replace(&mut self, bytes: &[u8]) -> Result<()> {
        let pre = self.pre.replacement(bytes)?;
        let instance = AsyncInstance::new(&pre, &self.budget).await?;
        self.pre = pre;
        self.instance = Some(instance);
        Ok(())
    }

    async fn reset(&mut self) -> Result<()> {
        self.instance = None;
        self.instance = Some(AsyncInstance::new(&self.pre, &self.budget).await?);
        Ok(())
    }

    fn call_deadline(&self) -> Option<Duration> {
        self.budget.call_deadline()
    }

    fn share_module(&self) -> Option<Box<dyn WebAssemblyEngineProviderAsync + Send>> {
        Some(Box::new(self.clone()))
    }

    fn memory_bytes(&self) -> Option<usize> {
        self.instance.as_ref().map(|instance| instance.store.data().limiter.usage.memory_bytes())
    }
}

impl Clone for WasmtimeEngineProviderAsync {
    fn clone(&self) -> Self {
        WasmtimeEngineProviderAsync { pre: self.pre.clone(), budget: self.budget.clone(), instance: None }
    }
}

impl std::fmt::Debug for WasmtimeEngineProviderAsync {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmtimeEngineProviderAsync")
            .field("pre", &self.pre)
            .field("budget", &self.budget)
            .field("instantiated", &self.instance.is_some())
            .finish()
    }
}
