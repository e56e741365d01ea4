//! Typed payloads in MessagePack, structs as maps, as every waPC SDK writes them (feature `codec`).

pub use wapc_codec::messagepack;

/// Calls the host with `request` encoded as MessagePack and decodes its response as an `R`.
///
/// ```no_run
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Serialize)]
/// struct Get<'a> { key: &'a str }
/// #[derive(Deserialize)]
/// struct Value { value: Option<String> }
///
/// # fn run() -> wapc_guest::HandlerResult<()> {
/// let found: Value = wapc_guest::codec::host_call("kv", "store", "get", &Get { key: "visits" })?;
/// # Ok(())
/// # }
/// ```
///
/// # Errors
/// The host's error, or an encoding or decoding error.
pub fn host_call<T: serde::Serialize, R: serde::de::DeserializeOwned>(
    binding: &str,
    namespace: &str,
    operation: &str,
    request: &T,
) -> crate::HandlerResult<R> {
    let response = crate::host_call(binding, namespace, operation, &messagepack::serialize(request)?)?;
    Ok(messagepack::deserialize(&response)?)
}
