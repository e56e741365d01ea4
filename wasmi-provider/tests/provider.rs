//! Behaviour of the wasmi provider beyond the conformance suite: its builder, its fuel budget, its default
//! memory cap and its shared modules.

use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use wapc::errors::{Error, ExecutionLimit, Resource, ResourceLimit};
use wapc::{WapcHost, WapcHostBuilder};
use wasmi_provider::wasmi::{Config, Engine, Module};
use wasmi_provider::{
    DEFAULT_MAX_MEMORY_BYTES, FuelLimits, ResourceLimits, WAITING_FUEL_PER_SECOND, WasmiEngineProviderBuilder,
};

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

/// Counts down from the payload's first byte times 1,000 and then echoes: fuel grows with the byte.
fn count_down_then_echo() -> Vec<u8> {
    guest(
        "(local.set $op_len (i32.mul (i32.load8_u (i32.const 1024)) (i32.const 1000)))
         (block $done (loop $count
           (br_if $done (i32.eqz (local.get $op_len)))
           (local.set $op_len (i32.sub (local.get $op_len) (i32.const 1)))
           (br $count)))
         (call $guest_response (i32.const 1024) (local.get $msg_len)) (i32.const 1)",
    )
}

fn new_host(builder: &WasmiEngineProviderBuilder<'_>) -> WapcHost {
    WapcHost::new(Box::new(builder.build().unwrap()), None).unwrap()
}

#[test]
fn fuel_counts_guest_instructions_deterministically() {
    let module = count_down_then_echo();
    let limits = FuelLimits { wapc_init: 1_000, wapc_func: 50_000 };
    let host = new_host(&WasmiEngineProviderBuilder::new().module_bytes(&module).enable_fuel_limits(limits));
    for _ in 0..3 {
        assert_eq!(host.call("count", &[5]).unwrap(), [5]);
        assert!(matches!(host.call("count", &[200]), Err(Error::DeadlineExceeded(ExecutionLimit::Fuel(50_000)))));
    }
    // The budget is per call: many calls that each fit never add up to a refusal.
    for _ in 0..100 {
        assert_eq!(host.call("count", &[5]).unwrap(), [5]);
    }
}

#[test]
fn fuel_does_not_count_time_in_host_callbacks() {
    let module = guest(
        r#"(drop (call $host_call (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
                                 (i32.const 0) (i32.const 0)))
           (call $guest_response (i32.const 1024) (i32.const 0))
           (i32.const 1)"#,
    );
    let provider = WasmiEngineProviderBuilder::new()
        .module_bytes(&module)
        .enable_fuel_limits(FuelLimits { wapc_init: 10_000, wapc_func: 10_000 })
        .build()
        .unwrap();
    let slow_callback = |_: u64, _: &str, _: &str, _: &str, _: &[u8]| {
        std::thread::sleep(Duration::from_millis(50));
        Ok(Vec::new())
    };
    let host = WapcHost::new(Box::new(provider), Some(Box::new(slow_callback))).unwrap();
    assert_eq!(host.call("slow", b"").unwrap(), b"");
}

#[test]
fn memory_is_capped_by_default() {
    let bomb = guest("(loop $grow (br_if $grow (i32.ne (memory.grow (i32.const 1024)) (i32.const -1)))) (i32.const 0)");
    let host = new_host(&WasmiEngineProviderBuilder::new().module_bytes(&bomb));
    match host.call("bomb", b"") {
        Err(Error::ResourceLimit(ResourceLimit { resource: Resource::Memory, requested, limit })) => {
            assert_eq!(limit, DEFAULT_MAX_MEMORY_BYTES);
            assert_eq!(requested, (1 + 4 * 1024) * 65536);
        }
        other => panic!("expected the default memory cap to stop the bomb, got {other:?}"),
    }
    let uncapped = ResourceLimits { max_memory_size: None, max_table_elements: None };
    let module = echo();
    let host = new_host(&WasmiEngineProviderBuilder::new().module_bytes(&module).enable_resource_limits(uncapped));
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
        WasmiEngineProviderBuilder::new().module_bytes(&module).enable_resource_limits(limits).build().unwrap();
    assert!(matches!(
        WapcHost::new(Box::new(provider), None),
        Err(Error::ResourceLimit(ResourceLimit { resource: Resource::Memory, requested: 196_608, limit: 131_072 }))
    ));
}

