//! Typed waPC payloads: MessagePack with structs as maps keyed by field name, byte-compatible with upstream
//! `wapc-codec` and every waPC guest SDK. Hosts reach it as `wapc::codec` (feature `codec`), guests as
//! `wapc_guest::codec` (feature `codec`).

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic))]

/// MessagePack encoding of payloads.
///
/// ```
/// use serde::{Deserialize, Serialize};
/// use wapc_codec::messagepack::{deserialize, serialize};
///
/// #[derive(Serialize, Deserialize, Debug, PartialEq)]
/// struct Person { name: String, age: u8 }
///
/// let bytes = serialize(&Person { name: "Ada".into(), age: 36 }).unwrap();
/// assert_eq!(bytes, b"\x82\xa4name\xa3Ada\xa3age\x24"); // a map keyed by field name
/// assert_eq!(deserialize::<Person>(&bytes).unwrap(), Person { name: "Ada".into(), age: 36 });
/// ```
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
