//! The bodies of the fuzz targets under `fuzz/` (a cargo-fuzz workspace of its own, run with nightly), kept here
//! in the main workspace so that `tests/corpus.rs` replays their committed corpus on stable in every CI run.
//!
//! Each module is one target, `pub fn run(data: &[u8])`, which panics when a property fails:
//!
//! - [`abi`]: the `wapc` imports called with arbitrary pointers, lengths and return codes by a real instance, on
//!   wasmtime and on wasmi at once.
//! - [`frame_reader`]: arbitrary bytes from a client or a peer through [`FrameReader`](wrpc_bridge::framing::FrameReader).
//! - [`transcode_forward`]: arbitrary MessagePack for arbitrary WIT parameter types, to the wire and back.
//! - [`transcode_reverse`]: arbitrary wire bytes for arbitrary WIT parameter types, scanned, decoded and encoded
//!   again.
//!
//! Run one with `cargo +nightly fuzz run <target>` from `fuzz/`.

pub mod abi;
pub mod frame_reader;
pub mod transcode_forward;
pub mod transcode_reverse;
mod wit_types;
