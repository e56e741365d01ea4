//! The example of the `wapc` 1.1 crate page, as published but for the module path: upstream's `wasm-basic`
//! guest, built from its source with upstream `wapc-guest`. Upstream's formatting and lints are kept.
#![cfg_attr(rustfmt, rustfmt::skip)]
#![allow(deprecated, missing_docs, clippy::uninlined_format_args)]

use wasmtime_provider::WasmtimeEngineProvider; // Or Wasm3EngineProvider
use wapc::WapcHost;
use std::error::Error;
pub fn main() -> Result<(), Box<dyn Error>> {

  // Sample host callback that prints the operation a WASM module requested.
  let host_callback = |id: u64, bd: &str, ns: &str, op: &str, payload: &[u8]| {
    println!("Guest {} invoked '{}->{}:{}' with a {} byte payload",
    id, bd, ns, op, payload.len());
    // Return success with zero-byte payload.
    Ok(vec![])
  };

  let file = wapc_conformance::guests::GUEST_BASIC_PATH;
  let module_bytes = std::fs::read(file)?;

  let engine = WasmtimeEngineProvider::new(&module_bytes, None)?;
  let host = WapcHost::new(Box::new(engine), Some(Box::new(host_callback)))?;

  let res = host.call("ping", b"payload bytes")?;
  assert_eq!(res, b"payload bytes");

  Ok(())
}
