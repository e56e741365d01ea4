//! Trace context across the network, with the `otel` feature: the W3C `traceparent` and `tracestate` of the span a
//! bridged call runs in (`wrpc.invoke`) go, through OpenTelemetry's global propagator, into the invocation's NATS
//! headers beside the `wapc-*` ones, and a [`Service`](crate::Service) makes the context it finds there the parent
//! of its `wrpc.serve` span: a guest -> bridge -> served module chain is one trace.
//!
//! `tracing` span ids are not W3C ids: the context is that of the OpenTelemetry span `tracing-opentelemetry` keeps
//! for the `tracing` span, so it takes a subscriber with its layer (and a propagator set with
//! `opentelemetry::global::set_text_map_propagator`). Without them, or without the feature, nothing is sent.
//!
//! Over TCP and Unix sockets wRPC has no headers: the served side's `wrpc.serve` starts a trace of its own, and the
//! two sides are joined only by time, instance and function.

use tracing::Span;

/// Adds the current span's trace context to an invocation's NATS headers.
#[cfg_attr(not(feature = "otel"), allow(unused_variables, reason = "the headers stay as they are"))]
pub(crate) fn inject(headers: &mut async_nats::HeaderMap) {
    #[cfg(feature = "otel")]
    {
        use tracing_opentelemetry::OpenTelemetrySpanExt as _;
        let context = Span::current().context();
        opentelemetry::global::get_text_map_propagator(|propagator| {
            propagator.inject_context(&context, &mut otel::Headers(headers));
        });
    }
}

/// What a served invocation came with that may carry a caller's trace context.
pub(crate) trait Carrier {
    /// Makes the caller's context, if any, the parent of `span`.
    fn continue_in(&self, span: &Span);
}

/// Sockets: no headers, no context.
impl Carrier for () {
    fn continue_in(&self, _: &Span) {}
}

/// NATS: the invocation's headers, if it had any.
impl Carrier for wrpc_transport_nats::NatsContext {
    #[cfg_attr(not(feature = "otel"), allow(unused_variables, reason = "no context is read"))]
    fn continue_in(&self, span: &Span) {
        #[cfg(feature = "otel")]
        if let Some(headers) = &self.headers
            && !span.is_disabled()
        {
            use tracing_opentelemetry::OpenTelemetrySpanExt as _;
            let context =
                opentelemetry::global::get_text_map_propagator(|propagator| propagator.extract(&otel::Read(headers)));
            let _ = span.set_parent(context);
        }
    }
}

#[cfg(feature = "otel")]
mod otel {
    use opentelemetry::propagation::{Extractor, Injector};

    /// NATS headers, as OpenTelemetry's propagators write them.
    pub(super) struct Headers<'h>(pub(super) &'h mut async_nats::HeaderMap);

    /// NATS headers, as OpenTelemetry's propagators read them.
    pub(super) struct Read<'h>(pub(super) &'h async_nats::HeaderMap);

    impl Injector for Headers<'_> {
        fn set(&mut self, key: &str, value: String) {
            // A value with a line break cannot be a header (async-nats would panic): a propagator writes none.
            if let Ok(value) = value.parse::<async_nats::HeaderValue>() {
                self.0.insert(key, value);
            }
        }
    }

    impl Extractor for Read<'_> {
        fn get(&self, key: &str) -> Option<&str> {
            self.0.get(key).map(async_nats::HeaderValue::as_str)
        }

        fn keys(&self) -> Vec<&str> {
            self.0.iter().map(|(name, _)| name.as_ref()).collect()
        }
    }
}
