//! A [wasmtime](https://wasmtime.dev) engine provider for the [`wapc`] host: JIT-compiled, the fast one.
//!
//! ```no_run
//! use std::time::Duration;
//! use wapc::WapcHost;
//! use wasmtime_provider::WasmtimeEngineProviderBuilder;
//!
//! # fn main() -> Result<(), wapc::errors::Error> {
//! let module = std::fs::read("guest.wasm")?;
//! let engine = WasmtimeEngineProviderBuilder::new()
//!     .module_bytes(&module)
//!     .deadline(Duration::from_secs(1))
//!     .build()?;
//! let host = WapcHost::new(Box::new(engine), None)?;
//! let answer = host.call("greet", b"world")?;
//! # Ok(())
//! # }
//! ```
//!
//! # What it offers
//!
//! - **Sharing**: [`WasmtimeEngineProviderBuilder::engine`] and [`module`](WasmtimeEngineProviderBuilder::module)
//!   share compiled code; [`WasmtimeEngineProviderPre`] links a module once (a wasmtime `InstancePre`) and
//!   [`rehydrate`](WasmtimeEngineProviderPre::rehydrate)s providers cheaply; precompiled modules load without
//!   compiling ([`WasmtimeEngineProviderPre::serialize`],
//!   [`precompiled_module_bytes`](WasmtimeEngineProviderBuilder::precompiled_module_bytes)).
//! - **Pooling**: [`pooling_allocator`](WasmtimeEngineProviderBuilder::pooling_allocator) gives the engine
//!   wasmtime's pooling allocator, sized from the resource limits for a number of instances alive at once:
//!   faster instantiation, for address space reserved up front and a hard cap on instances (the one past it
//!   is refused with a typed [`ResourceLimit`](wapc::errors::Error::ResourceLimit) error).
//! - **Limits**: a per-call wall-clock [`deadline`](WasmtimeEngineProviderBuilder::deadline) driven by one
//!   shared ticker thread per engine, or upstream's embedder-driven [`EpochDeadlines`]; memory and table
//!   [`ResourceLimits`] for all memories and all tables of an instance together, by default
//!   [`DEFAULT_MAX_MEMORY_BYTES`] and [`DEFAULT_MAX_TABLE_ELEMENTS`]. WASI calls that wait (a `poll_oneoff` sleep,
//!   a read of stdin) end at the deadline too, which epoch interruption alone would not do; under
//!   [`EpochDeadlines`], whose ticks measure no time the provider knows, they wait as long as upstream's do.
//! - **WASI preview 1** (feature `wasi`, on by default), including the `wasi_unstable` names old TinyGo guests
//!   import: [`wasi_params`](WasmtimeEngineProviderBuilder::wasi_params) keeps upstream's meaning, and
//!   [`wasi_stdio`](WasmtimeEngineProviderBuilder::wasi_stdio) and
//!   [`wasi_read_only_dir`](WasmtimeEngineProviderBuilder::wasi_read_only_dir) add closed or captured stdio and
//!   read-only directories.
//! - **Start functions** `_start` (a WASI `proc_exit(0)` in it is success), `_initialize` and `wapc_init`.
//! - **Async** (feature `async`, on by default): [`build_async`](WasmtimeEngineProviderBuilder::build_async)
//!   and [`build_async_pre`](WasmtimeEngineProviderBuilder::build_async_pre) make
//!   [`WasmtimeEngineProviderAsync`]s for [`WapcHostAsync`](wapc::WapcHostAsync)s: the guest runs on a fiber,
//!   suspended while its host callback's future is pending, yielding at every epoch tick.
//!
//! # Tokio
//!
//! wasmtime-wasi's synchronous WASI functions block on the ambient tokio runtime. `call` on a multi-thread
//! runtime's worker works (the provider hands the worker over with `block_in_place` while guest code that
//! imports WASI runs). On a current-thread runtime that is impossible: a guest's WASI call there fails the
//! call with [`Error::Provider`](wapc::errors::Error::Provider), and the host stays usable. Call from
//! `spawn_blocking` there.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic))]

mod builder;
mod deadline;
mod imports;
mod legacy;
mod limits;
mod pooling;
mod provider;
#[cfg(feature = "async")]
mod provider_async;
mod store;
mod traps;
#[cfg(feature = "wasi")]
mod wasi;

pub use builder::WasmtimeEngineProviderBuilder;
pub use deadline::{DEADLINE_TICK, EpochDeadlines};
pub use provider::{WasmtimeEngineProvider, WasmtimeEngineProviderPre};
#[cfg(feature = "async")]
pub use provider_async::{WasmtimeEngineProviderAsync, WasmtimeEngineProviderAsyncPre};
/// Memory and table limits, shared by every engine provider.
pub use wapc::{DEFAULT_MAX_MEMORY_BYTES, DEFAULT_MAX_TABLE_ELEMENTS, ResourceLimits};
/// The wasmtime this provider is built on, for configuring engines and modules with the same version.
pub use wasmtime;
/// The wasmtime-wasi this provider is built on.
#[cfg(feature = "wasi")]
pub use wasmtime_wasi;

/// The error type of this crate: the host's own, so `?` works across both.
pub mod errors {
    pub use wapc::errors::{Error, Result};
}
