//! Typed transcoding between a guest's msgpack and the wRPC value encoding, guided by a WIT
//! [`Function`](crate::wit::Function)'s types. This is the bridge's hot path: bytes go straight
//! from `&[u8]` to `Vec<u8>`, without an intermediate value tree.
//!
//! The mapping (DESIGN.md §6):
//!
//! | WIT | msgpack accepted | msgpack written |
//! |---|---|---|
//! | params: 0 / 1 / 2+ | nil, empty input, `[]` or `{}` / the bare value / an array (positional) or a map by name | nil / the bare value / a map by name |
//! | results: 0 / 1 / 2+ | - / the bare value / an array | nil / the bare value / an array |
//! | `bool`, `s8`..`u64` | bool; any int that fits exactly | bool; int |
//! | `f32`, `f64` | float or int (rounded to nearest) | float |
//! | `char`, `string` | str (`char`: exactly one scalar value) | str |
//! | `list<u8>` | bin, or an array of ints 0..=255 | bin |
//! | `list<T>`, `tuple` | array | array |
//! | record | a map by field name, or an array in field order | a map, names per [`Options::names`] |
//! | enum | str | str |
//! | variant | str for a case without payload, `{case: payload}` | same |
//! | flags | an array of flag names | same |
//! | `option<T>` | nil = none, else some; `{"some": v}` when `T` is itself an option | same |
//! | `result<T, E>`, single result | - | ok: the response is `T` (nil without `T`); err: [`Outcome::Err`] |
//! | `result<T, E>`, nested | `{"ok": v}` / `{"err": e}`, nil without payload (or the bare str) | `{"ok": v}` / `{"err": e}` |
//!
//! Names (fields, parameters, cases, flags) are accepted in kebab-case, snake_case or camelCase.
//! A map that leaves out an `option` field means `none`. NaNs are canonicalised in both
//! directions, as wasm-wave does.

mod decode;
mod encode;
mod error;
mod forward;
mod msgpack;
mod names;
pub mod opaque;
mod reverse;
mod scan;
mod wave;
pub(crate) mod wire;

pub use error::{ErrorKind, TranscodeError};
pub use forward::{decode_results, encode_params};
pub use names::NameCase;
pub use reverse::{decode_params, encode_results};
pub use scan::WireScanner;

use crate::wit::Type;

/// The most bytes one transcoding may write when nothing else is configured: 16 MiB, the cap on an
/// invocation's bytes on the wire ([`DEFAULT_MAX_INVOCATION_BYTES`](crate::framing::DEFAULT_MAX_INVOCATION_BYTES)).
pub const DEFAULT_MAX_OUTPUT_BYTES: usize = 16 * 1024 * 1024;

/// Transcoding options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// How record field names and parameter names are written to msgpack.
    pub names: NameCase,
    /// The most bytes a transcoding may write, in either direction ([`DEFAULT_MAX_OUTPUT_BYTES`] by default).
    /// Input can expand: a flags byte on the wire becomes several names in msgpack, and an empty msgpack map one
    /// byte per `option` field it leaves out; past the cap the transcoding fails with [`ErrorKind::TooLarge`].
    pub max_output_bytes: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options { names: NameCase::default(), max_output_bytes: DEFAULT_MAX_OUTPUT_BYTES }
    }
}

/// A component function's results, as the guest sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The msgpack response for the guest.
    Ok(Vec<u8>),
    /// The text of a host error: the function's single `result` came back `err`.
    Err(String),
}

/// Whether `some` values of `option<some>` are written `{"some": value}`: when `some` is itself
/// an option, nil alone could not tell `none` from `some(none)`.
fn wraps_some(some: &Type) -> bool {
    matches!(some, Type::Option(_))
}

/// Fails once `written` bytes are past `limit`. Checked at every list element, since only lists repeat: between
/// two checks a transcoding writes at most what one element's type allows.
fn within(written: usize, limit: usize) -> Result<(), TranscodeError> {
    if written > limit { Err(TranscodeError::new(ErrorKind::TooLarge { limit })) } else { Ok(()) }
}

/// The width of an integer type's LEB128 encoding (16, 32 or 64 bits).
fn int_bits(ty: &Type) -> u32 {
    match ty {
        Type::S16 | Type::U16 => 16,
        Type::S32 | Type::U32 => 32,
        _ => 64,
    }
}

/// NaNs are canonicalised, as wasm-wave and the component model's deterministic profile do.
fn canonical_f32(v: f32) -> f32 {
    if v.is_nan() { f32::NAN } else { v }
}

/// See [`canonical_f32`].
fn canonical_f64(v: f64) -> f64 {
    if v.is_nan() { f64::NAN } else { v }
}

#[cfg(test)]
mod tests;
