//! [`WasmtimeEngineProviderBuilder`]: every way to configure a wasmtime provider.

use std::sync::Arc;
use std::time::Duration;

use wapc::ResourceLimits;
use wapc::errors::{Error, Result};
use wasmtime::{Config, Engine, Module};

use crate::deadline::EpochDeadlines;
use crate::imports::HostCalls;
use crate::pooling;
use crate::provider::{Settings, WasmtimeEngineProvider, WasmtimeEngineProviderPre};
#[cfg(feature = "async")]
use crate::provider_async::{WasmtimeEngineProviderAsync, WasmtimeEngineProviderAsyncPre};
use crate::traps::invalid_module;

/// Configures and builds a [`WasmtimeEngineProvider`].
///
/// Give exactly one module source: [`module_bytes`](Self::module_bytes), an already compiled
/// [`module`](Self::module) (with its [`engine`](Self::engine)), or
/// [`precompiled_module_bytes`](Self::precompiled_module_bytes).
///
/// ```no_run
/// use std::time::Duration;
/// use wasmtime_provider::WasmtimeEngineProviderBuilder;
///
/// # fn main() -> Result<(), wapc::errors::Error> {
/// let module = std::fs::read("guest.wasm")?;
/// let engine = WasmtimeEngineProviderBuilder::new()
///     .module_bytes(&module)
///     .deadline(Duration::from_millis(100))
///     .build()?;
/// let host = wapc::WapcHost::new(Box::new(engine), None)?;
/// # Ok(())
/// # }
/// ```
///
/// Many hosts of one module compile it once: build a [`WasmtimeEngineProviderPre`] and
/// [`rehydrate`](WasmtimeEngineProviderPre::rehydrate) it per host.
#[derive(Default)]
#[must_use]
pub struct WasmtimeEngineProviderBuilder<'a> {
    engine: Option<Engine>,
    module: Option<Module>,
    module_bytes: Option<&'a [u8]>,
    precompiled_bytes: Option<&'a [u8]>,
    #[cfg(feature = "wasi")]
    wasi: wapc::WasiConfig,
    epoch_deadlines: Option<EpochDeadlines>,
    deadline: Option<Duration>,
    init_deadline: Option<Duration>,
    resource_limits: Option<ResourceLimits>,
    pooling_instances: Option<u32>,
}

impl<'a> WasmtimeEngineProviderBuilder<'a> {
    /// A builder with nothing set.
    pub fn new() -> Self {
        Self::default()
    }

    /// The module, as WebAssembly binary bytes, compiled when the provider is built.
    pub fn module_bytes(mut self, module_bytes: &'a [u8]) -> Self {
        self.module_bytes = Some(module_bytes);
        self
    }

    /// An already compiled module; give the [`engine`](Self::engine) it was compiled with too.
    pub fn module(mut self, module: Module) -> Self {
        self.module = Some(module);
        self
    }

    /// The engine to compile and run with, shared with other providers. Without it the builder makes one, with
    /// epoch interruption on when a deadline is configured (and the
    /// [`pooling_allocator`](Self::pooling_allocator) when asked). A shared engine must have
    /// [`Config::epoch_interruption`] on for [`deadline`](Self::deadline).
    pub fn engine(mut self, engine: Engine) -> Self {
        self.engine = Some(engine);
        self
    }

