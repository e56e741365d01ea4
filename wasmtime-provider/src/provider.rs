//! [`WasmtimeEngineProviderPre`] (a linked module, shared) and [`WasmtimeEngineProvider`] (its instance).

use std::sync::Arc;
use std::time::Duration;

use wapc::errors::{Error, Result, Trap, TrapKind};
use wapc::wapc_functions::{GUEST_CALL, MEMORY, REQUIRED_STARTS, TINYGO_START};
use wapc::{ModuleState, ResourceLimits, WebAssemblyEngineProvider};
use wasmtime::{Engine, Instance, InstancePre, Linker, Module, Store, TypedFunc};

use crate::deadline::{Budget, EpochDeadlines, Phase};
use crate::imports::{self, HostCalls};
use crate::limits::Limiter;
use crate::store::WapcStore;
use crate::traps::{execution_error, instantiation_error, invalid_module};
#[cfg(feature = "wasi")]
use crate::wasi;

/// A module compiled and linked to the waPC imports, from which providers are made cheaply: build it once
/// with [`build_pre`](crate::WasmtimeEngineProviderBuilder::build_pre) and
/// [`rehydrate`](Self::rehydrate) a provider per host. Clones share the compiled code.
#[derive(Clone)]
pub struct WasmtimeEngineProviderPre {
    engine: Engine,
    module: Module,
    pub(crate) instance_pre: InstancePre<WapcStore>,
    pub(crate) settings: Arc<Settings>,
    host_calls: HostCalls,
}

/// What every instance of a provider is made with.
#[derive(Debug)]
pub(crate) struct Settings {
    pub(crate) limits: ResourceLimits,
    /// `(start functions, each call)` wall-clock limits.
    pub(crate) deadline: Option<(Duration, Duration)>,
    #[cfg(feature = "wasi")]
    pub(crate) wasi: wapc::WasiConfig,
}

impl WasmtimeEngineProviderPre {
    /// Links `module`, its `__host_call` (and WASI) for stores called as `host_calls` says.
    pub(crate) fn new(engine: Engine, module: Module, settings: Arc<Settings>, host_calls: HostCalls) -> Result<Self> {
        let mut linker = Linker::new(&engine);
        #[cfg(feature = "wasi")]
        wasi::add_to_linker(&mut linker, host_calls).map_err(|e| invalid_module(&e))?;
        imports::add_to_linker(&mut linker, &module, host_calls).map_err(|e| invalid_module(&e))?;
        let instance_pre = linker.instantiate_pre(&module).map_err(|e| invalid_module(&e))?;
        Ok(WasmtimeEngineProviderPre { engine, module, instance_pre, settings, host_calls })
    }

    /// A provider for one host. `epoch_deadlines` are ticks the embedder drives (upstream's meaning); they
    /// cannot be combined with a wall-clock [`deadline`](crate::WasmtimeEngineProviderBuilder::deadline).
    ///
    /// # Errors
    /// [`Error::Provider`] when both kinds of deadline are asked for.
    pub fn rehydrate(&self, epoch_deadlines: Option<EpochDeadlines>) -> Result<WasmtimeEngineProvider> {
        let budget = self.budget(epoch_deadlines, Budget::Unlimited)?;
        Ok(WasmtimeEngineProvider { pre: self.clone(), budget, instance: None })
    }

    /// The budget of a provider with `epoch_deadlines`, or `unlimited` when there is none but the engine
    /// interrupts.
    pub(crate) fn budget(&self, epoch_deadlines: Option<EpochDeadlines>, unlimited: Budget) -> Result<Budget> {
        Ok(match (epoch_deadlines, self.settings.deadline) {
            (Some(_), Some(_)) => {
                return Err(Error::provider("epoch deadlines and a wall-clock deadline cannot be combined"));
            }
            (Some(ticks), None) => Budget::EpochTicks(ticks),
            (None, Some((init, call))) => Budget::wall_clock(&self.engine, init, call),
            (None, None) if self.engine.get_epoch_interruption() => unlimited,
            (None, None) => Budget::Free,
        })
    }

    /// The module compiled to this engine's native code, for
    /// [`precompiled_module_bytes`](crate::WasmtimeEngineProviderBuilder::precompiled_module_bytes) to load
    /// later without compiling.
    ///
    /// # Errors
    /// [`Error::Provider`] if wasmtime cannot serialise the module.
    pub fn serialize(&self) -> Result<Vec<u8>> {
        self.module.serialize().map_err(|e| Error::provider(format!("{e:#}")))
    }

