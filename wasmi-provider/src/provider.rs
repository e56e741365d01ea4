//! [`WasmiEngineProviderPre`] (a linked module, shared) and [`WasmiEngineProvider`] (its instance).

use std::sync::Arc;
use std::time::Duration;

use wapc::errors::{Error, Result, Trap, TrapKind};
use wapc::wapc_functions::{GUEST_CALL, MEMORY, REQUIRED_STARTS, TINYGO_START};
use wapc::{ModuleState, ResourceLimits, WasiConfig, WebAssemblyEngineProvider};
use wasmi::{Engine, Instance, Linker, Module, Store, TypedFunc};

use crate::fuel::{Budget, FuelLimits, Phase};
use crate::imports;
use crate::store::{Waits, WapcStore};
use crate::traps::{execution_error, instantiation_error, invalid_module};
#[cfg(feature = "wasi")]
use crate::wasi;

/// A module compiled and linked to the waPC imports, from which providers are made cheaply: build it once
/// with [`build_pre`](crate::WasmiEngineProviderBuilder::build_pre) and [`rehydrate`](Self::rehydrate) a
/// provider per host. Clones share the compiled code.
#[derive(Clone)]
pub struct WasmiEngineProviderPre {
    module: Module,
    linker: Arc<Linker<WapcStore>>,
    settings: Arc<Settings>,
    waits: Waits,
}

/// What every instance of a provider is made with.
#[derive(Debug)]
pub(crate) struct Settings {
    pub(crate) limits: ResourceLimits,
    pub(crate) fuel: Option<FuelLimits>,
    // Read only by the `wasi` feature; kept without it so the builder's settings do not depend on features.
    #[cfg_attr(not(feature = "wasi"), allow(dead_code))]
    pub(crate) wasi: WasiConfig,
}

impl WasmiEngineProviderPre {
    /// Links `module` for stores whose guests wait as `waits` says.
    pub(crate) fn new(module: Module, settings: Arc<Settings>, waits: Waits) -> Result<Self> {
        let mut linker = Linker::new(module.engine());
        #[cfg(feature = "wasi")]
        wasi::add_to_linker(&mut linker)?;
        imports::add_to_linker(&mut linker, &module, waits).map_err(|e| invalid_module(&e))?;
        Ok(WasmiEngineProviderPre { module, linker: Arc::new(linker), settings, waits })
    }

    /// A provider for one host.
    ///
    /// # Errors
    /// [`Error::Provider`] when fuel limits are configured on an engine that does not meter fuel.
    pub fn rehydrate(&self) -> Result<WasmiEngineProvider> {
        Ok(WasmiEngineProvider { pre: self.clone(), budget: self.budget()?, instance: None })
    }

    /// The fuel budget of this module's instances.
    ///
    /// # Errors
    /// [`Error::Provider`] when fuel limits are configured on an engine that does not meter fuel.
    pub(crate) fn budget(&self) -> Result<Budget> {
        Budget::new(self.module.engine(), self.settings.fuel)
    }

    /// The engine the module is compiled for.
    #[must_use]
    pub fn engine(&self) -> &Engine {
        self.module.engine()
    }

    /// The compiled module.
    #[must_use]
    pub fn module(&self) -> &Module {
        &self.module
    }

    /// Compiles `bytes` and links them with the same settings, for a `replace`: into an engine of their own, with
    /// the current engine's configuration. A wasmi engine keeps the code of every module compiled into it for as
    /// long as it lives, so compiling each replacement into the same engine would grow a host that hot-swaps
    /// modules without end; this way the replaced module's code goes with its engine, once nothing uses it.
    pub(crate) fn replacement(&self, bytes: &[u8]) -> Result<Self> {
        let engine = Engine::new(self.module.engine().config());
        let module = Module::new(&engine, bytes).map_err(|e| invalid_module(&e))?;
        Self::new(module, Arc::clone(&self.settings), self.waits)
    }

    /// A store for one instance, with its limiter, armed with `budget`'s start-up fuel.
    pub(crate) fn new_store(&self, budget: Budget) -> Result<Store<WapcStore>> {
        let data = WapcStore::new(
            self.settings.limits,
            #[cfg(feature = "wasi")]
            &self.settings.wasi,
            self.waits,
        )?;
        let mut store = Store::new(self.module.engine(), data);
        store.limiter(|data| &mut data.limiter);
        budget.arm(&mut store, Phase::Init);
        Ok(store)
    }

    /// Instantiates the module in `store` and runs its wasm `start` function, if it has one, within `budget`.
    pub(crate) fn instantiate(&self, store: &mut Store<WapcStore>, budget: Budget) -> Result<Instance> {
        let instance = self
            .linker
            .instantiate_and_start(&mut *store, &self.module)
            .map_err(|e| instantiation_error(e, budget.limit(Phase::Init), &mut store.data_mut().limiter))?;
        store.data_mut().limiter.instantiated();
        Ok(instance)
    }
}

impl std::fmt::Debug for WasmiEngineProviderPre {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmiEngineProviderPre").field("settings", &self.settings).finish_non_exhaustive()
    }
}

