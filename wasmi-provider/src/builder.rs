//! [`WasmiEngineProviderBuilder`]: every way to configure a wasmi provider.

use std::sync::Arc;

use wapc::errors::{Error, Result};
use wapc::{ResourceLimits, WasiConfig};
use wasmi::{Config, Engine, Module};

use crate::fuel::FuelLimits;
use crate::provider::{Settings, WasmiEngineProvider, WasmiEngineProviderPre};
#[cfg(feature = "async")]
use crate::provider_async::{WasmiEngineProviderAsync, WasmiEngineProviderAsyncPre};
use crate::store::Waits;
use crate::traps::invalid_module;

/// Configures and builds a [`WasmiEngineProvider`] (or, with the `async` feature, an async provider for
/// `WapcHostAsync`s, with `build_async`).
///
/// Give exactly one module source: [`module_bytes`](Self::module_bytes) or an already compiled
/// [`module`](Self::module).
///
/// ```no_run
/// use wasmi_provider::{FuelLimits, WasmiEngineProviderBuilder};
///
/// # fn main() -> Result<(), wapc::errors::Error> {
/// let module = std::fs::read("guest.wasm")?;
/// let engine = WasmiEngineProviderBuilder::new()
///     .module_bytes(&module)
///     .enable_fuel_limits(FuelLimits { wapc_init: 100_000_000, wapc_func: 10_000_000 })
///     .build()?;
/// let host = wapc::WapcHost::new(Box::new(engine), None)?;
/// # Ok(())
/// # }
/// ```
///
/// Many hosts of one module compile it once: build a [`WasmiEngineProviderPre`] and
/// [`rehydrate`](WasmiEngineProviderPre::rehydrate) it per host, or pass the same [`Module`] to each builder.
#[derive(Default)]
#[must_use]
pub struct WasmiEngineProviderBuilder<'a> {
    engine: Option<Engine>,
    module: Option<Module>,
    module_bytes: Option<&'a [u8]>,
    wasi: WasiConfig,
    fuel_limits: Option<FuelLimits>,
    resource_limits: Option<ResourceLimits>,
}

impl<'a> WasmiEngineProviderBuilder<'a> {
    /// A builder with nothing set.
    pub fn new() -> Self {
        Self::default()
    }

    /// The module, as WebAssembly binary bytes, validated and compiled when the provider is built (function
    /// bodies are translated to wasmi's bytecode on their first call).
    pub fn module_bytes(mut self, module_bytes: &'a [u8]) -> Self {
        self.module_bytes = Some(module_bytes);
        self
    }

    /// An already compiled module, shared with other providers; it runs on the engine it was compiled with.
    pub fn module(mut self, module: Module) -> Self {
        self.module = Some(module);
        self
    }

    /// The engine to compile [`module_bytes`](Self::module_bytes) with, shared with other providers. Without
    /// it the builder makes one, metering fuel when [`enable_fuel_limits`](Self::enable_fuel_limits) is given,
    /// and always for async providers. A shared engine must have [`Config::consume_fuel`] on for fuel limits,
    /// and for async providers' guests to yield to their executor.
    ///
    /// A wasmi engine keeps the code of every module compiled into it until the engine is dropped. So
    /// [`replace_module`](wapc::WapcHost::replace_module) compiles the new module into a new engine with this
    /// one's configuration (the provider then no longer uses the engine given here), and a long-lived engine
    /// shared by many providers grows with every distinct module compiled into it: give it the modules it will
    /// run, not a stream of new ones.
    pub fn engine(mut self, engine: Engine) -> Self {
        self.engine = Some(engine);
        self
    }

    /// WASI preview 1 parameters, with upstream waPC's meaning (stdio inherited, preopened directories
    /// readable and writable). Without them a module importing WASI still links, with no arguments, no
    /// environment and no directories.
    #[cfg(feature = "wasi")]
    pub fn wasi_params(mut self, wasi: wapc::WasiParams) -> Self {
        self.wasi.params = wasi;
        self
    }

    /// Where the guest's stdin, stdout and stderr go (inherited by default).
    #[cfg(feature = "wasi")]
    pub fn wasi_stdio(mut self, stdio: wapc::WasiStdio) -> Self {
        self.wasi.stdio = stdio;
        self
    }

    /// Lets the guest read, and not write, the host directory `host_path` under `guest_path`.
    #[cfg(feature = "wasi")]
    pub fn wasi_read_only_dir(mut self, host_path: impl Into<String>, guest_path: impl Into<String>) -> Self {
        self.wasi.read_only_dirs.push((guest_path.into(), host_path.into()));
        self
    }

