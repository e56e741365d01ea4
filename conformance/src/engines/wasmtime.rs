//! wasmtime, through `wasmtime-provider`.

use std::collections::HashMap;
use std::sync::LazyLock;
use std::time::Duration;

use parking_lot::Mutex;
use wapc::errors::{Error, ExecutionLimit, Result};
use wasmtime_provider::wasmtime::{Config, Module};
use wasmtime_provider::{WasmtimeEngineProviderBuilder, wasmtime};

use crate::{Engine, Options, Provider};

/// The wall-clock deadline of [`Options::limited`] providers.
const CALL_DEADLINE: Duration = Duration::from_millis(50);

/// wasmtime with one shared engine (epoch interruption on, for deadlines) and each module compiled once, its
/// providers blocking ([`WASMTIME`]) or async ([`WASMTIME_ASYNC`]).
pub struct Wasmtime {
    engine: wasmtime::Engine,
    compiled: Mutex<HashMap<Vec<u8>, Module>>,
    asynchronous: bool,
}

/// The wasmtime engine of the suite, with blocking providers.
pub static WASMTIME: LazyLock<Wasmtime> = LazyLock::new(|| Wasmtime::new(false));

/// The wasmtime engine of the suite, with async providers ([`build_async`]) driving
/// [`WapcHostAsync`](wapc::WapcHostAsync)s.
///
/// [`build_async`]: wasmtime_provider::WasmtimeEngineProviderBuilder::build_async
pub static WASMTIME_ASYNC: LazyLock<Wasmtime> = LazyLock::new(|| Wasmtime::new(true));

impl Wasmtime {
    fn new(asynchronous: bool) -> Self {
        let mut config = Config::new();
        config.epoch_interruption(true);
        let engine = wasmtime::Engine::new(&config).unwrap_or_else(|e| panic!("cannot make a wasmtime engine: {e}"));
        Wasmtime { engine, compiled: Mutex::default(), asynchronous }
    }

    fn build(&self, builder: &WasmtimeEngineProviderBuilder<'_>) -> Result<Provider> {
        Ok(if self.asynchronous {
            Provider::Async(Box::new(builder.build_async()?))
        } else {
            Provider::Blocking(Box::new(builder.build()?))
        })
    }

    fn compiled(&self, module: &[u8]) -> Result<Module> {
        if let Some(compiled) = self.compiled.lock().get(module) {
            return Ok(compiled.clone());
        }
        let compiled = Module::new(&self.engine, module).map_err(|e| Error::InvalidModule(format!("{e:#}")))?;
        self.compiled.lock().insert(module.to_vec(), compiled.clone());
        Ok(compiled)
    }
}

impl Engine for Wasmtime {
    fn name(&self) -> &'static str {
        if self.asynchronous { "wasmtime-async" } else { "wasmtime" }
    }

    fn provider(&self, module: &[u8], options: &Options) -> Result<Provider> {
        let mut builder = WasmtimeEngineProviderBuilder::new()
            .engine(self.engine.clone())
            .module(self.compiled(module)?)
            .wasi_params(options.wasi.clone())
            .wasi_stdio(options.stdio.clone());
        for (host, guest) in &options.read_only_dirs {
            builder = builder.wasi_read_only_dir(host, guest);
        }
        if options.limited {
            builder = builder.deadline(CALL_DEADLINE);
        }
        if let Some(limits) = options.limits {
            builder = builder.enable_resource_limits(limits);
        }
        self.build(&builder)
    }

    fn precompiled_provider(&self, module: &[u8]) -> Result<Provider> {
        let precompiled = WasmtimeEngineProviderBuilder::new()
            .engine(self.engine.clone())
            .module_bytes(module)
            .build_pre()?
            .serialize()?;
        // SAFETY: the bytes were serialised just above, by this engine.
        let builder = unsafe { WasmtimeEngineProviderBuilder::new().precompiled_module_bytes(&precompiled) };
        self.build(&builder.engine(self.engine.clone()))
    }

    fn limit(&self) -> ExecutionLimit {
        ExecutionLimit::WallClock(CALL_DEADLINE)
    }
}
