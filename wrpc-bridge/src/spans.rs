//! The `tracing` spans of the bridge: one per invocation it makes for a guest's host call (`wrpc.invoke`: target,
//! instance, function, transport, and as they become known parameter bytes, result bytes and outcome), inside the
//! host's
//! `wapc.host_call`; and one per invocation it serves (`wrpc.serve`: instance, function, transport, and as they
//! become known parameter bytes, result bytes and outcome), around the guest's `wapc.call`.
//!
//! As the host's spans, they are made only when a subscriber may want info-level spans. Bytes are those on the
//! wire, on the root and every path together.

use tracing::Span;
use tracing::field::Empty;

/// The span of one invocation of `instance#function` on the target named `target`.
pub(crate) fn invoke(target: &str, instance: &str, function: &str, transport: &'static str) -> Span {
    if !tracing::level_enabled!(tracing::Level::INFO) {
        return Span::none();
    }
    tracing::info_span!(
        "wrpc.invoke",
        target,
        instance,
        function,
        transport,
        params_bytes = Empty,
        results_bytes = Empty,
        outcome = Empty
    )
}

/// The span of one served invocation of `instance#function`.
pub(crate) fn serve(instance: &str, function: &str, transport: &'static str) -> Span {
    if !tracing::level_enabled!(tracing::Level::INFO) {
        return Span::none();
    }
    tracing::info_span!(
        "wrpc.serve",
        instance,
        function,
        transport,
        params_bytes = Empty,
        results_bytes = Empty,
        outcome = Empty
    )
}

/// Records `bytes` under `field` (`params_bytes` or `results_bytes`).
pub(crate) fn record_bytes(span: &Span, field: &'static str, bytes: usize) {
    if !span.is_disabled() {
        span.record(field, bytes);
    }
}

/// Records how the invocation of `span` ended, in a word or two.
pub(crate) fn record_outcome(span: &Span, outcome: &'static str) {
    if !span.is_disabled() {
        span.record("outcome", outcome);
    }
}