#[test]
fn table_growth_is_limited() {
    let grower = wat::parse_str(
        r#"(module
          (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
          (memory (export "memory") 1)
          (table $t 1 funcref)
          (func (export "__guest_call") (param i32 i32) (result i32)
            (drop (table.grow $t (ref.null func) (i32.const 20))) (i32.const 0)))"#,
    )
    .unwrap();
    let limits = ResourceLimits { max_memory_size: None, max_table_elements: Some(10) };
    let host = new_host(&WasmiEngineProviderBuilder::new().module_bytes(&grower).enable_resource_limits(limits));
    assert!(matches!(
        host.call("grow", b""),
        Err(Error::ResourceLimit(ResourceLimit { resource: Resource::Table, requested: 21, limit: 10 }))
    ));
}

#[test]
fn contradictory_builders_are_refused() {
    let module = echo();
    let message = |builder: WasmiEngineProviderBuilder<'_>| match builder.build() {
        Err(Error::Provider(source)) => source.to_string(),
        Err(other) => panic!("expected a configuration error, got {other:?}"),
        Ok(_) => panic!("expected a configuration error"),
    };
    assert_eq!(message(WasmiEngineProviderBuilder::new()), "no module given: call `module_bytes` or `module`");
    let compiled = Module::new(&Engine::default(), &module).unwrap();
    assert_eq!(
        message(WasmiEngineProviderBuilder::new().module_bytes(&module).module(compiled.clone())),
        "more than one module given: call only one of `module_bytes` and `module`"
    );
    assert_eq!(
        message(WasmiEngineProviderBuilder::new().engine(Engine::default()).module(compiled.clone())),
        "the module was compiled with another engine than the one given"
    );
    assert_eq!(
        message(
            WasmiEngineProviderBuilder::new()
                .module(compiled)
                .enable_fuel_limits(FuelLimits { wapc_init: 1, wapc_func: 1 })
        ),
        "fuel limits need an engine with `Config::consume_fuel(true)`"
    );
    assert!(matches!(
        WasmiEngineProviderBuilder::new().module_bytes(b"not wasm").build(),
        Err(Error::InvalidModule(_))
    ));
}

#[test]
fn unknown_or_mistyped_imports_fail_instantiation_as_invalid_modules() {
    let unknown = wat::parse_str(
        r#"(module (import "wapc" "__no_such_import" (func)) (memory (export "memory") 1)
                   (func (export "__guest_call") (param i32 i32) (result i32) (i32.const 1)))"#,
    )
    .unwrap();
    match WapcHost::new(Box::new(WasmiEngineProviderBuilder::new().module_bytes(&unknown).build().unwrap()), None) {
        Err(Error::InvalidModule(message)) => assert!(message.contains("__no_such_import"), "{message}"),
        other => panic!("expected an invalid module, got {other:?}"),
    }
    let mistyped = wat::parse_str(
        r#"(module (import "wapc" "__console_log" (func (param i64))) (memory (export "memory") 1)
                   (func (export "__guest_call") (param i32 i32) (result i32) (i32.const 1)))"#,
    )
    .unwrap();
    match WapcHost::new(Box::new(WasmiEngineProviderBuilder::new().module_bytes(&mistyped).build().unwrap()), None) {
        Err(Error::InvalidModule(message)) => assert!(message.contains("__console_log"), "{message}"),
        other => panic!("expected an invalid module, got {other:?}"),
    }
}

