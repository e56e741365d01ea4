//! A [`WapcHost`] for a module, with the engine, limits, WASI settings and bridge the command line asks for.

use std::path::Path;

use clap::error::ErrorKind;
use wapc::{ResourceLimits, WapcHost, WasiParams, WasiStdio};
use wasmi_provider::{FuelLimits, WasmiEngineProviderBuilder};
use wasmtime_provider::WasmtimeEngineProviderBuilder;
use wrpc_bridge::Bridge;

use crate::args::{Engine, EngineArgs};
use crate::failure::Failure;

/// Reads the module at `path`.
pub fn module(path: &Path) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|e| Failure::host(format!("cannot read the module {}: {e}", path.display())))
}

/// A host of `module` as `args` say, its WASI guest's stdio `stdio`.
pub fn host(module: &[u8], args: &EngineArgs, stdio: WasiStdio) -> Result<WapcHost, Failure> {
    let callback = bridge(args)?.map(|bridge| bridge.host_callback());
    WapcHost::new(provider(module, args, stdio)?, callback).map_err(Failure::from)
}

/// The bridge `--bridge` configures, if any: the guest's host calls go through it.
pub fn bridge(args: &EngineArgs) -> Result<Option<Bridge>, Failure> {
    let Some(path) = &args.bridge else { return Ok(None) };
    let bridge = Bridge::from_config_file(path);
    bridge.map(Some).map_err(|e| Failure::host(format!("the bridge in {} cannot start: {e}", path.display())))
}

/// The engine provider of `module` as `args` say, its WASI guest's stdio `stdio`: the module compiled, not yet
/// instantiated.
pub fn provider(
    module: &[u8],
    args: &EngineArgs,
    stdio: WasiStdio,
) -> Result<Box<dyn wapc::WebAssemblyEngineProvider>, Failure> {
    check(args)?;
    let limits = ResourceLimits {
        max_memory_size: args.max_memory.or(ResourceLimits::DEFAULT.max_memory_size),
        ..ResourceLimits::DEFAULT
    };
    let wasi = WasiParams::new(Vec::new(), Vec::new(), args.env.clone(), Vec::new());
    let engine: Box<dyn wapc::WebAssemblyEngineProvider> = match args.engine {
        Engine::Wasmtime => {
            let mut builder = WasmtimeEngineProviderBuilder::new()
                .module_bytes(module)
                .enable_resource_limits(limits)
                .wasi_params(wasi)
                .wasi_stdio(stdio);
            for (host, guest) in args.dirs.iter().map(|dir| preopen(dir)) {
                builder = builder.wasi_read_only_dir(host, guest);
            }
            if let Some(deadline) = args.deadline {
                builder = builder.deadline(deadline);
            }
            Box::new(builder.build().map_err(Failure::from)?)
        }
        Engine::Wasmi => {
            let mut builder = WasmiEngineProviderBuilder::new()
                .module_bytes(module)
                .enable_resource_limits(limits)
                .wasi_params(wasi)
                .wasi_stdio(stdio);
            for (host, guest) in args.dirs.iter().map(|dir| preopen(dir)) {
                builder = builder.wasi_read_only_dir(host, guest);
            }
            if let Some(fuel) = args.fuel {
                builder = builder.enable_fuel_limits(FuelLimits { wapc_init: fuel, wapc_func: fuel });
            }
            Box::new(builder.build().map_err(Failure::from)?)
        }
    };
    Ok(engine)
}

/// Refuses limits the chosen engine does not have, pointing to the one it has.
fn check(args: &EngineArgs) -> Result<(), Failure> {
    match (args.engine, args.deadline, args.fuel) {
        (Engine::Wasmi, Some(_), _) => Err(Failure::usage(
            ErrorKind::ArgumentConflict,
            "--deadline needs --engine wasmtime: wasmi counts fuel, not time; use --fuel N",
        )),
        (Engine::Wasmtime, _, Some(_)) => Err(Failure::usage(
            ErrorKind::ArgumentConflict,
            "--fuel needs --engine wasmi: wasmtime limits time, not fuel; use --deadline 5s",
        )),
        _ => Ok(()),
    }
}

/// `HOST` or `HOST:GUEST`: the host directory, and where the guest sees it (the same path by default).
fn preopen(dir: &str) -> (String, String) {
    match dir.split_once(':') {
        Some((host, guest)) => (host.to_owned(), guest.to_owned()),
        None => (dir.to_owned(), dir.to_owned()),
    }
}
