//! The error type every fallible operation of the host returns.
//!
//! [`Error`] keeps the cause of a failure as data, so callers match on variants, never on message text:
//!
//! ```
//! use wapc::errors::{Error, TrapKind};
//!
//! fn describe(result: Result<Vec<u8>, Error>) -> String {
//!     match result {
//!         Ok(bytes) => format!("{} bytes", bytes.len()),
//!         Err(Error::GuestError(text)) => format!("the guest refused: {text}"),
//!         Err(Error::Trap(trap)) if trap.kind == TrapKind::StackOverflow => "recursion too deep".into(),
//!         Err(Error::DeadlineExceeded(_)) => "too slow".into(),
//!         Err(other) => other.to_string(),
//!     }
//! }
//! # assert_eq!(describe(Err(Error::GuestError("no".into()))), "the guest refused: no");
//! ```
//!
//! Whether a failure aborted the guest mid-call (and so made the host replace the instance before the next
//! call) is told by [`Error::aborted_call`].

use std::fmt;
use std::time::Duration;

/// A `Result` whose error is the host's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a call, a load or an initialisation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The guest reported an error: `__guest_call` returned 0 (or it set an error and no response). The text
    /// is the guest's, or [`NO_GUEST_ERROR_TEXT`] when it gave none.
    #[error("guest error: {0}")]
    GuestError(String),
    /// The guest trapped.
    #[error("guest trapped: {0}")]
    Trap(Trap),
    /// The guest ran past its execution budget (a wall-clock deadline, epoch ticks or fuel), or the call could
    /// not start before the deadline because the instance stayed busy.
    #[error("deadline exceeded: {0}")]
    DeadlineExceeded(ExecutionLimit),
    /// The guest tried to grow its memories or tables past a configured limit, or the module needs more of them
    /// than the limits allow, or the engine's instance pool has no room for another instance
    /// ([`Resource::Instances`]).
    #[error("resource limit exceeded: {0}")]
    ResourceLimit(ResourceLimit),
    /// The guest broke the waPC ABI: a bad pointer or length, text that is not UTF-8, a success without a
    /// response, an import used outside a call.
    #[error("waPC ABI violation in `{import}`: {problem}")]
    AbiViolation {
        /// The import (or export, for `__guest_call`) where the violation happened.
        import: &'static str,
        /// What was wrong.
        problem: AbiProblem,
    },
    /// The module lacks an export the waPC ABI requires (`__guest_call` or `memory`).
    #[error("the module does not export `{0}`, which the waPC ABI requires")]
    MissingExport(String),
    /// The bytes are not a valid module for this engine, or its imports cannot be satisfied.
    #[error("invalid module: {0}")]
    InvalidModule(String),
    /// The host callback panicked (a callback that returns an error is reported to the guest instead, as the
    /// waPC ABI says). The call was aborted.
    #[error("host callback failed: {0}")]
    HostCallback(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A start function (`_start`, `_initialize` or `wapc_init`) failed.
    #[error("initialisation failed in `{function}`: {source}")]
    InitFailed {
        /// The start function that failed.
        function: &'static str,
        /// Why it failed.
        source: Box<Error>,
    },
    /// A host callback called [`WapcHost::call`](crate::WapcHost::call) or
    /// [`WapcHost::replace_module`](crate::WapcHost::replace_module) on the host whose guest is calling it, on the
    /// same thread. One instance runs one call at a time, and is not replaced while it runs.
    #[error("reentrant call: a host callback called back into the host that is running it")]
    Reentrant,
    /// A payload, operation name or response does not fit the ABI's 32-bit lengths.
    #[error("{what} is {len} bytes, more than the waPC ABI's limit of {} bytes", i32::MAX)]
    PayloadTooLarge {
        /// What was too large.
        what: &'static str,
        /// Its length in bytes.
        len: usize,
    },
    /// No instance of a pool became free within the pool's acquire timeout. The guest never ran.
    #[error("no instance of pool `{pool}` became free within {waited:?}")]
    PoolTimeout {
        /// The pool's name.
        pool: String,
        /// How long the call waited.
        waited: Duration,
    },
    /// The pool was shut down before the call could start. The guest never ran.
    #[error("pool `{pool}` is shut down")]
    PoolClosed {
        /// The pool's name.
        pool: String,
    },
    /// An I/O error (reading a module, opening a WASI directory).
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The engine provider was configured wrongly or failed in a way the other variants do not cover.
    #[error("engine provider failure: {0}")]
    Provider(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// The text of [`Error::GuestError`] when `__guest_call` returned 0 without setting an error.
pub const NO_GUEST_ERROR_TEXT: &str = "the guest call failed without an error message";

impl Error {
    /// Whether this failure interrupted the guest mid-call, leaving its instance in an unknown state. The host
    /// throws such an instance away and runs the next call on a fresh one.
    #[must_use]
    pub fn aborted_call(&self) -> bool {
        matches!(
            self,
            Error::Trap(_)
                | Error::DeadlineExceeded(_)
                | Error::ResourceLimit(_)
                | Error::AbiViolation { .. }
                | Error::HostCallback(_)
                | Error::Provider(_)
        )
    }

    /// An [`Error::Provider`] from any error or message.
    pub fn provider(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Error::Provider(error.into())
    }

    pub(crate) fn abi(import: &'static str, problem: AbiProblem) -> Self {
        Error::AbiViolation { import, problem }
    }
}

/// The text of a panic payload (`&str` and `String` payloads; others are named as such), for errors that report
/// a panic caught at a boundary.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "a panic with a payload that is not text".to_owned()
    }
}

