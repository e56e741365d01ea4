//! wasmtime, through `wasmtime-provider`.

use std::collections::HashMap;
use std::sync::LazyLock;
use std::time::Duration;

use parking_lot::Mutex;
use wapc::WebAssemblyEngineProvider;
use wapc::errors::{Error, ExecutionLimit, Result};
use wasmtime_provider::wasmtime::{Config, Module};
use wasmtime_provider::{WasmtimeEngineProviderBuilder, wasmtime};

use crate::{Engine, Options};

/// The wall-clock deadline of [`Options::limited`] providers.
const CALL_DEADLINE: Duration = Duration::from_millis(50);

/// wasmtime with one shared engine (epoch interruption on, for deadlines) and each module compiled once.
pub struct Wasmtime {
    engine: wasmtime::Engine,
    compiled: Mutex<HashMap<Vec<u8>, Module>>,
}

/// The wasmtime engine of the suite.
pub static WASMTIME: LazyLock<Wasmtime> = LazyLock::new(Wasmtime::new);

impl Wasmtime {
    fn new() -> Self {
        let mut config = Config::new();
        config.epoch_interruption(true);
        let engine = wasmtime::Engine::new(&config).unwrap_or_else(|e| panic!("cannot make a wasmtime engine: {e}"));
        Wasmtime { engine, compiled: Mutex::default() }
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
        "wasmtime"
    }

    fn provider(&self, module: &[u8], options: &Options) -> Result<Box<dyn WebAssemblyEngineProvider>> {
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
        Ok(Box::new(builder.build()?))
    }

    fn precompiled_provider(&self, module: &[u8]) -> Result<Box<dyn WebAssemblyEngineProvider>> {
        let precompiled = WasmtimeEngineProviderBuilder::new()
            .engine(self.engine.clone())
            .module_bytes(module)
            .build_pre()?
            .serialize()?;
        // SAFETY: the bytes were serialised just above, by this engine.
        let builder = unsafe { WasmtimeEngineProviderBuilder::new().precompiled_module_bytes(&precompiled) };
        Ok(Box::new(builder.engine(self.engine.clone()).build()?))
    }

    fn limit(&self) -> ExecutionLimit {
        ExecutionLimit::WallClock(CALL_DEADLINE)
    }
}
