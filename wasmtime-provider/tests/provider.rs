//! Behaviour of the wasmtime provider beyond the conformance suite: its builder, its two kinds of deadline,
//! its default memory cap and its shared, precompiled modules.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use wapc::WapcHost;
use wapc::errors::{Error, ExecutionLimit, Resource, ResourceLimit};
use wasmtime_provider::wasmtime::{Config, Engine};
use wasmtime_provider::{DEFAULT_MAX_MEMORY_BYTES, EpochDeadlines, ResourceLimits, WasmtimeEngineProviderBuilder};

/// A guest whose `__guest_call` runs `body` after fetching the request (operation at 0, payload at 1024).
fn guest(body: &str) -> Vec<u8> {
    wat::parse_str(format!(
        r#"(module
          (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
          (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
          (import "wapc" "__host_call" (func $host_call (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
          (memory (export "memory") 1)
          (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
            (call $guest_request (i32.const 0) (i32.const 1024))
            {body}))"#
    ))
    .unwrap()
}

fn echo() -> Vec<u8> {
    guest("(call $guest_response (i32.const 1024) (local.get $msg_len)) (i32.const 1)")
}

/// Loops forever when the operation is `spin` (any 4-byte name), echoes otherwise.
fn spin_or_echo() -> Vec<u8> {
    guest(
        "(if (i32.eq (local.get $op_len) (i32.const 4)) (then (loop $forever (br $forever))))
         (call $guest_response (i32.const 1024) (local.get $msg_len)) (i32.const 1)",
    )
}

fn new_host(builder: &WasmtimeEngineProviderBuilder<'_>) -> WapcHost {
    WapcHost::new(Box::new(builder.build().unwrap()), None).unwrap()
}

#[test]
fn epoch_deadlines_count_ticks_the_embedder_drives() {
    let mut config = Config::new();
    config.epoch_interruption(true);
    let engine = Engine::new(&config).unwrap();
    let module = spin_or_echo();
    let builder = WasmtimeEngineProviderBuilder::new()
        .engine(engine.clone())
        .module_bytes(&module)
        .enable_epoch_interruptions(EpochDeadlines { wapc_init: 10, wapc_func: 1 });
    let host = new_host(&builder);
    assert_eq!(host.call("ok", b"no ticks, no interruption").unwrap(), b"no ticks, no interruption");

    let done = Arc::new(AtomicBool::new(false));
    let ticker = {
        let (engine, done) = (engine.clone(), Arc::clone(&done));
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(5));
                engine.increment_epoch();
            }
        })
    };
    assert!(matches!(host.call("spin", b""), Err(Error::DeadlineExceeded(ExecutionLimit::EpochTicks(1)))));
    assert_eq!(host.call("ok", b"after").unwrap(), b"after");
    done.store(true, Ordering::Relaxed);
    ticker.join().unwrap();
}

#[test]
fn wall_clock_deadline_counts_time_in_host_callbacks() {
    let module = guest(
        r#"(drop (call $host_call (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
                                 (i32.const 0) (i32.const 0)))
           (loop $forever (br $forever))
           (i32.const 0)"#,
    );
    let engine =
        WasmtimeEngineProviderBuilder::new().module_bytes(&module).deadline(Duration::from_millis(20)).build().unwrap();
    let slow_callback = Box::new(|_: u64, _: &str, _: &str, _: &str, _: &[u8]| {
        std::thread::sleep(Duration::from_millis(60));
        Ok(Vec::new())
    });
    let host = WapcHost::new(Box::new(engine), Some(slow_callback)).unwrap();
    let started = std::time::Instant::now();
    assert!(matches!(
        host.call("slow", b""),
        Err(Error::DeadlineExceeded(ExecutionLimit::WallClock(d))) if d == Duration::from_millis(20)
    ));
    assert!(started.elapsed() >= Duration::from_millis(60), "the callback was cut short");
}

#[test]
fn memory_is_capped_by_default() {
    let bomb = guest("(loop $grow (br_if $grow (i32.ne (memory.grow (i32.const 1024)) (i32.const -1)))) (i32.const 0)");
    let host = new_host(&WasmtimeEngineProviderBuilder::new().module_bytes(&bomb));
    match host.call("bomb", b"") {
        Err(Error::ResourceLimit(ResourceLimit { resource: Resource::Memory, requested, limit })) => {
            assert_eq!(limit, DEFAULT_MAX_MEMORY_BYTES);
            assert_eq!(requested, (1 + 4 * 1024) * 65536);
        }
        other => panic!("expected the default memory cap to stop the bomb, got {other:?}"),
    }
    let uncapped = ResourceLimits { max_memory_size: None, max_table_elements: None };
    let module = echo();
    let host = new_host(&WasmtimeEngineProviderBuilder::new().module_bytes(&module).enable_resource_limits(uncapped));
    assert_eq!(host.call("echo", b"x").unwrap(), b"x");
}