/// A trap: the guest executed something WebAssembly forbids, or ended itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trap {
    /// What kind of trap.
    pub kind: TrapKind,
    /// The engine's description, with a backtrace where the engine gives one.
    pub message: String,
}

impl fmt::Display for Trap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

impl From<Trap> for Error {
    fn from(trap: Trap) -> Self {
        Error::Trap(trap)
    }
}

/// The kinds of trap, independent of the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TrapKind {
    /// An `unreachable` instruction ran (Rust panics and aborts end here).
    Unreachable,
    /// The call stack was exhausted.
    StackOverflow,
    /// A load or store outside linear memory.
    MemoryOutOfBounds,
    /// An access outside a table.
    TableOutOfBounds,
    /// An indirect call through a null table entry.
    IndirectCallToNull,
    /// An indirect call whose signature did not match.
    BadSignature,
    /// Integer overflow (`i32.div_s` of `MIN / -1`).
    IntegerOverflow,
    /// Integer division or remainder by zero.
    IntegerDivisionByZero,
    /// A float-to-int conversion out of range or of NaN.
    BadConversionToInteger,
    /// An AssemblyScript guest called `env.abort`.
    Abort,
    /// A WASI guest called `proc_exit` with this code during a call (or with a non-zero code during start-up).
    Exit(i32),
    /// A trap this enum has no name for; the message says which.
    Other,
}

impl fmt::Display for TrapKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrapKind::Unreachable => f.write_str("unreachable executed"),
            TrapKind::StackOverflow => f.write_str("stack overflow"),
            TrapKind::MemoryOutOfBounds => f.write_str("out-of-bounds memory access"),
            TrapKind::TableOutOfBounds => f.write_str("out-of-bounds table access"),
            TrapKind::IndirectCallToNull => f.write_str("indirect call to null"),
            TrapKind::BadSignature => f.write_str("indirect call signature mismatch"),
            TrapKind::IntegerOverflow => f.write_str("integer overflow"),
            TrapKind::IntegerDivisionByZero => f.write_str("integer division by zero"),
            TrapKind::BadConversionToInteger => f.write_str("invalid conversion to integer"),
            TrapKind::Abort => f.write_str("abort"),
            TrapKind::Exit(code) => write!(f, "exit with code {code}"),
            TrapKind::Other => f.write_str("trap"),
        }
    }
}

/// The execution budget a call ran out of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExecutionLimit {
    /// A wall-clock deadline (time in host callbacks counts).
    WallClock(Duration),
    /// A number of epoch ticks driven by the embedder (wasmtime's `EpochDeadlines`).
    EpochTicks(u64),
    /// A number of fuel units (guest instructions; time in host callbacks does not count).
    Fuel(u64),
}

impl fmt::Display for ExecutionLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExecutionLimit::WallClock(d) => write!(f, "ran longer than {d:?}"),
            ExecutionLimit::EpochTicks(n) => write!(f, "ran longer than {n} epoch ticks"),
            ExecutionLimit::Fuel(n) => write!(f, "used all of its {n} units of fuel"),
        }
    }
}

/// A memory or table growth refused by a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceLimit {
    /// What the guest tried to grow, or [`Resource::Instances`] for an instance its engine had no room for.
    pub resource: Resource,
    /// What it asked for: the bytes of all memories together, the elements of all tables together, the number
    /// of memories or tables the instance would have, or the number of instances the engine's pool would hold.
    pub requested: usize,
    /// The configured limit, in the same unit.
    pub limit: usize,
}

impl fmt::Display for ResourceLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self { resource, requested, limit } = self;
        let unit = match resource {
            Resource::Memory => "bytes",
            Resource::Table => "elements",
            Resource::Memories | Resource::Tables => {
                return write!(f, "{requested} {resource} refused, the limit is {limit}");
            }
            Resource::Instances => {
                return write!(f, "{requested} {resource} refused, the pool holds {limit}");
            }
        };
        write!(f, "{resource} growth to {requested} {unit} refused, the limit is {limit} {unit}")
    }
}

