//! Pools of instances of one waPC module: many calls at once, on one compiled module.
//!
//! A [`WapcHost`](wapc::WapcHost) is one instance and runs one call at a time. A [`Pool`] keeps several
//! instances of the same compiled module and gives each call one of them for the whole call:
//!
//! ```no_run
//! use wapc_pool::Pool;
//! use wasmtime_provider::WasmtimeEngineProviderBuilder;
//!
//! # fn main() -> Result<(), wapc::errors::Error> {
//! let module = std::fs::read("guest.wasm")?;
//! let engine = WasmtimeEngineProviderBuilder::new().module_bytes(&module).build()?;
//! let pool = Pool::builder()
//!     .name("greeter")
//!     .max_instances(8)
//!     .host_callback(|_id, _binding, _namespace, _operation, payload| Ok(payload.to_vec()))
//!     .build(Box::new(engine))?;
//! std::thread::scope(|scope| {
//!     for _ in 0..8 {
//!         scope.spawn(|| pool.call("greet", b"world"));
//!     }
//! });
//! # Ok(())
//! # }
//! ```
//!
//! # What a pool does
//!
//! - **One compiled module.** Instances are made from the provider given to [`PoolBuilder::build`] through
//!   [`WebAssemblyEngineProvider::share_module`](wapc::WebAssemblyEngineProvider::share_module): the module is
//!   compiled once and each instance costs an instantiation and its start functions.
//! - **Sizes.** [`min_instances`](PoolBuilder::min_instances) are made at once and kept warm;
//!   up to [`max_instances`](PoolBuilder::max_instances) are made as calls need them; instances idle for
//!   [`idle_timeout`](PoolBuilder::idle_timeout) are dropped down to the minimum.
//! - **Waiting.** A call that finds every instance busy waits its turn, first come first served. After
//!   [`acquire_timeout`](PoolBuilder::acquire_timeout) it fails with
//!   [`Error::PoolTimeout`](wapc::errors::Error::PoolTimeout), the guest never having run. A caller that gives
//!   up (an async caller dropping its future) leaves the queue and loses nothing.
//! - **Own state per instance.** Each instance keeps its own guest state (globals, memory) between the calls
//!   it serves; consecutive calls of one caller may land on different instances. Keep state that must be
//!   shared outside the guest.
//! - **Recycling.** An instance whose call aborted (a trap, the deadline, a resource limit) is replaced by its
//!   host before its next call, as with a single host. A pool can also retire instances after a number of
//!   calls ([`recycle_after_calls`](PoolBuilder::recycle_after_calls)) or once their memory passes a mark
//!   ([`recycle_above_memory`](PoolBuilder::recycle_above_memory)): a guest's memory never shrinks, and
//!   guests whose allocator fragments it (common with long-lived instances) keep growing.
//! - **Threads and async.** [`Pool::call`] runs the guest on the calling thread. [`Pool::call_async`] waits
//!   for an instance without holding a thread and runs the guest on the pool's own threads (at most one per
//!   instance), so a tokio executor thread is never blocked.
//! - **Async instances.** A pool built with [`PoolBuilder::build_async`] holds
//!   [`WapcHostAsync`](wapc::WapcHostAsync)s: [`Pool::call_async`] runs the guest on the caller's task, and a
//!   guest waiting on its host callback holds no thread at all, so one pool on one runtime serves as many
//!   waiting calls as it has instances, thousands if need be. Its callback is an async one
//!   ([`PoolBuilder::host_callback_async`]).
//! - **Replacing the module.** [`Pool::replace_module`] swaps every instance: calls running finish on the old
//!   module, calls starting afterwards run on the new one, no call sees a mix.
//! - **Shutting down.** [`Pool::shutdown`] refuses queued and later calls with
//!   [`Error::PoolClosed`](wapc::errors::Error::PoolClosed) and returns when the calls running have finished.
//!
//! [`HostPool`] and [`HostPoolBuilder`] keep the API of upstream `wapc-pool` 1.x on top of a [`Pool`], so
//! programs written for it compile unchanged.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic))]

mod acquire;
mod builder;
mod host;
mod host_pool;
mod housekeeper;
mod lease;
mod pool;
mod recycle;
mod source;
mod state;
mod stats;
mod threads;
mod waiter;

pub use builder::{DEFAULT_IDLE_TIMEOUT, PoolBuilder};
pub use host_pool::{HostPool, HostPoolBuilder};
pub use pool::Pool;
pub use stats::PoolStats;
