//! One trace across NATS (the `otel` feature): a relay guest's host call goes through the bridge to a waPC module
//! served over NATS, and the served side's `wrpc.serve` span, exported by OpenTelemetry, has the caller's trace id
//! and the caller's `wrpc.invoke` span as its parent; the served module's `wapc.call` is inside it.

use std::sync::Arc;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use tracing_subscriber::layer::SubscriberExt as _;
use wapc::WapcHost;
use wapc_conformance::guests::GUEST_OURS;
use wasmtime_provider::WasmtimeEngineProviderBuilder;
use wrpc_bridge::transport::NatsOptions;
use wrpc_bridge::{Address, Bridge, ServiceBuilder, Target};
use wrpc_bridge_interop::nats_server::NatsServer;
use wrpc_bridge_interop::relay;

const API: &str = "legacy:guest/api@0.1.0";

#[test]
fn a_nats_call_and_the_invocation_it_serves_are_one_trace() {
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder().with_simple_exporter(exporter.clone()).build();
    let layer = tracing_opentelemetry::layer().with_tracer(provider.tracer("wrpc-bridge-interop"));
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(layer)).unwrap();

    let server = NatsServer::start(None);
    let mut options = NatsOptions::default();
    options.prefix = "traced".to_owned();
    let engine = WasmtimeEngineProviderBuilder::new().module_bytes(GUEST_OURS).build().unwrap();
    let served = Arc::new(WapcHost::new(Box::new(engine), None).unwrap());
    let service =
        ServiceBuilder::new(served).opaque(API, ["echo"]).nats(options.clone()).serve(&Address::Nats(server.url()));
    let service = service.unwrap();
    let target = Target::new(&server.url()).unwrap().nats(options);
    let host = relay::host(&Bridge::builder().target("svc", target).build().unwrap());
    assert_eq!(relay::call(&host, "svc", API, "echo", b"traced").unwrap(), b"traced");
    service.stop();
    provider.force_flush().unwrap();

    let spans = exporter.get_finished_spans().unwrap();
    let named = |name: &str, operation: Option<&str>| -> &SpanData {
        spans
            .iter()
            .find(|span| {
                span.name == name
                    && operation.is_none_or(|operation| {
                        span.attributes
                            .iter()
                            .any(|kv| kv.key.as_str() == "operation" && kv.value.as_str() == operation)
                    })
            })
            .unwrap_or_else(|| {
                panic!("no {name} span in {:?}", spans.iter().map(|span| &span.name).collect::<Vec<_>>())
            })
    };
    let (guest_call, invoke, serve) =
        (named("wapc.call", Some("relay")), named("wrpc.invoke", None), named("wrpc.serve", None));
    let served_call = named("wapc.call", Some("echo"));
    let trace = guest_call.span_context.trace_id();
    assert_eq!(invoke.span_context.trace_id(), trace);
    assert_eq!(serve.span_context.trace_id(), trace, "the served span is not in the caller's trace");
    assert_eq!(serve.parent_span_id, invoke.span_context.span_id());
    assert_eq!(served_call.span_context.trace_id(), trace);
    assert_eq!(served_call.parent_span_id, serve.span_context.span_id());
}
