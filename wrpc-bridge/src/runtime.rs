//! The tokio runtime the bridge's I/O runs on, and how a guest's synchronous `host_call`
//! waits for it from any thread.
//!
//! A guest calls the host synchronously, on the thread that called [`WapcHost::call`](wapc::WapcHost::call).
//! That thread blocks until the call completes, and only that thread:
//!
//! - outside any tokio runtime, it drives the call itself (`Handle::block_on`);
//! - on a worker of a multi-thread runtime, it first hands its other tasks to the runtime's other workers
//!   (`block_in_place`), then drives the call;
//! - on a current-thread runtime, a helper thread drives the call and the calling thread waits for it (which
//!   stalls that current-thread runtime for the call's duration: prefer `spawn_blocking` there). If the
//!   bridge's runtime *is* that current-thread runtime, waiting would deadlock, and the call fails instead.

use std::future::Future;

use tokio::runtime::{Handle, Runtime, RuntimeFlavor};

use crate::error::{CallError, ConfigError};

/// Why the calling thread cannot wait for the bridge's runtime.
#[derive(Debug)]
pub(crate) struct CannotBlock(pub(crate) &'static str);

impl From<CannotBlock> for CallError {
    fn from(CannotBlock(reason): CannotBlock) -> Self {
        CallError::Blocking(reason)
    }
}

impl From<CannotBlock> for ConfigError {
    fn from(CannotBlock(reason): CannotBlock) -> Self {
        ConfigError::Runtime(std::io::Error::other(reason))
    }
}

/// The worker threads of a runtime the bridge starts for itself.
const OWN_WORKER_THREADS: usize = 2;

/// The tokio runtime of a bridge: its own, or one it was handed.
#[derive(Debug)]
pub(crate) struct BridgeRuntime {
    handle: Handle,
    /// Kept alive for as long as the bridge; shut down without waiting on drop.
    owned: Option<Runtime>,
}

impl BridgeRuntime {
    /// A multi-thread runtime of the bridge's own.
    pub(crate) fn own() -> Result<Self, ConfigError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(OWN_WORKER_THREADS)
            .thread_name("wrpc-bridge")
            .enable_all()
            .build()
            .map_err(ConfigError::Runtime)?;
        Ok(BridgeRuntime { handle: runtime.handle().clone(), owned: Some(runtime) })
    }

    /// A runtime someone else owns (it must have I/O and time enabled).
    pub(crate) fn handed(handle: Handle) -> Self {
        BridgeRuntime { handle, owned: None }
    }

    /// Runs `future` to completion on this runtime, blocking the calling thread (see the module docs).
    pub(crate) fn block_on<F>(&self, future: F) -> Result<F::Output, CannotBlock>
    where
        F: Future + Send,
        F::Output: Send,
    {
        let Ok(current) = Handle::try_current() else {
            return Ok(self.handle.block_on(future));
        };
        match current.runtime_flavor() {
            RuntimeFlavor::MultiThread => Ok(tokio::task::block_in_place(|| self.handle.block_on(future))),
            _ if current.id() == self.handle.id() => Err(CannotBlock(
                "a guest called the host on the bridge's own current-thread runtime, which cannot run the call \
                 while it waits: call the host from `spawn_blocking`, or give the bridge a multi-thread runtime",
            )),
            _ => std::thread::scope(|scope| {
                scope
                    .spawn(|| self.handle.block_on(future))
                    .join()
                    .map_err(|_| CannotBlock("the thread driving the call panicked"))
            }),
        }
    }
}

impl Drop for BridgeRuntime {
    fn drop(&mut self) {
        // Dropping a runtime waits for its blocking tasks and panics inside async code; neither is wanted here.
        if let Some(runtime) = self.owned.take() {
            runtime.shutdown_background();
        }
    }
}