#[test]
fn one_pre_serves_many_hosts_on_a_shared_engine() {
    let mut config = Config::default();
    config.consume_fuel(true);
    let engine = Engine::new(&config);
    let module = echo();
    let pre = WasmiEngineProviderBuilder::new().engine(engine.clone()).module_bytes(&module).build_pre().unwrap();
    let hosts: Vec<WapcHost> =
        (0..4).map(|_| WapcHost::new(Box::new(pre.rehydrate().unwrap()), None).unwrap()).collect();
    for (i, host) in hosts.iter().enumerate() {
        assert_eq!(host.call("echo", &[i as u8]).unwrap(), [i as u8]);
    }
    // A metering engine without limits: calls run unlimited.
    let shared = WasmiEngineProviderBuilder::new().module(pre.module().clone());
    assert_eq!(new_host(&shared).call("echo", b"shared").unwrap(), b"shared");
}

#[test]
fn time_spent_waiting_is_charged_as_fuel() {
    // Two sleeps of 30 ms in one call: the first costs 30 million units of fuel (at a unit per nanosecond), so
    // the second no longer fits the remaining budget and fails at once.
    let module = wat::parse_str(
        r#"(module
          (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
          (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
          (memory (export "memory") 1)
          (func $sleep (param $nanos i64)
            (i32.store (i32.const 16) (i32.const 1))
            (i64.store (i32.const 24) (local.get $nanos))
            (drop (call $poll_oneoff (i32.const 0) (i32.const 128) (i32.const 1) (i32.const 256))))
          (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
            (call $sleep (i64.const 30000000))
            (if (i32.eq (local.get $op_len) (i32.const 5)) (then (call $sleep (i64.const 30000000))))
            (call $guest_response (i32.const 0) (i32.const 0))
            (i32.const 1)))"#,
    )
    .unwrap();
    assert_eq!(WAITING_FUEL_PER_SECOND, 1_000_000_000);
    let limits = FuelLimits { wapc_init: 1_000, wapc_func: 50_000_000 };
    let host = new_host(&WasmiEngineProviderBuilder::new().module_bytes(&module).enable_fuel_limits(limits));
    assert_eq!(host.call("once", b"").unwrap(), b"");
    assert!(matches!(host.call("twice", b""), Err(Error::DeadlineExceeded(ExecutionLimit::Fuel(50_000_000)))));
    assert_eq!(host.call("once", b"").unwrap(), b"");
}

#[test]
fn a_caller_waits_for_a_busy_instance_as_long_as_a_call_may_take() {
    // The callback calls the host from another thread while the guest that called it holds the instance: that
    // call must give up after the time the fuel budget stands for, not wait for ever.
    let module = guest(
        r#"(drop (call $host_call (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
                                 (i32.const 0) (i32.const 0)))
           (call $guest_response (i32.const 1024) (local.get $msg_len))
           (i32.const 1)"#,
    );
    let limits = FuelLimits { wapc_init: 1_000, wapc_func: 20_000_000 };
    let provider = WasmiEngineProviderBuilder::new().module_bytes(&module).enable_fuel_limits(limits).build().unwrap();
    let myself: Arc<OnceLock<Weak<WapcHost>>> = Arc::default();
    let inner = Arc::new(Mutex::new(None));
    let (handle, outcome) = (Arc::clone(&myself), Arc::clone(&inner));
    let host = WapcHostBuilder::new()
        .host_callback(move |_, _, _, _, _| {
            let host = handle.get().and_then(Weak::upgrade).ok_or("the host is gone")?;
            let result = std::thread::spawn(move || host.call("inner", b"")).join().map_err(|_| "panicked")?;
            *outcome.lock().unwrap() = Some(result);
            Ok(Vec::new())
        })
        .build(Box::new(provider))
        .unwrap();
    let host = Arc::new(host);
    myself.set(Arc::downgrade(&host)).unwrap();
    assert_eq!(host.call("outer", b"x").unwrap(), b"x");
    assert!(matches!(
        inner.lock().unwrap().take(),
        Some(Err(Error::DeadlineExceeded(ExecutionLimit::WallClock(wait)))) if wait == Duration::from_millis(20)
    ));
}
