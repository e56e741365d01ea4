//! A guest's console log, with no handler of the host's and no `tracing` subscriber, reaches a `log` logger (what
//! `env_logger::init()` installs in upstream's examples) as a record of target `wapc::guest` at info level.

use std::sync::Mutex;

use wapc::WapcHost;
use wasmtime_provider::WasmtimeEngineProviderBuilder;

/// Every record of target `wapc::guest`: `(level, text)`.
static RECORDS: Mutex<Vec<(log::Level, String)>> = Mutex::new(Vec::new());

struct Recorder;

impl log::Log for Recorder {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &log::Record<'_>) {
        if record.target() == "wapc::guest" {
            RECORDS.lock().unwrap().push((record.level(), record.args().to_string()));
        }
    }

    fn flush(&self) {}
}

const GUEST: &str = r#"(module
  (import "wapc" "__console_log" (func $console_log (param i32 i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello from the guest")
  (func (export "__guest_call") (param i32 i32) (result i32)
    (call $console_log (i32.const 16) (i32.const 20))
    (call $guest_response (i32.const 0) (i32.const 0))
    (i32.const 1)))"#;

#[test]
fn guest_logs_reach_a_log_logger() {
    log::set_logger(&Recorder).unwrap();
    log::set_max_level(log::LevelFilter::Trace);
    let module = wat::parse_str(GUEST).unwrap();
    let engine = WasmtimeEngineProviderBuilder::new().module_bytes(&module).build().unwrap();
    let host = WapcHost::new(Box::new(engine), None).unwrap();
    host.call("log", b"").unwrap();
    let records = RECORDS.lock().unwrap().clone();
    assert_eq!(records.len(), 1, "{records:?}");
    let (level, text) = &records[0];
    assert_eq!(*level, log::Level::Info);
    assert!(text.starts_with("hello from the guest"), "{text}");
    assert!(text.contains(&format!("host={}", host.id())), "{text}");
}