/// Runs waPC modules on wasmi (interpreted). Make one with
/// [`WasmiEngineProviderBuilder`](crate::WasmiEngineProviderBuilder) and hand it to
/// [`WapcHost::new`](wapc::WapcHost::new).
pub struct WasmiEngineProvider {
    pre: WasmiEngineProviderPre,
    budget: Budget,
    instance: Option<GuestInstance>,
}

/// One instance, in a store of its own (dropping it frees everything the guest allocated).
struct GuestInstance {
    store: Store<WapcStore>,
    guest_call: TypedFunc<(i32, i32), i32>,
}

impl GuestInstance {
    /// Instantiates `pre` and runs its start functions within `budget`.
    fn new(pre: &WasmiEngineProviderPre, budget: Budget) -> Result<Self> {
        let mut store = pre.new_store(budget)?;
        let instance = pre.instantiate(&mut store, budget)?;
        let Exports { guest_call, starts } = Exports::of(instance, &mut store)?;
        for (function, start) in starts {
            let result = start
                .call(&mut store, ())
                .map_err(|e| execution_error(e, budget.limit(Phase::Init), &mut store.data_mut().limiter));
            start_outcome(function, result)?;
        }
        Ok(GuestInstance { store, guest_call })
    }

    #[inline]
    fn call(&mut self, budget: Budget, op_length: i32, msg_length: i32) -> Result<i32> {
        budget.arm(&mut self.store, Phase::Call);
        self.guest_call
            .call(&mut self.store, (op_length, msg_length))
            .map_err(|e| execution_error(e, budget.limit(Phase::Call), &mut self.store.data_mut().limiter))
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
        let guest_call = instance
            .get_func(&*store, GUEST_CALL)
            .ok_or_else(|| Error::MissingExport(GUEST_CALL.to_owned()))?
            .typed::<(i32, i32), i32>(&*store)
            .map_err(|e| Error::InvalidModule(format!("`{GUEST_CALL}` must be (i32, i32) -> i32: {e}")))?;
        let memory = instance.get_memory(&*store, MEMORY).ok_or_else(|| Error::MissingExport(MEMORY.to_owned()))?;
        store.data_mut().memory = Some(memory);
        let mut starts = Vec::new();
        for function in REQUIRED_STARTS {
            let Some(start) = instance.get_func(&*store, function) else { continue };
            let start = start
                .typed::<(), ()>(&*store)
                .map_err(|e| Error::InvalidModule(format!("`{function}` must take and return nothing: {e}")))?;
            starts.push((function, start));
        }
        Ok(Exports { guest_call, starts })
    }
}

/// What the run of start function `function` means for the instance: a WASI `proc_exit(0)` in `_start` is
/// success, any other failure fails the instance.
pub(crate) fn start_outcome(function: &'static str, result: Result<()>) -> Result<()> {
    match result {
        Ok(()) => Ok(()),
        Err(Error::Trap(Trap { kind: TrapKind::Exit(0), .. })) if function == TINYGO_START => Ok(()),
        Err(error) => Err(Error::InitFailed { function, source: Box::new(error) }),
    }
}

impl WebAssemblyEngineProvider for WasmiEngineProvider {
    fn init(&mut self, _host: Arc<ModuleState>) -> Result<()> {
        self.instance = Some(GuestInstance::new(&self.pre, self.budget)?);
        Ok(())
    }

    fn call(&mut self, op_length: i32, msg_length: i32) -> Result<i32> {
        let budget = self.budget;
        let instance = self
            .instance
            .as_mut()
            .ok_or_else(|| Error::provider("the provider has no instance: `init` was not called"))?;
        instance.call(budget, op_length, msg_length)
    }

    fn replace(&mut self, bytes: &[u8]) -> Result<()> {
        let pre = self.pre.replacement(bytes)?;
        let instance = GuestInstance::new(&pre, self.budget)?;
        self.pre = pre;
        self.instance = Some(instance);
        Ok(())
    }

    fn reset(&mut self) -> Result<()> {
        self.instance = None;
        self.instance = Some(GuestInstance::new(&self.pre, self.budget)?);
        Ok(())
    }

    fn share_module(&self) -> Option<Box<dyn WebAssemblyEngineProvider>> {
        Some(Box::new(self.clone()))
    }

    fn memory_bytes(&self) -> Option<usize> {
        self.instance.as_ref().map(|instance| instance.store.data().limiter.memory_bytes())
    }

    fn call_deadline(&self) -> Option<Duration> {
        self.budget.call_time()
    }
}

/// A clone shares the compiled module and settings and makes a fresh instance of its own (on
/// [`init`](WebAssemblyEngineProvider::init), which [`WapcHost::new`](wapc::WapcHost::new) calls): the cheap way
/// to give each thread or each pool member a host of one module.
impl Clone for WasmiEngineProvider {
    fn clone(&self) -> Self {
        WasmiEngineProvider { pre: self.pre.clone(), budget: self.budget, instance: None }
    }
}

impl std::fmt::Debug for WasmiEngineProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmiEngineProvider")
            .field("pre", &self.pre)
            .field("budget", &self.budget)
            .field("instantiated", &self.instance.is_some())
            .finish()
    }
}
