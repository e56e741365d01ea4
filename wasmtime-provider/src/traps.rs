//! Turning what wasmtime reports into the host's typed errors.

use wapc::errors::{Error, ExecutionLimit, Trap, TrapKind};

/// The typed error for a failed guest execution. `limit` is the budget an epoch interruption means.
pub(crate) fn execution_error(error: wasmtime::Error, limit: ExecutionLimit) -> Error {
    // Errors raised by the `wapc` imports and the resource limiter come back unchanged.
    let error = match error.downcast::<Error>() {
        Ok(typed) => return typed,
        Err(error) => error,
    };
    #[cfg(feature = "wasi")]
    if let Some(exit) = error.downcast_ref::<wasmtime_wasi::I32Exit>() {
        return Error::Trap(Trap { kind: TrapKind::Exit(exit.0), message: format!("proc_exit({})", exit.0) });
    }
    match error.downcast_ref::<wasmtime::Trap>() {
        Some(wasmtime::Trap::Interrupt) => Error::DeadlineExceeded(limit),
        Some(trap) => Error::Trap(Trap { kind: trap_kind(*trap), message: trap.to_string() }),
        None => Error::provider(format!("{error:#}")),
    }
}

/// The typed error for a failed instantiation: a full instance pool of `engine`, or [`execution_error`]'s (the
/// start function, the resource limiter).
pub(crate) fn instantiation_error(engine: &wasmtime::Engine, error: wasmtime::Error, limit: ExecutionLimit) -> Error {
    crate::pooling::pool_full(engine, &error).unwrap_or_else(|| execution_error(error, limit))
}

/// A load-time failure: compiling, linking or deserialising a module.
pub(crate) fn invalid_module(error: &wasmtime::Error) -> Error {
    Error::InvalidModule(format!("{error:#}"))
}

fn trap_kind(trap: wasmtime::Trap) -> TrapKind {
    match trap {
        wasmtime::Trap::UnreachableCodeReached => TrapKind::Unreachable,
        wasmtime::Trap::StackOverflow => TrapKind::StackOverflow,
        wasmtime::Trap::MemoryOutOfBounds | wasmtime::Trap::HeapMisaligned => TrapKind::MemoryOutOfBounds,
        wasmtime::Trap::TableOutOfBounds => TrapKind::TableOutOfBounds,
        wasmtime::Trap::IndirectCallToNull => TrapKind::IndirectCallToNull,
        wasmtime::Trap::BadSignature => TrapKind::BadSignature,
        wasmtime::Trap::IntegerOverflow => TrapKind::IntegerOverflow,
        wasmtime::Trap::IntegerDivisionByZero => TrapKind::IntegerDivisionByZero,
        wasmtime::Trap::BadConversionToInteger => TrapKind::BadConversionToInteger,
        _ => TrapKind::Other,
    }
}
