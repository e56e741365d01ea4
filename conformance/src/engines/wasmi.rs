//! wasmi, through `wasmi-provider`.

use std::collections::HashMap;
use std::sync::LazyLock;

use parking_lot::Mutex;
use wapc::errors::{ExecutionLimit, Result};
use wasmi_provider::wasmi::{self, Config, Module};
use wasmi_provider::{FuelLimits, WasmiEngineProviderBuilder};

use crate::{Engine, Options, Provider};

/// The fuel of [`Options::limited`] providers: ample for every ordinary call of the suite (the 1 MiB echo
/// included), and a fraction of a second of an infinite loop.
const CALL_FUEL: u64 = 50_000_000;

/// wasmi with one shared engine (fuel metering on, for budgets) and each module compiled once, its providers
/// blocking ([`WASMI`]) or async ([`WASMI_ASYNC`]).
pub struct Wasmi {
    engine: wasmi::Engine,
    compiled: Mutex<HashMap<Vec<u8>, Module>>,
    asynchronous: bool,
}

/// The wasmi engine of the suite, with blocking providers.
pub static WASMI: LazyLock<Wasmi> = LazyLock::new(|| Wasmi::new(false));

/// The wasmi engine of the suite, with async providers ([`build_async`]) driving
/// [`WapcHostAsync`](wapc::WapcHostAsync)s.
///
/// [`build_async`]: wasmi_provider::WasmiEngineProviderBuilder::build_async
pub static WASMI_ASYNC: LazyLock<Wasmi> = LazyLock::new(|| Wasmi::new(true));

impl Wasmi {
    fn new(asynchronous: bool) -> Self {
        let mut config = Config::default();
        config.consume_fuel(true);
        Wasmi { engine: wasmi::Engine::new(&config), compiled: Mutex::default(), asynchronous }
    }

    fn build(&self, builder: &WasmiEngineProviderBuilder<'_>) -> Result<Provider> {
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
        let compiled =
            WasmiEngineProviderBuilder::new().engine(self.engine.clone()).module_bytes(module).build_pre()?;
        let compiled = compiled.module().clone();
        self.compiled.lock().insert(module.to_vec(), compiled.clone());
        Ok(compiled)
    }
}

impl Engine for Wasmi {
    fn name(&self) -> &'static str {
        if self.asynchronous { "wasmi-async" } else { "wasmi" }
    }

    fn provider(&self, module: &[u8], options: &Options) -> Result<Provider> {
        let mut builder = WasmiEngineProviderBuilder::new()
            .module(self.compiled(module)?)
            .wasi_params(options.wasi.clone())
            .wasi_stdio(options.stdio.clone());
        for (host, guest) in &options.read_only_dirs {
            builder = builder.wasi_read_only_dir(host, guest);
        }
        if options.limited {
            builder = builder.enable_fuel_limits(FuelLimits { wapc_init: CALL_FUEL, wapc_func: CALL_FUEL });
        }
        if let Some(limits) = options.limits {
            builder = builder.enable_resource_limits(limits);
        }
        self.build(&builder)
    }

    /// wasmi has no precompiled form: this is the shared-compilation path, a [`WasmiEngineProviderPre`]
    /// rehydrated.
    ///
    /// [`WasmiEngineProviderPre`]: wasmi_provider::WasmiEngineProviderPre
    fn precompiled_provider(&self, module: &[u8]) -> Result<Provider> {
        let builder = WasmiEngineProviderBuilder::new().engine(self.engine.clone()).module_bytes(module);
        Ok(if self.asynchronous {
            Provider::Async(Box::new(builder.build_async_pre()?.rehydrate()?))
        } else {
            Provider::Blocking(Box::new(builder.build_pre()?.rehydrate()?))
        })
    }

    fn limit(&self) -> ExecutionLimit {
        ExecutionLimit::Fuel(CALL_FUEL)
    }
}
