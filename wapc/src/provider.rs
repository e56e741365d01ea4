//! The interface between the host and a WebAssembly engine.

use std::sync::Arc;
use std::time::Duration;

use crate::ModuleState;
use crate::errors::Result;

/// A WebAssembly engine that runs one waPC module for one [`WapcHost`](crate::WapcHost).
///
/// A provider compiles and instantiates the module, links the `wapc` imports to the functions of
/// [`abi`](crate::abi), runs the start functions, and calls `__guest_call`; it holds no protocol logic of its
/// own. The host calls every method from inside a running call (see [`abi`](crate::abi)): guest code must run
/// synchronously on the calling thread.
///
/// Errors are the host's typed [`Error`](crate::errors::Error): an engine maps its traps to
/// [`Error::Trap`](crate::errors::Error::Trap), its interruptions to
/// [`Error::DeadlineExceeded`](crate::errors::Error::DeadlineExceeded), refused growth to
/// [`Error::ResourceLimit`](crate::errors::Error::ResourceLimit), and hands back an error an [`abi`](crate::abi)
/// function returned unchanged.
pub trait WebAssemblyEngineProvider: Send {
    /// Makes the first instance and runs its start functions (`_start`, `_initialize`, `wapc_init`, each if
    /// exported; a WASI `proc_exit(0)` in `_start` is success). `host` identifies the host for logs.
    ///
    /// # Errors
    /// [`Error::MissingExport`](crate::errors::Error::MissingExport) when `__guest_call` or `memory` is missing,
    /// [`Error::InitFailed`](crate::errors::Error::InitFailed) when a start function fails.
    fn init(&mut self, host: Arc<ModuleState>) -> Result<()>;

    /// Calls `__guest_call(op_length, msg_length)` and returns what it returned.
    ///
    /// # Errors
    /// Whatever interrupted the guest: a trap, the deadline, a resource limit, an ABI violation.
    fn call(&mut self, op_length: i32, msg_length: i32) -> Result<i32>;

    /// Replaces the module with `bytes` and instantiates and initialises it. On failure the current module and
    /// instance stay in service, untouched.
    ///
    /// # Errors
    /// [`Error::InvalidModule`](crate::errors::Error::InvalidModule) and those of [`init`](Self::init).
    fn replace(&mut self, bytes: &[u8]) -> Result<()>;

    /// Throws the current instance away and makes a fresh one of the same module, with its start functions
    /// run. The host calls it after a call aborted, so that no poisoned state is ever reused.
    ///
    /// # Errors
    /// Those of [`init`](Self::init).
    fn reset(&mut self) -> Result<()>;

    /// How long one call may hold the instance, if the provider bounds it: its wall-clock deadline, or the time
    /// its execution budget stands for. The host waits at most this long for a busy instance before failing a
    /// call with [`Error::DeadlineExceeded`](crate::errors::Error::DeadlineExceeded).
    fn call_deadline(&self) -> Option<Duration> {
        None
    }

    /// Another provider of the same compiled module, with the same settings and no instance until its
    /// [`init`](Self::init): how a pool adds instances without compiling the module again. `None` (the
    /// default) when the engine cannot share a compiled module.
    fn share_module(&self) -> Option<Box<dyn WebAssemblyEngineProvider>> {
        None
    }

    /// The bytes of linear memory the current instance has committed, all its memories together, if the
    /// provider tracks them. Pools use it to recycle instances whose memory has grown past a mark.
    fn memory_bytes(&self) -> Option<usize> {
        None
    }
}