#[test]
fn initial_memory_over_the_limit_fails_instantiation() {
    let module = wat::parse_str(
        r#"(module (memory (export "memory") 3) (func (export "__guest_call") (param i32 i32) (result i32) (i32.const 1)))"#,
    )
    .unwrap();
    let limits = ResourceLimits { max_memory_size: Some(2 * 65536), max_table_elements: None };
    let provider =
        WasmtimeEngineProviderBuilder::new().module_bytes(&module).enable_resource_limits(limits).build().unwrap();
    assert!(matches!(
        WapcHost::new(Box::new(provider), None),
        Err(Error::ResourceLimit(ResourceLimit { resource: Resource::Memory, requested: 196_608, limit: 131_072 }))
    ));
}

#[test]
fn contradictory_builders_are_refused() {
    let module = echo();
    let message = |builder: WasmtimeEngineProviderBuilder<'_>| match builder.build() {
        Err(Error::Provider(source)) => source.to_string(),
        Err(other) => panic!("expected a configuration error, got {other:?}"),
        Ok(_) => panic!("expected a configuration error"),
    };
    assert_eq!(message(WasmtimeEngineProviderBuilder::new()), "no module given: call `module_bytes` or `module`");
    let compiled = wasmtime_provider::wasmtime::Module::new(&Engine::default(), &module).unwrap();
    assert_eq!(
        message(WasmtimeEngineProviderBuilder::new().module_bytes(&module).module(compiled)),
        "more than one module given: call only one of `module_bytes` and `module`"
    );
    assert_eq!(
        message(
            WasmtimeEngineProviderBuilder::new()
                .module_bytes(&module)
                .deadline(Duration::from_secs(1))
                .enable_epoch_interruptions(EpochDeadlines { wapc_init: 1, wapc_func: 1 })
        ),
        "epoch deadlines and a wall-clock deadline cannot be combined"
    );
    assert_eq!(
        message(
            WasmtimeEngineProviderBuilder::new()
                .engine(Engine::default())
                .module_bytes(&module)
                .deadline(Duration::from_secs(1))
        ),
        "a deadline needs an engine with `Config::epoch_interruption(true)`"
    );
    assert!(matches!(
        WasmtimeEngineProviderBuilder::new().module_bytes(b"not wasm").build(),
        Err(Error::InvalidModule(_))
    ));
}

#[test]
fn unknown_imports_are_invalid_modules() {
    let module = wat::parse_str(
        r#"(module (import "wapc" "__no_such_import" (func)) (memory (export "memory") 1)
                   (func (export "__guest_call") (param i32 i32) (result i32) (i32.const 1)))"#,
    )
    .unwrap();
    match WasmtimeEngineProviderBuilder::new().module_bytes(&module).build() {
        Err(Error::InvalidModule(message)) => assert!(message.contains("__no_such_import"), "{message}"),
        other => panic!("expected an invalid module, got {other:?}"),
    }
}

#[test]
fn one_pre_serves_many_hosts_and_precompiles() {
    let module = echo();
    let pre = WasmtimeEngineProviderBuilder::new().module_bytes(&module).build_pre().unwrap();
    let hosts: Vec<WapcHost> =
        (0..4).map(|_| WapcHost::new(Box::new(pre.rehydrate(None).unwrap()), None).unwrap()).collect();
    for (i, host) in hosts.iter().enumerate() {
        assert_eq!(host.call("echo", &[i as u8]).unwrap(), [i as u8]);
    }

    let precompiled = pre.serialize().unwrap();
    // SAFETY: serialised just above by the same engine.
    let loaded = unsafe { WasmtimeEngineProviderBuilder::new().precompiled_module_bytes(&precompiled) };
    let host = new_host(&loaded.engine(pre.engine().clone()));
    assert_eq!(host.call("echo", b"precompiled").unwrap(), b"precompiled");

    let other_engine = {
        let mut config = Config::new();
        config.epoch_interruption(true);
        Engine::new(&config).unwrap()
    };
    // SAFETY: as above; the engine is incompatible, which must be refused, not trusted.
    let mismatched = unsafe { WasmtimeEngineProviderBuilder::new().precompiled_module_bytes(&precompiled) };
    assert!(matches!(mismatched.engine(other_engine).build(), Err(Error::InvalidModule(_))));
}