    /// The engine the module is compiled for.
    #[must_use]
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The compiled module.
    #[must_use]
    pub fn module(&self) -> &Module {
        &self.module
    }

    /// The same settings, linked to another module.
    pub(crate) fn with_module(&self, module: Module) -> Result<Self> {
        Self::new(self.engine.clone(), module, Arc::clone(&self.settings), self.host_calls)
    }

    /// Compiles `bytes` and links them with the same settings, for a `replace`.
    pub(crate) fn replacement(&self, bytes: &[u8]) -> Result<Self> {
        self.with_module(Module::new(&self.engine, bytes).map_err(|e| invalid_module(&e))?)
    }

    /// A store for one instance, with its limiter.
    pub(crate) fn new_store(&self, budget: &Budget) -> Result<Store<WapcStore>> {
        let data = WapcStore {
            memory: None,
            limiter: Limiter::new(self.settings.limits, &self.engine),
            #[cfg(feature = "wasi")]
            wasi: sync_wrapper::SyncWrapper::new(wasi::context(&self.settings.wasi)?),
            #[cfg(feature = "wasi")]
            wasi_deadline: budget.tick_deadline(),
            #[cfg(feature = "async")]
            tick_limit: crate::deadline::TickLimit::None,
        };
        #[cfg(not(feature = "wasi"))]
        let _ = budget;
        let mut store = Store::new(&self.engine, data);
        store.limiter(|data| &mut data.limiter);
        Ok(store)
    }

    /// Whether guest code may call WASI (and so must run outside an async context).
    fn uses_wasi(&self) -> bool {
        #[cfg(feature = "wasi")]
        return wasi::imports_wasi(&self.module);
        #[cfg(not(feature = "wasi"))]
        false
    }
}

impl std::fmt::Debug for WasmtimeEngineProviderPre {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmtimeEngineProviderPre").field("settings", &self.settings).finish_non_exhaustive()
    }
}

/// Runs waPC modules on wasmtime (JIT-compiled). Make one with
/// [`WasmtimeEngineProviderBuilder`](crate::WasmtimeEngineProviderBuilder) and hand it to
/// [`WapcHost::new`](wapc::WapcHost::new).
pub struct WasmtimeEngineProvider {
    pre: WasmtimeEngineProviderPre,
    budget: Budget,
    instance: Option<GuestInstance>,
}

/// One instance, in a store of its own (dropping it frees everything the guest allocated).
struct GuestInstance {
    store: Store<WapcStore>,
    guest_call: TypedFunc<(i32, i32), i32>,
    uses_wasi: bool,
}

impl GuestInstance {
    /// Instantiates `pre` and runs its start functions within `budget`.
    fn new(pre: &WasmtimeEngineProviderPre, budget: &Budget) -> Result<Self> {
        let mut store = pre.new_store(budget)?;
        budget.arm(&mut store, Phase::Init);
        let uses_wasi = pre.uses_wasi();
        let instance = run_guest(uses_wasi, || pre.instance_pre.instantiate(&mut store))
            .map_err(|e| instantiation_error(&pre.engine, e, budget.limit(Phase::Init)))?;
        let Exports { guest_call, starts } = Exports::of(instance, &mut store)?;
        for (function, start) in starts {
            budget.arm(&mut store, Phase::Init);
            let result = run_guest(uses_wasi, || start.call(&mut store, ()));
            start_outcome(function, result, budget)?;
        }
        Ok(GuestInstance { store, guest_call, uses_wasi })
    }

    fn call(&mut self, budget: &Budget, op_length: i32, msg_length: i32) -> Result<i32> {
        budget.arm(&mut self.store, Phase::Call);
        let (store, guest_call) = (&mut self.store, &self.guest_call);
        run_guest(self.uses_wasi, || guest_call.call(store, (op_length, msg_length)))
            .map_err(|e| execution_error(e, budget.limit(Phase::Call)))
    }
}

