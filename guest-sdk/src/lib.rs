//! Write [waPC](https://wapc.io) guest modules in Rust.
//!
//! A guest registers its operations in `wapc_init`, which every waPC host runs once after instantiation;
//! the host then runs them through the `__guest_call` export this crate provides. Handlers take the payload
//! and return the response bytes, or an error whose text the host receives.
//!
//! ```
//! use wapc_guest::prelude::*;
//!
//! #[unsafe(no_mangle)]
//! pub extern "C" fn wapc_init() {
//!     register_function("greet", greet);
//! }
//!
//! fn greet(payload: &[u8]) -> CallResult {
//!     let name = std::str::from_utf8(payload)?;
//!     console_log(&format!("greeting {name}"));
//!     Ok(format!("Hello, {name}!").into_bytes())
//! }
//! # assert_eq!(greet(b"world").unwrap(), b"Hello, world!");
//! ```
//!
//! Build with `cargo build --release --target wasm32-unknown-unknown` and a `cdylib` crate type.
//!
//! # Any waPC host
//!
//! Modules follow the waPC ABI to the letter, so they run on every waPC host (Rust, Go, JavaScript, ...), not
//! only on the `wapc` crate's. The dispatch path takes no lock and allocates only the payload buffer (and the
//! operation name, when it is longer than 64 bytes).
//!
//! # WebAssembly features
//!
//! Current Rust compiles `wasm32-unknown-unknown` with the `bulk-memory`, `nontrapping-fptoint`,
//! `sign-ext`, `mutable-globals`, `reference-types` and `multivalue` features on, so modules need a host engine
//! that supports them (wasmtime and wasmi do, as do current browsers and Node.js). For an older host that
//! knows only WebAssembly 1.0 (the "MVP"), build for the `wasm32v1-none` target (`no_std`-only crates), or with
//! `-C target-cpu=mvp` and a nightly `-Z build-std=std,panic_abort` so the standard library is rebuilt without
//! the newer features.
//!
//! # Native builds
//!
//! The crate also compiles for the machine you develop on, so handlers can be unit-tested with `cargo test`:
//! [`call_handler`] runs a registered handler as a host would, [`host_call`] returns a
//! [`HostError`](errors::HostError) (there is no host) and [`console_log`] writes to stderr.
//!
//! # Features
//!
//! - `codec`: MessagePack helpers for typed payloads ([`codec`]).

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic))]

#[cfg(feature = "codec")]
pub mod codec;
pub mod errors;
#[cfg(target_family = "wasm")]
mod guest_call;
mod host;
#[cfg(target_family = "wasm")]
mod imports;
mod registry;

#[cfg(target_family = "wasm")]
pub use guest_call::__guest_call;
pub use host::{console_log, host_call};
pub use registry::{HandlerSignature, OwnedHandlerSignature, call_handler, register_function, register_owned_function};

/// What handlers and host calls return: response bytes, or an error.
pub type CallResult = Result<Vec<u8>, Box<dyn std::error::Error + Sync + Send>>;

/// A result with the error type handlers use, for helpers that return other things than bytes.
pub type HandlerResult<T> = Result<T, Box<dyn std::error::Error + Sync + Send>>;

/// Everything a guest module usually needs: `use wapc_guest::prelude::*;`.
pub mod prelude {
    #[cfg(feature = "codec")]
    pub use crate::codec::messagepack;
    pub use crate::{CallResult, HandlerResult, console_log, host_call, register_function, register_owned_function};
}
