//! The hello demo: loads the hello guest (built from `examples/hello-guest` by this package's build script),
//! calls its `hello` operation and prints the answer. The guest calls back into the host for the salutation.
//!
//! ```text
//! cargo run -p wapc-examples --bin hello -- [NAME] [--module PATH] [--engine wasmtime|wasmi]
//! cargo run -p wapc-examples --bin hello -- --guest-path    # where the hello guest's .wasm is, for `wapc`
//! ```

use std::error::Error;

use wapc::{WapcHost, WapcHostBuilder, WebAssemblyEngineProvider};
use wasmi_provider::WasmiEngineProviderBuilder;
use wasmtime_provider::WasmtimeEngineProviderBuilder;

/// The hello guest this package's build script compiled.
const HELLO_GUEST: &str = env!("HELLO_GUEST_WASM");

fn main() -> Result<(), Box<dyn Error>> {
    let mut name = "World".to_owned();
    let mut module_path = HELLO_GUEST.to_owned();
    let mut engine_name = "wasmtime".to_owned();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--module" => module_path = args.next().ok_or("--module needs a path")?,
            "--engine" => engine_name = args.next().ok_or("--engine needs `wasmtime` or `wasmi`")?,
            "--guest-path" => {
                println!("{HELLO_GUEST}");
                return Ok(());
            }
            "--help" | "-h" => {
                println!("usage: hello [NAME] [--module PATH] [--engine wasmtime|wasmi] | hello --guest-path");
                return Ok(());
            }
            _ => name = arg,
        }
    }

    let module = std::fs::read(&module_path).map_err(|e| format!("cannot read {module_path}: {e}"))?;
    let engine: Box<dyn WebAssemblyEngineProvider> = match engine_name.as_str() {
        "wasmtime" => Box::new(WasmtimeEngineProviderBuilder::new().module_bytes(&module).build()?),
        "wasmi" => Box::new(WasmiEngineProviderBuilder::new().module_bytes(&module).build()?),
        other => return Err(format!("unknown engine {other:?}: choose `wasmtime` or `wasmi`").into()),
    };
    let host: WapcHost = WapcHostBuilder::new()
        .host_callback(|id, binding, namespace, operation, payload| {
            println!(
                "host: guest {id} called {binding}/{namespace}/{operation} with {:?}",
                String::from_utf8_lossy(payload)
            );
            match (binding, namespace, operation) {
                ("demo", "greetings", "salutation") => Ok(b"Hello".to_vec()),
                _ => Err(format!("this host has no {binding}/{namespace}/{operation}").into()),
            }
        })
        .console_log(|id, line| println!("guest {id} logs: {line}"))
        .build(engine)?;

    let answer = host.call("hello", name.as_bytes())?;
    println!("{}", String::from_utf8_lossy(&answer));
    Ok(())
}
