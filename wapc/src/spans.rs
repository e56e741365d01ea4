//! The `tracing` spans of a host: one per call into the guest (`wapc.call`: the host's id, the operation, the
//! payload's size and, once it ends, the outcome) and one per host call of the guest's (`wapc.host_call`: binding,
//! namespace, operation), inside it.
//!
//! Without a subscriber that wants info-level spans, a call makes none: one relaxed load of tracing's global
//! level, which keeps them free to have (and, `log` users, spans are not events: they never reach `log`).

use tracing::Span;
use tracing::field::Empty;

use crate::errors::{Error, Result};

/// The span of one call of `operation` with `payload` into the guest of host `host`, if a subscriber may want it.
#[inline]
pub(crate) fn call(host: u64, operation: &str, payload: &[u8]) -> Option<Span> {
    if !tracing::level_enabled!(tracing::Level::INFO) {
        return None;
    }
    Some(tracing::info_span!("wapc.call", host, operation, payload_bytes = payload.len(), outcome = Empty))
}

/// Records how the call of `span` ended.
pub(crate) fn record_outcome(span: &Span, result: &Result<Vec<u8>>) {
    if !span.is_disabled() {
        span.record("outcome", outcome(result));
    }
}

/// The span of one host call of the guest's (a disabled one if no subscriber may want it).
#[inline]
pub(crate) fn host_call(binding: &str, namespace: &str, operation: &str) -> Span {
    if !tracing::level_enabled!(tracing::Level::INFO) {
        return Span::none();
    }
    tracing::info_span!("wapc.host_call", binding, namespace, operation)
}

/// A call's outcome, in a word or two.
fn outcome(result: &Result<Vec<u8>>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(Error::GuestError(_)) => "guest error",
        Err(Error::Trap(_)) => "trap",
        Err(Error::DeadlineExceeded(_)) => "deadline exceeded",
        Err(Error::ResourceLimit(_)) => "resource limit",
        Err(Error::AbiViolation { .. }) => "ABI violation",
        Err(Error::HostCallback(_)) => "host callback failed",
        Err(Error::Reentrant) => "reentrant",
        Err(_) => "host error",
    }
}