    /// Limits the fuel (guest instructions, and time spent waiting in WASI at
    /// [`WAITING_FUEL_PER_SECOND`](crate::WAITING_FUEL_PER_SECOND)) of the start functions and of each call; a
    /// call that runs out fails with
    /// [`Error::DeadlineExceeded`]`(`[`ExecutionLimit::Fuel`](wapc::errors::ExecutionLimit::Fuel)`)` and the next
    /// call runs on a fresh instance. See [`FuelLimits`] for how fuel differs from wasmtime's wall-clock
    /// deadlines.
    pub fn enable_fuel_limits(mut self, fuel_limits: FuelLimits) -> Self {
        self.fuel_limits = Some(fuel_limits);
        self
    }

    /// Limits on memory and table growth. Without this call, [`ResourceLimits::DEFAULT`] applies.
    pub fn enable_resource_limits(mut self, resource_limits: ResourceLimits) -> Self {
        self.resource_limits = Some(resource_limits);
        self
    }

    /// Validates, compiles and links the module.
    ///
    /// # Errors
    /// [`Error::InvalidModule`] for bytes that are not a valid module or imports that cannot be satisfied,
    /// [`Error::Provider`] for a configuration that contradicts itself.
    pub fn build_pre(&self) -> Result<WasmiEngineProviderPre> {
        self.link(Waits::Blocking)
    }

    /// Builds the provider.
    ///
    /// # Errors
    /// Those of [`build_pre`](Self::build_pre) and [`rehydrate`](WasmiEngineProviderPre::rehydrate).
    pub fn build(&self) -> Result<WasmiEngineProvider> {
        self.build_pre()?.rehydrate()
    }

    /// Validates, compiles and links the module for [`WapcHostAsync`](wapc::WapcHostAsync)s, whose guests are
    /// suspended while they await their host calls: see [`WasmiEngineProviderAsync`].
    ///
    /// An engine the builder makes meters fuel even without [fuel limits](Self::enable_fuel_limits), so that
    /// guests yield to the executor after every [`FUEL_PER_SLICE`](crate::FUEL_PER_SLICE) (metering costs some
    /// speed). With an [`engine`](Self::engine) that does not meter fuel, guest code runs until it ends or
    /// waits, holding its executor's thread meanwhile.
    ///
    /// # Errors
    /// Those of [`build_pre`](Self::build_pre).
    #[cfg(feature = "async")]
    pub fn build_async_pre(&self) -> Result<WasmiEngineProviderAsyncPre> {
        Ok(WasmiEngineProviderAsyncPre::new(self.link(Waits::Suspending)?))
    }

    /// Builds an async provider, for a [`WapcHostAsync`](wapc::WapcHostAsync).
    ///
    /// # Errors
    /// Those of [`build_async_pre`](Self::build_async_pre) and
    /// [`rehydrate`](WasmiEngineProviderAsyncPre::rehydrate).
    #[cfg(feature = "async")]
    pub fn build_async(&self) -> Result<WasmiEngineProviderAsync> {
        self.build_async_pre()?.rehydrate()
    }

    /// Compiles and links the module for stores whose guests wait as `waits` says.
    fn link(&self, waits: Waits) -> Result<WasmiEngineProviderPre> {
        let module = match (self.module_bytes, &self.module) {
            (Some(bytes), None) => Module::new(&self.compile_engine(waits), bytes).map_err(|e| invalid_module(&e))?,
            (None, Some(module)) => match &self.engine {
                Some(engine) if !Engine::same(engine, module.engine()) => {
                    return Err(Error::provider("the module was compiled with another engine than the one given"));
                }
                _ => module.clone(),
            },
            (None, None) => return Err(Error::provider("no module given: call `module_bytes` or `module`")),
            (Some(_), Some(_)) => {
                return Err(Error::provider(
                    "more than one module given: call only one of `module_bytes` and `module`",
                ));
            }
        };
        let settings = Settings {
            limits: self.resource_limits.unwrap_or(ResourceLimits::DEFAULT),
            fuel: self.fuel_limits,
            wasi: self.wasi.clone(),
        };
        WasmiEngineProviderPre::new(module, Arc::new(settings), waits)
    }

    /// The engine to compile with: the given one, or a new one that meters fuel if limits are asked for or its
    /// guests are suspended (and so yield between slices of fuel).
    fn compile_engine(&self, waits: Waits) -> Engine {
        self.engine.clone().unwrap_or_else(|| {
            let mut config = Config::default();
            config.consume_fuel(self.fuel_limits.is_some() || waits != Waits::Blocking);
            Engine::new(&config)
        })
    }
}

impl std::fmt::Debug for WasmiEngineProviderBuilder<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmiEngineProviderBuilder")
            .field("module_bytes", &self.module_bytes.map(<[u8]>::len))
            .field("module", &self.module.is_some())
            .field("engine", &self.engine.is_some())
            .field("fuel_limits", &self.fuel_limits)
            .field("resource_limits", &self.resource_limits)
            .finish_non_exhaustive()
    }
}
