//! Typed payloads in MessagePack, structs as maps, as every waPC SDK writes them (feature `codec`).

/// MessagePack encoding, byte-compatible with upstream `wapc-codec`.
pub mod messagepack {
    use serde::Serialize;
    use serde::de::Deserialize;

    /// Why a value could not be encoded.
    pub type EncodeError = rmp_serde::encode::Error;
    /// Why bytes could not be decoded into the requested type.
    pub type DecodeError = rmp_serde::decode::Error;

    /// Encodes `item` as MessagePack, structs as maps keyed by field name.
    ///
    /// # Errors
    /// When `item`'s `Serialize` implementation fails.
    pub fn serialize<T: Serialize>(item: T) -> Result<Vec<u8>, EncodeError> {
        rmp_serde::to_vec_named(&item)
    }

    /// Decodes MessagePack `bytes` into a `T`.
    ///
    /// # Errors
    /// When `bytes` is not MessagePack or does not fit `T`.
    pub fn deserialize<'de, T: Deserialize<'de>>(bytes: &'de [u8]) -> Result<T, DecodeError> {
        rmp_serde::from_slice(bytes)
    }
}

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
