//! An engine-pluggable WebAssembly host for [waPC](https://wapc.io) modules.
//!
//! A [`WapcHost`] runs one waPC module through a [`WebAssemblyEngineProvider`]: `call("op", payload)` passes
//! the operation and payload in through the guest's `__guest_call`, and the guest's `__host_call`s come out
//! to a [`HostCallback`]. Modules built with any waPC guest SDK (Rust, TinyGo, AssemblyScript, Zig) run
//! unmodified.
//!
//! ```no_run
//! use wapc::WapcHost;
//! use wasmtime_provider::WasmtimeEngineProviderBuilder;
//!
//! # fn main() -> Result<(), wapc::errors::Error> {
//! let module = std::fs::read("hello.wasm")?;
//! let engine = WasmtimeEngineProviderBuilder::new().module_bytes(&module).build()?;
//! let host = WapcHost::new(Box::new(engine), Some(Box::new(|_id, _binding, _namespace, operation, payload| {
//!     Ok(format!("{operation} got {} bytes", payload.len()).into_bytes())
//! })))?;
//! let greeting = host.call("greet", b"world")?;
//! # Ok(())
//! # }
//! ```
//!
//! # Crate map
//!
//! - [`WapcHost`] and [`WapcHostBuilder`]: what applications use.
//! - [`WapcHostAsync`] and [`WapcHostAsyncBuilder`] (feature `async`, on by default): the same host for async
//!   code, whose guests await their [`HostCallbackAsync`] holding no thread; upstream `wapc` 2.x's API.
//! - [`errors`]: the one [`Error`](errors::Error) enum, whose variants keep the cause.
//! - [`WebAssemblyEngineProvider`] (and [`WebAssemblyEngineProviderAsync`]), [`abi`], [`GuestMemory`],
//!   [`ResourceUsage`]: what an engine provider implements and calls. The waPC ABI lives in [`abi`] only, and
//!   the rule of [`ResourceLimits`] in [`ResourceUsage`]; providers wire them to their engine (the
//!   `wasmtime-provider` crate is one).
//! - [`WasiParams`], [`WasiStdio`], [`OutputCapture`]: WASI settings every provider understands.
//! - [`codec`] (feature `codec`): MessagePack helpers for typed payloads.
//!
//! # The ABI in brief
//!
//! The guest exports `memory` and `__guest_call(op_len, msg_len) -> i32`; the host provides the `wapc`
//! imports listed in [`wapc_functions`]. Guests built for the original 6-argument `__host_call` (namespace,
//! operation, payload, no binding) are served too: their calls reach the callback with an empty binding.

#![deny(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic))]

pub mod abi;
#[allow(unsafe_code)]
mod active_call;
/// Typed payloads: MessagePack with structs as maps (feature `codec`), the same encoding guests use.
#[cfg(feature = "codec")]
pub use wapc_codec as codec;
pub mod errors;
mod guest_memory;
mod host;
#[cfg(feature = "async")]
mod host_async;
#[cfg(feature = "async")]
mod module_host_async;
mod module_state;
mod provider;
#[cfg(feature = "async")]
mod provider_async;
mod resource_limits;
mod resource_usage;
mod spans;
pub mod wapc_functions;
mod wasi;

pub use guest_memory::GuestMemory;
pub use host::{WapcHost, WapcHostBuilder};
#[cfg(feature = "async")]
pub use host_async::{ModuleStateAsync, WapcHostAsync, WapcHostAsyncBuilder};
#[cfg(feature = "async")]
pub use module_host_async::{Invocation, ModuleHostAsync};
pub use module_state::{CallbackPanicked, ModuleState};
pub use provider::WebAssemblyEngineProvider;
#[cfg(feature = "async")]
pub use provider_async::WebAssemblyEngineProviderAsync;
pub use resource_limits::{DEFAULT_MAX_MEMORY_BYTES, DEFAULT_MAX_TABLE_ELEMENTS, ResourceLimits};
pub use resource_usage::ResourceUsage;
pub use wapc_functions::HOST_NAMESPACE;
pub use wasi::{OutputCapture, WasiConfig, WasiParams, WasiStdio};

/// The host callback: `(host id, binding, namespace, operation, payload)` to the response bytes, or an error
/// whose text the guest receives through `__host_error`.
pub type HostCallback = dyn Fn(u64, &str, &str, &str, &[u8]) -> Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>>
    + Send
    + Sync
    + 'static;

/// The async host callback, as upstream `wapc` 2.x has it: `(host id, binding, namespace, operation, payload)` to a
/// future of the response bytes, or of an error whose text the guest receives.
#[cfg(feature = "async")]
pub type HostCallbackAsync = dyn Fn(u64, String, String, String, Vec<u8>) -> HostCallbackFuture + Send + Sync;

/// What a [`HostCallbackAsync`] returns: the future of its answer.
#[cfg(feature = "async")]
pub type HostCallbackFuture = std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>>> + Send>,
>;

/// What a builder's `host_callback` takes: any closure with the signature of a [`HostCallback`].
///
/// ```
/// fn takes(_callback: impl wapc::HostCallbackFn) {}
/// takes(|_id, _binding, _namespace, _operation, payload| Ok(payload.to_vec()));
/// ```
pub trait HostCallbackFn:
    Fn(u64, &str, &str, &str, &[u8]) -> Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>> + Send + Sync + 'static
{
}

impl<F> HostCallbackFn for F where
    F: Fn(u64, &str, &str, &str, &[u8]) -> Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>>
        + Send
        + Sync
        + 'static
{
}

/// What [`__event!`] expands to: not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use {log, tracing};
}

/// An event for `tracing` subscribers and, while none has been set, the same as a record for `log` loggers (what
/// `env_logger::init()` users, such as upstream's examples, see). The crates of this project log through it:
/// `wapc::__event!(warn, "text {}", value)`, optionally with `target: "..."` first.
#[doc(hidden)]
#[macro_export]
macro_rules! __event {
    ($level:ident, target: $target:expr, $($arg:tt)+) => {{
        $crate::__private::tracing::$level!(target: $target, $($arg)+);
        if !$crate::__private::tracing::dispatcher::has_been_set() {
            $crate::__private::log::$level!(target: $target, $($arg)+);
        }
    }};
    ($level:ident, $($arg:tt)+) => {{
        $crate::__private::tracing::$level!($($arg)+);
        if !$crate::__private::tracing::dispatcher::has_been_set() {
            $crate::__private::log::$level!($($arg)+);
        }
    }};
}

/// A console-log handler: `(host id, line)` for each `__console_log` of the guest.
pub type ConsoleLog = dyn Fn(u64, &str) + Send + Sync + 'static;
