//! The span tree of one bridged call, as a subscriber sees it: a relay guest's `wapc.call`, its
//! `wapc.host_call`, the bridge's `wrpc.invoke` inside it; and on the serving side (another waPC module served over
//! TCP, where wRPC carries no trace context) a `wrpc.serve` around that module's `wapc.call`.

use std::sync::{Arc, Mutex};

use tracing::Subscriber;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt as _};
use tracing_subscriber::registry::LookupSpan;
use wapc::WapcHost;
use wapc_conformance::guests::GUEST_OURS;
use wasmtime_provider::WasmtimeEngineProviderBuilder;
use wrpc_bridge::{Address, Bridge, ServiceBuilder, Target};
use wrpc_bridge_interop::relay;

const API: &str = "legacy:guest/api@0.1.0";

/// Each span as it is made (`NAME in PARENT: fields`) and each later record (`NAME records: fields`).
#[derive(Clone, Default)]
struct Tree(Arc<Mutex<Vec<String>>>);

#[derive(Default)]
struct Fields(Vec<String>);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push(format!("{}={value:?}", field.name()));
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Tree {
    fn on_new_span(&self, attributes: &Attributes<'_>, id: &Id, context: Context<'_, S>) {
        let mut fields = Fields::default();
        attributes.record(&mut fields);
        let parent = context.span(id).and_then(|span| span.parent()).map_or("nothing", |parent| parent.name());
        let line = format!("{} in {parent}: {}", attributes.metadata().name(), fields.0.join(" "));
        self.0.lock().unwrap().push(line);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, context: Context<'_, S>) {
        let mut fields = Fields::default();
        values.record(&mut fields);
        let name = context.span(id).map_or("?", |span| span.name());
        self.0.lock().unwrap().push(format!("{name} records: {}", fields.0.join(" ")));
    }
}

#[test]
fn one_bridged_call_makes_one_tree_per_side() {
    let tree = Tree::default();
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(tree.clone())).unwrap();

    let engine = WasmtimeEngineProviderBuilder::new().module_bytes(GUEST_OURS).build().unwrap();
    let served = Arc::new(WapcHost::new(Box::new(engine), None).unwrap());
    let service = ServiceBuilder::new(served)
        .opaque(API, ["echo"])
        .serve(&"tcp://127.0.0.1:0".parse::<Address>().unwrap())
        .unwrap();
    let target = Target::new(&service.address().to_string()).unwrap();
    let host = relay::host(&Bridge::builder().target("svc", target).build().unwrap());
    assert_eq!(relay::call(&host, "svc", API, "echo", b"hello").unwrap(), b"hello");
    service.stop();

    let seen = tree.0.lock().unwrap().clone();
    let has = |expected: &str| seen.iter().any(|line| line == expected);
    let request = "svc\0legacy:guest/api@0.1.0\0echo\0hello".len();
    for expected in [
        format!("wapc.call in nothing: host=2 operation=\"relay\" payload_bytes={request}"),
        "wapc.call records: outcome=\"ok\"".to_owned(),
        format!("wapc.host_call in wapc.call: binding=\"svc\" namespace=\"{API}\" operation=\"echo\""),
        // The opaque parameters: a list<u8> of 5 bytes; the results: ok and a list<u8> of 5.
        format!("wrpc.invoke in wapc.host_call: target=\"svc\" instance=\"{API}\" function=\"echo\" transport=\"tcp\""),
        "wrpc.invoke records: params_bytes=6".to_owned(),
        "wrpc.invoke records: results_bytes=7".to_owned(),
        "wrpc.invoke records: outcome=\"ok\"".to_owned(),
        format!("wrpc.serve in nothing: instance=\"{API}\" function=\"echo\" transport=\"tcp\""),
        "wrpc.serve records: params_bytes=6".to_owned(),
        "wrpc.serve records: results_bytes=7".to_owned(),
        "wrpc.serve records: outcome=\"ok\"".to_owned(),
        "wapc.call in wrpc.serve: host=1 operation=\"echo\" payload_bytes=5".to_owned(),
    ] {
        assert!(has(&expected), "no `{expected}` in:\n{}", seen.join("\n"));
    }
}
