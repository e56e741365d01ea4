//! Turning what wasmi reports into the host's typed errors.

use std::fmt;

use wapc::errors::{Error, ExecutionLimit, Trap, TrapKind};
use wasmi::TrapCode;
use wasmi::errors::ErrorKind;

use crate::limits::Limiter;

/// A typed host error carried through wasmi from an import back to the provider.
#[derive(Debug)]
pub(crate) struct HostFailure(pub(crate) Error);

impl fmt::Display for HostFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl wasmi::errors::HostError for HostFailure {}

impl From<Error> for HostFailure {
    fn from(error: Error) -> Self {
        HostFailure(error)
    }
}

impl From<HostFailure> for wasmi::Error {
    #[cold]
    fn from(failure: HostFailure) -> Self {
        wasmi::Error::host(failure)
    }
}

/// The typed error for a failed guest execution. `limit` is the fuel budget running out means; `limiter`
/// holds the growth a `GrowthOperationLimited` trap refused.
pub(crate) fn execution_error(error: wasmi::Error, limit: ExecutionLimit, limiter: &mut Limiter) -> Error {
    if let Some(refused) = limiter.take_refused() {
        return Error::ResourceLimit(refused);
    }
    if let Some(status) = error.i32_exit_status() {
        return Error::Trap(Trap { kind: TrapKind::Exit(status), message: format!("proc_exit({status})") });
    }
    match error.as_trap_code() {
        Some(TrapCode::OutOfFuel) => return Error::DeadlineExceeded(limit),
        Some(code) => return Error::Trap(Trap { kind: trap_kind(code), message: code.trap_message().to_owned() }),
        None => {}
    }
    #[cfg(feature = "async")]
    if error.downcast_ref::<crate::suspend::Suspend>().is_some() {
        return crate::suspend::not_resumable();
    }
    let message = error.to_string();
    error.downcast::<HostFailure>().map_or_else(|| Error::provider(message), |HostFailure(typed)| typed)
}

/// The typed error for a failed instantiation. wasmi resolves imports only now: an unknown or mistyped one is
/// an invalid module, not a failed execution.
pub(crate) fn instantiation_error(error: wasmi::Error, limit: ExecutionLimit, limiter: &mut Limiter) -> Error {
    match error.kind() {
        ErrorKind::Linker(_) | ErrorKind::Instantiation(_) if !limiter.has_refused() => invalid_module(&error),
        _ => execution_error(error, limit, limiter),
    }
}

/// A load-time failure: parsing, validating or linking a module.
pub(crate) fn invalid_module(error: &wasmi::Error) -> Error {
    Error::InvalidModule(error.to_string())
}

fn trap_kind(code: TrapCode) -> TrapKind {
    match code {
        TrapCode::UnreachableCodeReached => TrapKind::Unreachable,
        TrapCode::StackOverflow => TrapKind::StackOverflow,
        TrapCode::MemoryOutOfBounds => TrapKind::MemoryOutOfBounds,
        TrapCode::TableOutOfBounds => TrapKind::TableOutOfBounds,
        TrapCode::IndirectCallToNull => TrapKind::IndirectCallToNull,
        TrapCode::BadSignature => TrapKind::BadSignature,
        TrapCode::IntegerOverflow => TrapKind::IntegerOverflow,
        TrapCode::IntegerDivisionByZero => TrapKind::IntegerDivisionByZero,
        TrapCode::BadConversionToInteger => TrapKind::BadConversionToInteger,
        _ => TrapKind::Other,
    }
}