/// What the host calls of an instance: `__guest_call`, and the start functions it exports, in order.
pub(crate) struct Exports {
    pub(crate) guest_call: TypedFunc<(i32, i32), i32>,
    pub(crate) starts: Vec<(&'static str, TypedFunc<(), ()>)>,
}

impl Exports {
    /// The exports of a new `instance`, with its memory noted in the store.
    pub(crate) fn of(instance: Instance, store: &mut Store<WapcStore>) -> Result<Self> {
        store.data_mut().limiter.usage.instantiated();
        let guest_call = instance
            .get_func(&mut *store, GUEST_CALL)
            .ok_or_else(|| Error::MissingExport(GUEST_CALL.to_owned()))?
            .typed::<(i32, i32), i32>(&*store)
            .map_err(|e| Error::InvalidModule(format!("`{GUEST_CALL}` must be (i32, i32) -> i32: {e:#}")))?;
        let memory = instance.get_memory(&mut *store, MEMORY).ok_or_else(|| Error::MissingExport(MEMORY.to_owned()))?;
        store.data_mut().memory = Some(memory);
        let mut starts = Vec::new();
        for function in REQUIRED_STARTS {
            let Some(start) = instance.get_func(&mut *store, function) else { continue };
            let start = start
                .typed::<(), ()>(&*store)
                .map_err(|e| Error::InvalidModule(format!("`{function}` must take and return nothing: {e:#}")))?;
            starts.push((function, start));
        }
        Ok(Exports { guest_call, starts })
    }
}

/// What the run of start function `function` means for the instance: a WASI `proc_exit(0)` in `_start` is
/// success, any other failure fails the instance.
pub(crate) fn start_outcome(function: &'static str, result: wasmtime::Result<()>, budget: &Budget) -> Result<()> {
    match result.map_err(|error| execution_error(error, budget.limit(Phase::Init))) {
        Ok(()) => Ok(()),
        Err(Error::Trap(Trap { kind: TrapKind::Exit(0), .. })) if function == TINYGO_START => Ok(()),
        Err(error) => Err(Error::InitFailed { function, source: Box::new(error) }),
    }
}

/// Runs guest code, outside the async context when it may call WASI.
fn run_guest<R>(uses_wasi: bool, f: impl FnOnce() -> R) -> R {
    #[cfg(feature = "wasi")]
    return wasi::run_blocking(uses_wasi, f);
    #[cfg(not(feature = "wasi"))]
    {
        let _ = uses_wasi;
        f()
    }
}

impl WebAssemblyEngineProvider for WasmtimeEngineProvider {
    fn init(&mut self, _host: Arc<ModuleState>) -> Result<()> {
        self.instance = Some(GuestInstance::new(&self.pre, &self.budget)?);
        Ok(())
    }

    fn call(&mut self, op_length: i32, msg_length: i32) -> Result<i32> {
        let budget = &self.budget;
        let instance = self
            .instance
            .as_mut()
            .ok_or_else(|| Error::provider("the provider has no instance: `init` was not called"))?;
        instance.call(budget, op_length, msg_length)
    }

    fn replace(&mut self, bytes: &[u8]) -> Result<()> {
        let pre = self.pre.replacement(bytes)?;
        let instance = GuestInstance::new(&pre, &self.budget)?;
        self.pre = pre;
        self.instance = Some(instance);
        Ok(())
    }

    fn reset(&mut self) -> Result<()> {
        self.instance = None;
        self.instance = Some(GuestInstance::new(&self.pre, &self.budget)?);
        Ok(())
    }

    fn share_module(&self) -> Option<Box<dyn WebAssemblyEngineProvider>> {
        Some(Box::new(self.clone()))
    }

    fn memory_bytes(&self) -> Option<usize> {
        self.instance.as_ref().map(|instance| instance.store.data().limiter.usage.memory_bytes())
    }

    fn call_deadline(&self) -> Option<Duration> {
        self.budget.call_deadline()
    }
}

/// A clone shares the compiled module and settings and makes a fresh instance of its own (on
/// [`init`](WebAssemblyEngineProvider::init), which [`WapcHost::new`](wapc::WapcHost::new) calls): the cheap way
/// to give each thread or each pool member a host of one module.
impl Clone for WasmtimeEngineProvider {
    fn clone(&self) -> Self {
        WasmtimeEngineProvider { pre: self.pre.clone(), budget: self.budget.clone(), instance: None }
    }
}

impl std::fmt::Debug for WasmtimeEngineProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmtimeEngineProvider")
            .field("pre", &self.pre)
            .field("budget", &self.budget)
            .field("instantiated", &self.instance.is_some())
            .finish()
    }
}
