//! A [wasmi](https://github.com/wasmi-labs/wasmi) engine provider for the [`wapc`] host: an interpreter, for
//! platforms that forbid JIT compilation and for runs that must be deterministic.
//!
//! ```no_run
//! use wapc::WapcHost;
//! use wasmi_provider::{FuelLimits, WasmiEngineProviderBuilder};
//!
//! # fn main() -> Result<(), wapc::errors::Error> {
//! let module = std::fs::read("guest.wasm")?;
//! let engine = WasmiEngineProviderBuilder::new()
//!     .module_bytes(&module)
//!     .enable_fuel_limits(FuelLimits { wapc_init: 100_000_000, wapc_func: 10_000_000 })
//!     .build()?;
//! let host = WapcHost::new(Box::new(engine), None)?;
//! let answer = host.call("greet", b"world")?;
//! # Ok(())
//! # }
//! ```
//!
//! # What it offers
//!
//! The same options as `wasmtime-provider` wherever wasmi allows, with the same meaning:
//!
//! - **Sharing**: [`WasmiEngineProviderBuilder::module`] shares a compiled module (and its engine);
//!   [`WasmiEngineProviderPre`] links it once and [`rehydrate`](WasmiEngineProviderPre::rehydrate)s providers
//!   cheaply. wasmi has no precompiled form: modules are validated when built and each function is translated
//!   to wasmi's bytecode on its first call.
//! - **Limits**: per-call [`FuelLimits`] in place of wasmtime's wall-clock deadlines, with time spent waiting in
//!   WASI (a `poll_oneoff` sleep, a read of stdin) charged at [`WAITING_FUEL_PER_SECOND`]; memory and table
//!   [`ResourceLimits`] for all memories and all tables of an instance together, by default
//!   [`DEFAULT_MAX_MEMORY_BYTES`] and [`DEFAULT_MAX_TABLE_ELEMENTS`].
//! - **WASI preview 1** (feature `wasi`, on by default), including the `wasi_unstable` names old TinyGo guests
//!   import: [`wasi_params`](WasmiEngineProviderBuilder::wasi_params) keeps upstream's meaning, and
//!   [`wasi_stdio`](WasmiEngineProviderBuilder::wasi_stdio) and
//!   [`wasi_read_only_dir`](WasmiEngineProviderBuilder::wasi_read_only_dir) add closed or captured stdio and
//!   read-only directories.
//! - **Start functions** `_start` (a WASI `proc_exit(0)` in it is success), `_initialize` and `wapc_init`.
//! - **Async hosts** (feature `async`, on by default): see below.
//!
//! # Fuel, not time
//!
//! A call that uses up its fuel fails with
//! [`Error::DeadlineExceeded`](wapc::errors::Error::DeadlineExceeded)`(`[`ExecutionLimit::Fuel`](wapc::errors::ExecutionLimit::Fuel)`)`:
//! the variant wasmtime's deadlines report, so callers match both engines' runaway calls with one arm. Fuel
//! counts guest instructions and is deterministic (the same call uses the same fuel everywhere); it does not
//! count time spent in host callbacks, and a guest blocked in a slow callback is not stopped by it. wasmtime's
//! deadlines count wall-clock time, callbacks included.
//!
//! A guest can also spend time waiting in WASI: sleeping in `poll_oneoff`, or reading an inherited stdin that
//! has no data. Such waits cost fuel at [`WAITING_FUEL_PER_SECOND`] (a unit per nanosecond): a sleep longer than
//! the remaining fuel pays for fails at once, a read of stdin gives up when its time is up, both with the same
//! `DeadlineExceeded` as running out of fuel. Without fuel limits they wait as long as the guest asks, as
//! upstream's do. Reads and polls of stdin are bounded on Unix; elsewhere they wait as upstream's do.
//!
//! The same rate bounds how long a caller waits for an instance another call holds (see
//! [`WapcHostBuilder::instance_wait`](wapc::WapcHostBuilder::instance_wait)): the time the call's fuel budget
//! stands for, after which the waiting call fails with `DeadlineExceeded`. Without fuel limits it waits as
//! long as it takes.
//!
//! # Tokio
//!
//! wasi-common's synchronous WASI never touches a tokio runtime, so blocking providers' calls work from any
//! thread, inside current-thread and multi-thread runtimes alike (they block the calling thread while the guest
//! runs).

#![cfg_attr(
    feature = "async",
    doc = r#"
# Async hosts

[`build_async`](WasmiEngineProviderBuilder::build_async) makes a [`WasmiEngineProviderAsync`] for a
[`WapcHostAsync`](wapc::WapcHostAsync). It runs each start function and call as a wasmi resumable call, inside the
future the host polls:

- `__host_call` starts the host callback ([`wapc::abi::host_call_async`]); when its answer is not ready at
  once, the import suspends the guest, and the provider awaits the answer and resumes the guest with it. A
  guest waiting on its host holds no thread.
- Guest code runs in slices of [`FUEL_PER_SLICE`] and yields to the executor between them, so a long call
  shares its worker with other tasks. The builder's engine meters fuel for this even without
  [`FuelLimits`]; an engine given without fuel metering runs guest code until it ends or waits. Fuel limits
  keep their exact meaning across slices.
"#
)]
#![cfg_attr(
    all(feature = "async", feature = "wasi"),
    doc = r#"
- WASI never blocks the executor: a sleep suspends the guest on a tokio timer, charged as fuel as on a
  blocking provider; other waits (stdin without data, polls of files or of several clocks), which
  wasi-common's synchronous functions cannot suspend, wait within the fuel as on a blocking provider, in
  `tokio::task::block_in_place` on a multi-thread runtime (whose other tasks move to another worker first),
  and fail the call with [`WasiWouldBlock`] on a current-thread runtime.
"#
)]
#![cfg_attr(
    feature = "async",
    doc = r#"
Async providers need a tokio runtime with time enabled for WASI sleeps, and their host for its
[`instance_wait`](wapc::WapcHostAsyncBuilder::instance_wait) (which fuel limits set).
"#
)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic))]

mod builder;
mod fuel;
mod imports;
mod limits;
mod provider;
#[cfg(feature = "async")]
mod provider_async;
mod store;
#[cfg(feature = "async")]
mod suspend;
mod traps;
#[cfg(feature = "wasi")]
mod wasi;

pub use builder::WasmiEngineProviderBuilder;
#[cfg(feature = "async")]
pub use fuel::FUEL_PER_SLICE;
pub use fuel::{FuelLimits, WAITING_FUEL_PER_SECOND};
pub use provider::{WasmiEngineProvider, WasmiEngineProviderPre};
#[cfg(feature = "async")]
pub use provider_async::{WasmiEngineProviderAsync, WasmiEngineProviderAsyncPre};
/// Memory and table limits, shared by every engine provider.
pub use wapc::{DEFAULT_MAX_MEMORY_BYTES, DEFAULT_MAX_TABLE_ELEMENTS, ResourceLimits};
#[cfg(all(feature = "wasi", feature = "async"))]
pub use wasi::waiting::WasiWouldBlock;
/// The wasmi this provider is built on, for configuring engines and modules with the same version.
pub use wasmi;

/// The error type of this crate: the host's own, so `?` works across both.
pub mod errors {
    pub use wapc::errors::{Error, Result};
}
