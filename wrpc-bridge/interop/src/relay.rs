//! A waPC host running the relay guest (a real `wapc-guest` module) with a bridge as its host callback.

use std::time::Duration;

use wapc::WapcHost;
use wasmtime_provider::WasmtimeEngineProviderBuilder;
use wrpc_bridge::Bridge;

/// The relay guest the build script compiled.
pub const RELAY_GUEST: &[u8] = include_bytes!(env!("RELAY_GUEST_WASM"));

/// A host of the relay guest whose host calls go through `bridge`.
///
/// # Panics
/// When the guest does not load.
#[must_use]
pub fn host(bridge: &Bridge) -> WapcHost {
    let engine =
        WasmtimeEngineProviderBuilder::new().module_bytes(RELAY_GUEST).build().unwrap_or_else(|e| panic!("{e}"));
    WapcHost::new(Box::new(engine), Some(bridge.host_callback())).unwrap_or_else(|e| panic!("{e}"))
}

/// A host of the relay guest whose host calls each take `delay` and answer with their payload.
///
/// # Panics
/// When the guest does not load.
#[must_use]
pub fn echoing_host(delay: Duration) -> WapcHost {
    let engine =
        WasmtimeEngineProviderBuilder::new().module_bytes(RELAY_GUEST).build().unwrap_or_else(|e| panic!("{e}"));
    let callback = move |_: u64, _: &str, _: &str, _: &str, payload: &[u8]| {
        std::thread::sleep(delay);
        Ok(payload.to_vec())
    };
    WapcHost::new(Box::new(engine), Some(Box::new(callback))).unwrap_or_else(|e| panic!("{e}"))
}

/// Has the relay guest make `host_call(binding, namespace, operation, payload)`.
///
/// # Errors
/// The guest's error: the host error text of a failed host call.
pub fn call(
    host: &WapcHost,
    binding: &str,
    namespace: &str,
    operation: &str,
    payload: &[u8],
) -> Result<Vec<u8>, String> {
    let request =
        [binding.as_bytes(), b"\0", namespace.as_bytes(), b"\0", operation.as_bytes(), b"\0", payload].concat();
    host.call("relay", &request).map_err(|error| match error {
        wapc::errors::Error::GuestError(text) => text,
        other => other.to_string(),
    })
}
