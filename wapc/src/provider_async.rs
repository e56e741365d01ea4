//! The interface between an async host and a WebAssembly engine.

use std::sync::Arc;
use std::time::Duration;

use crate::ModuleStateAsync;
use crate::errors::Result;

/// A WebAssembly engine that runs one waPC module for one [`WapcHostAsync`](crate::WapcHostAsync), awaiting
/// host callbacks rather than blocking a thread on them.
///
/// It is [`WebAssemblyEngineProvider`](crate::WebAssemblyEngineProvider)'s async twin, with the same duties
/// and errors, and two differences:
///
/// - its guest code may suspend: the provider links `__host_call` to [`abi::host_call_async`](crate::abi::host_call_async) and awaits the
///   future it returns, so a guest waiting on its host holds no thread. The other imports are
///   [`abi`](crate::abi)'s functions, as for a blocking provider; they find the running call because the host
///   polls the provider's futures inside it, on whichever thread polls;
/// - a call's future may be dropped before it ends (the caller gave up, a timeout fired). The host then
///   [`reset`](Self::reset)s the provider before its next call, so a provider only has to leave itself
///   droppable, not consistent.
///
/// A guest that runs long should let other tasks run now and then (wasmtime's provider yields to the executor
/// at every epoch tick; wasmi's between slices of fuel), and a provider with a call deadline must also end a
/// call that waits past it, since no guest code runs then to notice.
///
/// The methods are `async fn`s through [`async_trait`](https://docs.rs/async-trait), as upstream's are: their
/// futures are boxed and `Send`.
#[async_trait::async_trait]
pub trait WebAssemblyEngineProviderAsync: Send {
    /// Makes the first instance and runs its start functions: see
    /// [`WebAssemblyEngineProvider::init`](crate::WebAssemblyEngineProvider::init).
    ///
    /// # Errors
    /// [`Error::MissingExport`](crate::errors::Error::MissingExport),
    /// [`Error::InitFailed`](crate::errors::Error::InitFailed).
    async fn init(&mut self, host: Arc<ModuleStateAsync>) -> Result<()>;

    /// Calls `__guest_call(op_length, msg_length)` and returns what it returned.
    ///
    /// # Errors
    /// Whatever interrupted the guest: a trap, the deadline, a resource limit, an ABI violation.
    async fn call(&mut self, op_length: i32, msg_length: i32) -> Result<i32>;

    /// Replaces the module with `bytes`: see
    /// [`WebAssemblyEngineProvider::replace`](crate::WebAssemblyEngineProvider::replace).
    ///
    /// # Errors
    /// [`Error::InvalidModule`](crate::errors::Error::InvalidModule) and those of [`init`](Self::init).
    async fn replace(&mut self, bytes: &[u8]) -> Result<()>;

    /// Throws the current instance away and makes a fresh one of the same module: see
    /// [`WebAssemblyEngineProvider::reset`](crate::WebAssemblyEngineProvider::reset).
    ///
    /// # Errors
    /// Those of [`init`](Self::init).
    async fn reset(&mut self) -> Result<()>;

    /// How long one call may hold the instance, if the provider bounds it: see
    /// [`WebAssemblyEngineProvider::call_deadline`](crate::WebAssemblyEngineProvider::call_deadline).
    fn call_deadline(&self) -> Option<Duration> {
        None
    }

    /// Another provider of the same compiled module, with no instance until its [`init`](Self::init): see
    /// [`WebAssemblyEngineProvider::share_module`](crate::WebAssemblyEngineProvider::share_module).
    fn share_module(&self) -> Option<Box<dyn WebAssemblyEngineProviderAsync + Send>> {
        None
    }

    /// The bytes of linear memory the current instance has committed, if the provider tracks them.
    fn memory_bytes(&self) -> Option<usize> {
        None
    }
}
