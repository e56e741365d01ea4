//! The `tracing` spans of a call: `wapc.call` (host, operation, payload size, outcome) around `wapc.host_call`
//! (binding, namespace, operation), and the guest's console line as an event inside them.

use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};
use wapc::WapcHost;
use wasmtime_provider::WasmtimeEngineProviderBuilder;

/// What the subscriber saw, as text: `new <name> <fields>`, `record <name> <fields>`, `event <target> <fields>
/// in <span>`.
#[derive(Clone, Default)]
struct Recorder {
    seen: Arc<Mutex<Vec<String>>>,
    names: Arc<Mutex<Vec<&'static str>>>,
    current: Arc<Mutex<Vec<u64>>>,
}

/// The fields of a span or event, as `name=value` pairs.
#[derive(Default)]
struct Fields(Vec<String>);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push(format!("{}={value:?}", field.name()));
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut fields = Fields::default();
        span.record(&mut fields);
        let mut names = self.names.lock().unwrap();
        names.push(span.metadata().name());
        self.seen.lock().unwrap().push(format!("new {} {}", span.metadata().name(), fields.0.join(" ")));
        Id::from_u64(names.len() as u64)
    }

    fn record(&self, span: &Id, values: &Record<'_>) {
        let mut fields = Fields::default();
        values.record(&mut fields);
        let name = self.names.lock().unwrap()[span.into_u64() as usize - 1];
        self.seen.lock().unwrap().push(format!("record {name} {}", fields.0.join(" ")));
    }

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let inside =
            self.current.lock().unwrap().last().map_or("none", |&id| self.names.lock().unwrap()[id as usize - 1]);
        self.seen.lock().unwrap().push(format!(
            "event {} {} in {inside}",
            event.metadata().target(),
            fields.0.join(" ")
        ));
    }

    fn enter(&self, span: &Id) {
        self.current.lock().unwrap().push(span.into_u64());
    }

    fn exit(&self, _: &Id) {
        self.current.lock().unwrap().pop();
    }
}

const GUEST: &str = r#"(module
  (import "wapc" "__console_log" (func $console_log (param i32 i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (import "wapc" "__host_call" (func $host_call (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "kvstoreget")
  (data (i32.const 32) "logged")
  (func (export "__guest_call") (param i32 i32) (result i32)
    (call $console_log (i32.const 32) (i32.const 6))
    (drop (call $host_call (i32.const 16) (i32.const 2) (i32.const 18) (i32.const 5) (i32.const 23) (i32.const 3)
                           (i32.const 0) (i32.const 0)))
    (call $guest_response (i32.const 0) (i32.const 0))
    (i32.const 1)))"#;

#[test]
fn a_call_is_a_span_around_its_host_calls_and_guest_logs() {
    let module = wat::parse_str(GUEST).unwrap();
    let engine = WasmtimeEngineProviderBuilder::new().module_bytes(&module).build().unwrap();
    let host = WapcHost::new(Box::new(engine), Some(Box::new(|_, _, _, _, _| Ok(Vec::new())))).unwrap();
    let recorder = Recorder::default();
    tracing::subscriber::with_default(recorder.clone(), || host.call("run", b"12345").unwrap());
    let id = host.id();
    assert_eq!(
        *recorder.seen.lock().unwrap(),
        [
            format!("new wapc.call host={id} operation=\"run\" payload_bytes=5"),
            format!("event wapc::guest message=logged host={id} in wapc.call"),
            "new wapc.host_call binding=\"kv\" namespace=\"store\" operation=\"get\"".to_owned(),
            "record wapc.call outcome=\"ok\"".to_owned(),
        ]
    );
}
