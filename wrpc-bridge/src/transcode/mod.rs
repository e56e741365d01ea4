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
//! | `stream<u8>` | bin, or an array of ints 0..=255 | bin |
//! | `stream<T>` | array | array |
//! | `future<T>` / `future` | the value of `T` / nil | same |
//! | `own<R>`, `borrow<R>` | bin: the handle's bytes, as the peer made them | bin |
//!
//! Streams and futures are carried whole. On the wire (wRPC's SPEC.md) a stream is a `list<T>` and a future a
//! `variant { pending, ready(T) }`; the bridge sends a non-empty stream and every future inline, and an empty
//! stream pending with the empty chunk that ends it on its path (an empty inline list *means* pending). What a
//! peer sends pending is collected from its path before decoding ([`WireScanner::deferred`], [`Received`]). A
//! resource handle is the `list<u8>` the peer made; the guest holds its bytes and passes them back.
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
pub use scan::{PendingValue, WireScanner};

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

/// The contents of a stream or future sent pending, received on its path: decoding takes them in its place.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Received {
    /// The bytes received on the path: a stream's chunks, the empty one that ends them included; a future's value.
    pub wire: Vec<u8>,
    /// How many elements a stream's chunks hold ([`WireScanner::elements`]).
    pub elements: usize,
}

/// The paths of the empty streams in `wire`, values this crate encoded, whose ends must follow on those paths:
/// an empty inline list means *pending* in wRPC, so the empty chunk that ends the stream is sent on its path.
/// `scanner` is a fresh scanner of the values' types.
///
/// # Errors
/// When `wire` is not complete values of the scanner's types.
pub fn stream_ends(mut scanner: WireScanner<'_>, wire: &[u8]) -> Result<Vec<Box<[usize]>>, TranscodeError> {
    match scanner.scan(wire)? {
        Some(_) => Ok(scanner.deferred().iter().map(|pending| pending.path.clone()).collect()),
        None => Err(TranscodeError::incomplete()),
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

/// About how many msgpack bytes decoding `wire` and what was `received` on its paths writes: as many as came, and a
/// little more for headers. One allocation holds a whole received stream, which would otherwise grow by doubling.
fn output_size(wire: &[u8], received: &[Received]) -> usize {
    received.iter().fold(wire.len().saturating_add(16), |size, received| size.saturating_add(received.wire.len()))
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