/// A limited resource of an instance, or of the engine that makes instances.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Resource {
    /// The bytes of its linear memories, all together.
    Memory,
    /// The elements of its tables, all together.
    Table,
    /// The number of its linear memories.
    Memories,
    /// The number of its tables.
    Tables,
    /// The number of instances alive at once in the engine's instance pool (wasmtime's pooling allocator). A
    /// limit of the engine, shared by every host it runs, rather than of one instance; its size is the pool's,
    /// not a field of [`ResourceLimits`](crate::ResourceLimits). Dropping a host frees its place.
    Instances,
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Resource::Memory => "memory",
            Resource::Table => "table",
            Resource::Memories => "linear memories",
            Resource::Tables => "tables",
            Resource::Instances => "instances at once",
        })
    }
}

/// What a guest did wrong in an [`Error::AbiViolation`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AbiProblem {
    /// A pointer/length pair does not lie inside linear memory (or its end overflows).
    OutOfBounds {
        /// Which argument (`"payload"`, `"operation"`, ...).
        what: &'static str,
        /// The guest's pointer.
        ptr: u32,
        /// The guest's length.
        len: u32,
        /// The size of linear memory at the time, in bytes.
        memory_size: usize,
    },
    /// Text that must be UTF-8 is not.
    InvalidUtf8 {
        /// Which argument (`"binding"`, `"error"`, ...).
        what: &'static str,
    },
    /// `__guest_call` returned success but the guest set neither a response nor an error.
    SuccessWithoutResponse,
    /// A waPC import was called while no call (or start function) of this host was running on this thread.
    NoActiveCall,
    /// `__guest_request` was called by a start function, when there is no request.
    NoRequest,
    /// A length the host must hand to the guest does not fit in an `i32`.
    LengthOverflow {
        /// What was too long.
        what: &'static str,
        /// Its length in bytes.
        len: usize,
    },
}

impl fmt::Display for AbiProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AbiProblem::OutOfBounds { what, ptr, len, memory_size } => {
                write!(f, "{what} at {ptr}..{ptr}+{len} lies outside linear memory of {memory_size} bytes")
            }
            AbiProblem::InvalidUtf8 { what } => write!(f, "{what} is not valid UTF-8"),
            AbiProblem::SuccessWithoutResponse => {
                f.write_str("`__guest_call` returned success but set neither a response nor an error")
            }
            AbiProblem::NoActiveCall => f.write_str("called while no waPC call of this host is running"),
            AbiProblem::NoRequest => f.write_str("called during start-up, when there is no request"),
            AbiProblem::LengthOverflow { what, len } => {
                write!(f, "{what} is {len} bytes, which does not fit the ABI's i32 length")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn needs_send_sync<T: Send + Sync + 'static>() {}

    #[test]
    fn error_is_send_sync_static() {
        needs_send_sync::<Error>();
    }

    #[test]
    fn aborting_failures_are_the_ones_that_leave_the_instance_unknown() {
        let trap = Error::Trap(Trap { kind: TrapKind::Unreachable, message: String::new() });
        assert!(trap.aborted_call());
        assert!(Error::DeadlineExceeded(ExecutionLimit::Fuel(1)).aborted_call());
        assert!(Error::abi("__guest_error", AbiProblem::InvalidUtf8 { what: "error" }).aborted_call());
        assert!(!Error::GuestError("no".into()).aborted_call());
        assert!(!Error::Reentrant.aborted_call());
        assert!(!Error::PayloadTooLarge { what: "payload", len: 1 }.aborted_call());
    }

    #[test]
    fn messages_name_the_cause() {
        let e = Error::abi(
            "__guest_request",
            AbiProblem::OutOfBounds { what: "payload", ptr: 65530, len: 10, memory_size: 65536 },
        );
        assert_eq!(
            e.to_string(),
            "waPC ABI violation in `__guest_request`: payload at 65530..65530+10 lies outside linear memory of 65536 bytes"
        );
        let limit = Error::ResourceLimit(ResourceLimit { resource: Resource::Memory, requested: 2048, limit: 1024 });
        assert_eq!(
            limit.to_string(),
            "resource limit exceeded: memory growth to 2048 bytes refused, the limit is 1024 bytes"
        );
        let count = Error::ResourceLimit(ResourceLimit { resource: Resource::Tables, requested: 17, limit: 16 });
        assert_eq!(count.to_string(), "resource limit exceeded: 17 tables refused, the limit is 16");
        let pool = Error::ResourceLimit(ResourceLimit { resource: Resource::Instances, requested: 9, limit: 8 });
        assert_eq!(pool.to_string(), "resource limit exceeded: 9 instances at once refused, the pool holds 8");
    }
}
