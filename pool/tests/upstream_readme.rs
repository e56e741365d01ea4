//! Upstream `wapc-pool`'s README example, as published but for the module path: the conformance guest built
//! from source with upstream's `wapc-guest`, whose `echo` answers its payload. Upstream's formatting and lints
//! are kept, untouched by ours.
#![cfg_attr(rustfmt, rustfmt::skip)]
#![allow(clippy::uninlined_format_args)]

use std::fs::read;

use wapc::WapcHost;
use wapc_codec::messagepack::{deserialize, serialize};
use wapc_pool::HostPoolBuilder;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
  let file = read(wapc_conformance::guests::GUEST_UPSTREAM_PATH)?;

  let engine = wasmtime_provider::WasmtimeEngineProviderBuilder::new()
    .module_bytes(&file)
    .build()?;

  let pool = HostPoolBuilder::new()
    .name("pool example")
    .factory(move || {
      let engine = engine.clone();
      WapcHost::new(Box::new(engine), None).unwrap()
    })
    .max_threads(5)
    .build();

  let bytes = pool.call("echo", serialize("Hello!")?).await?;

  let result: String = deserialize(&bytes)?;

  println!("Wasm module returned: {}", result);

  Ok(())
}