    /// A module that [`WasmtimeEngineProviderPre::serialize`] (or [`Engine::precompile_module`]) produced,
    /// loaded without compiling. Give the [`engine`](Self::engine) it was compiled for, or one configured the
    /// same way; an incompatible one is refused with [`Error::InvalidModule`].
    ///
    /// # Safety
    /// The bytes are trusted to be native code that wasmtime produced: see [`Module::deserialize`]. Bytes from
    /// an untrusted source can do anything.
    pub unsafe fn precompiled_module_bytes(mut self, bytes: &'a [u8]) -> Self {
        self.precompiled_bytes = Some(bytes);
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

    /// Interrupts start functions and calls after the given numbers of epoch ticks, which the embedder drives
    /// with [`Engine::increment_epoch`] (upstream's meaning). An interrupted call fails with
    /// [`Error::DeadlineExceeded`].
    pub fn enable_epoch_interruptions(mut self, epoch_deadlines: EpochDeadlines) -> Self {
        self.epoch_deadlines = Some(epoch_deadlines);
        self
    }

    /// Interrupts each call that runs longer than `deadline` of wall-clock time, time in host callbacks
    /// included, with [`Error::DeadlineExceeded`]. One ticker thread per engine drives it, in steps of
    /// [`DEADLINE_TICK`](crate::DEADLINE_TICK): a call is stopped between `deadline` and `deadline` plus two
    /// ticks (or when it next runs guest code, if it is in a host callback then). A WASI call waiting then (a
    /// `poll_oneoff` sleep, a read of stdin) ends the call too. Start functions get the same
    /// limit unless [`init_deadline`](Self::init_deadline) says otherwise. Not combinable with
    /// [`enable_epoch_interruptions`](Self::enable_epoch_interruptions).
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// The wall-clock limit of the start functions, when it should differ from [`deadline`](Self::deadline).
    pub fn init_deadline(mut self, deadline: Duration) -> Self {
        self.init_deadline = Some(deadline);
        self
    }

    /// Limits on memory and table growth. Without this call, [`ResourceLimits::DEFAULT`] applies.
    pub fn enable_resource_limits(mut self, resource_limits: ResourceLimits) -> Self {
        self.resource_limits = Some(resource_limits);
        self
    }

    /// Makes the builder's engine take instances from wasmtime's pooling allocator: slots for `max_instances`
    /// instances alive at once, reserved when the engine is made and reused by each instance after another.
    ///
    /// Each instance's slot has room for [`ResourceLimits::MAX_MEMORIES`] memories, each able to grow to the
    /// whole memory limit ([`ResourceLimits::max_memory_size`]), and [`ResourceLimits::MAX_TABLES`] tables,
    /// each able to grow to the whole table limit ([`ResourceLimits::max_table_elements`]): whatever the limits
    /// admit fits, and growth past them is refused as without a pool, with [`Error::ResourceLimit`]. Slots
    /// need a size, so a memory stops at 4 GiB whatever the limit (the most a 32-bit memory holds) and a
    /// table, when tables are not limited, at [`DEFAULT_MAX_TABLE_ELEMENTS`](crate::DEFAULT_MAX_TABLE_ELEMENTS)
    /// elements: there `memory.grow` and `table.grow` fail (return -1) as they do at a declared maximum.
    ///
    /// What it buys: instantiating takes a slot rather than mapping fresh memory, and dropping an instance
    /// resets its slot rather than unmapping it (no `mmap` and `munmap`, which take the process's memory-map
    /// lock); a slot that last held the same module keeps its memory image mapped. wasmtime's instantiation
    /// gets several times faster (for a small Rust guest, making and dropping a whole host takes about half
    /// the time), which matters where instances are made often: pools that grow and recycle, a host per
    /// request, hosts replacing the instance after each aborted call.
    ///
    /// What it costs:
    /// - **Address space, reserved up front.** A memory slot is wasmtime's memory reservation (4 GiB on 64-bit
    ///   hosts, which lets compiled code skip bounds checks) plus a 32 MiB guard, whatever the memory limit,
    ///   so each instance reserves about 16 GiB of address space, and its tables about 120 MiB more with the
    ///   default table limit: 64 instances take about 1 TiB of the 128 TiB a Linux x86-64 process has. It is
    ///   address space, not memory: only the pages guests use are backed. A process with a capped address
    ///   space (`ulimit -v`) may be refused the reservation, and the build fails with [`Error::Provider`].
    /// - **A hard cap.** One instance more than `max_instances` alive at once fails to instantiate, in
    ///   [`WapcHost::new`](wapc::WapcHost::new) or wherever an instance is made, with
    ///   [`Error::ResourceLimit`] for [`Resource::Instances`](wapc::errors::Resource::Instances); dropping a
    ///   host frees its slot. The cap counts every instance of the engine: those of providers sharing its
    ///   module, or given the engine with [`engine`](Self::engine). Size it for the most hosts alive at once,
    ///   plus one for each [`WapcHost::replace_module`](wapc::WapcHost::replace_module) running (the new
    ///   instance is made before the old one goes). A `wapc_pool::Pool` can briefly hold a few instances more
    ///   than its `max_instances` while it drops some (idle ones, those of a replaced module) and makes others:
    ///   give it a few slots to spare.
    /// - **Modules refused earlier.** A module that no slot can hold (more memories or tables than above, an
    ///   initial size past the limits) is refused when it is loaded, with [`Error::InvalidModule`], rather than
    ///   when it is instantiated.
    ///
    /// Deadlines work as without it. Not combinable with [`engine`](Self::engine): a caller's engine brings
    /// its own allocation strategy (set it with wasmtime's
    /// [`PoolingAllocationConfig`](wasmtime::PoolingAllocationConfig)), and asking for both is refused with
    /// [`Error::Provider`].
    pub fn pooling_allocator(mut self, max_instances: u32) -> Self {
        self.pooling_instances = Some(max_instances);
        self
    }

    /// Compiles (or loads) and links the module.
    ///
    /// # Errors
    /// [`Error::InvalidModule`] for bytes that are not a valid module or imports that cannot be satisfied (or,
    /// with the [`pooling_allocator`](Self::pooling_allocator), a module no slot can hold),
    /// [`Error::Provider`] for a configuration that contradicts itself or an engine wasmtime cannot make.
    pub fn build_pre(&self) -> Result<WasmtimeEngineProviderPre> {
        self.link(HostCalls::Blocking)
    }

    /// Builds the provider.
    ///
    /// # Errors
    /// Those of [`build_pre`](Self::build_pre).
    pub fn build(&self) -> Result<WasmtimeEngineProvider> {
        self.build_pre()?.rehydrate(self.epoch_deadlines)
    }

    /// Compiles (or loads) and links the module for [`WapcHostAsync`](wapc::WapcHostAsync)s, whose guests
    /// await their host calls: see [`WasmtimeEngineProviderAsyncPre`].
    ///
    /// An engine the builder makes has epoch interruption on, so that guests yield to the executor at every
    /// [`DEADLINE_TICK`](crate::DEADLINE_TICK) even without a deadline; one given with [`engine`](Self::engine)
    /// yields only if it has it on.
    ///
    /// # Errors
    /// Those of [`build_pre`](Self::build_pre).
    #[cfg(feature = "async")]
    pub fn build_async_pre(&self) -> Result<WasmtimeEngineProviderAsyncPre> {
        Ok(WasmtimeEngineProviderAsyncPre::new(self.link(HostCalls::Awaiting)?, self.epoch_deadlines))
    }

    /// Builds an async provider, for a [`WapcHostAsync`](wapc::WapcHostAsync).
    ///
    /// # Errors
    /// Those of [`build_pre`](Self::build_pre).
    #[cfg(feature = "async")]
    pub fn build_async(&self) -> Result<WasmtimeEngineProviderAsync> {
        self.build_async_pre()?.rehydrate()
    }

    fn link(&self, host_calls: HostCalls) -> Result<WasmtimeEngineProviderPre> {
        let wall_clock = self.deadline.or(self.init_deadline).map(|call| (self.init_deadline.unwrap_or(call), call));
        if wall_clock.is_some() && self.epoch_deadlines.is_some() {
            return Err(Error::provider("epoch deadlines and a wall-clock deadline cannot be combined"));
        }
        let limits = self.resource_limits.unwrap_or(ResourceLimits::DEFAULT);
        let engine = match (&self.engine, self.pooling_instances) {
            (Some(_), Some(_)) => {
                return Err(Error::provider(
                    "the pooling allocator configures the builder's own engine: configure the engine given with \
                     `engine` instead",
                ));
            }
            (Some(engine), None) => engine.clone(),
            (None, pooling_instances) => {
                let mut config = Config::new();
                #[cfg(feature = "async")]
                let yields = matches!(host_calls, HostCalls::Awaiting);
                #[cfg(not(feature = "async"))]
                let yields = false;
                config.epoch_interruption(yields || wall_clock.is_some() || self.epoch_deadlines.is_some());
                if let Some(instances) = pooling_instances {
                    config.allocation_strategy(pooling::config(instances, &limits)?);
                }
                Engine::new(&config).map_err(|e| Error::provider(format!("{e:#}")))?
            }
        };
        if wall_clock.is_some() && !engine.get_epoch_interruption() {
            return Err(Error::provider("a deadline needs an engine with `Config::epoch_interruption(true)`"));
        }
        let module = self.load_module(&engine)?;
        let settings = Settings {
            limits,
            deadline: wall_clock,
            #[cfg(feature = "wasi")]
            wasi: self.wasi.clone(),
        };
        WasmtimeEngineProviderPre::new(engine, module, Arc::new(settings), host_calls)
    }

    fn load_module(&self, engine: &Engine) -> Result<Module> {
        match (self.module_bytes, &self.module, self.precompiled_bytes) {
            (Some(bytes), None, None) => Module::new(engine, bytes).map_err(|e| invalid_module(&e)),
            (None, Some(module), None) => Ok(module.clone()),
            // SAFETY: `precompiled_module_bytes` is `unsafe`; its caller vouched that the bytes are wasmtime's.
            (None, None, Some(bytes)) => unsafe { Module::deserialize(engine, bytes) }.map_err(|e| invalid_module(&e)),
            (None, None, None) => Err(Error::provider("no module given: call `module_bytes` or `module`")),
            _ => Err(Error::provider("more than one module given: call only one of `module_bytes` and `module`")),
        }
    }
}

impl std::fmt::Debug for WasmtimeEngineProviderBuilder<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmtimeEngineProviderBuilder")
            .field("module_bytes", &self.module_bytes.map(<[u8]>::len))
            .field("precompiled_bytes", &self.precompiled_bytes.map(<[u8]>::len))
            .field("module", &self.module.is_some())
            .field("engine", &self.engine.is_some())
            .field("epoch_deadlines", &self.epoch_deadlines)
            .field("deadline", &self.deadline)
            .field("init_deadline", &self.init_deadline)
            .field("resource_limits", &self.resource_limits)
            .field("pooling_instances", &self.pooling_instances)
            .finish_non_exhaustive()
    }
}
