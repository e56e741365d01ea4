//! The builder's pooling allocator: guests run in its slots, the instance past its size is refused with the
//! typed error until a slot is freed, memories and tables grow to the resource limits and no further,
//! deadlines still interrupt.

use std::time::Duration;

use wapc::WapcHost;
use wapc::errors::{Error, ExecutionLimit, Resource, ResourceLimit};
use wapc_conformance::guests::{GUEST_OURS, wat_guest};
use wasmtime_provider::wasmtime::{Config, Engine, PoolingAllocationConfig};
use wasmtime_provider::{
    DEFAULT_MAX_MEMORY_BYTES, ResourceLimits, WasmtimeEngineProvider, WasmtimeEngineProviderBuilder,
};

const PAGE: usize = 65536;

fn host_of(provider: &wasmtime_provider::WasmtimeEngineProvider) -> wapc::errors::Result<WapcHost> {
    WapcHost::new(Box::new(provider.clone()), None)
}

/// A guest whose operation `ok` echoes and whose every other operation grows its memory by as many pages as
/// the payload has bytes, writes the last byte of the grown memory, and answers nothing.
fn grower() -> Vec<u8> {
    wat_guest(
        r#"(if (i32.eq (memory.grow (local.get $msg_len)) (i32.const -1)) (then unreachable))
           (i32.store8 (i32.sub (i32.shl (memory.size) (i32.const 16)) (i32.const 1)) (i32.const 1))
           (call $guest_response (i32.const 0) (i32.const 0))
           (i32.const 1)"#,
        "",
    )
}

#[test]
fn the_conformance_guest_runs_in_a_pool() {
    let provider = WasmtimeEngineProviderBuilder::new().module_bytes(GUEST_OURS).pooling_allocator(4).build().unwrap();
    let hosts: Vec<WapcHost> = (0..4).map(|_| host_of(&provider).unwrap()).collect();
    for (i, host) in hosts.iter().enumerate() {
        let payload = format!("pooled {i}");
        assert_eq!(host.call("echo", payload.as_bytes()).unwrap(), payload.as_bytes());
    }
}

#[test]
fn the_instance_past_the_pool_is_refused_until_a_slot_is_freed() {
    let provider = WasmtimeEngineProviderBuilder::new().module_bytes(GUEST_OURS).pooling_allocator(2).build().unwrap();
    let first = host_of(&provider).unwrap();
    let second = host_of(&provider).unwrap();
    let refused = ResourceLimit { resource: Resource::Instances, requested: 3, limit: 2 };
    match host_of(&provider) {
        Err(Error::ResourceLimit(limit)) => assert_eq!(limit, refused),
        other => panic!("expected the full pool to refuse the instance, got {other:?}"),
    }
    drop(first);
    let third = host_of(&provider).unwrap();
    for host in [&second, &third] {
        assert_eq!(host.call("echo", b"still serving").unwrap(), b"still serving");
    }
    // Replacing a module makes the new instance before the old one goes: with the pool full it is refused,
    // and the old instance keeps serving.
    assert!(matches!(second.replace_module(GUEST_OURS), Err(Error::ResourceLimit(limit)) if limit == refused));
    assert_eq!(second.call("echo", b"old instance").unwrap(), b"old instance");
    drop(third);
    second.replace_module(GUEST_OURS).unwrap();
    assert_eq!(second.call("echo", b"new instance").unwrap(), b"new instance");
}

#[test]
fn pooled_memories_grow_to_the_resource_limit_and_no_further() {
    let module = grower();
    let grow_to_limit = vec![0; DEFAULT_MAX_MEMORY_BYTES / PAGE - 1];
    let provider = WasmtimeEngineProviderBuilder::new().module_bytes(&module).pooling_allocator(1).build().unwrap();
    let host = host_of(&provider).unwrap();
    assert_eq!(host.call("grow", &grow_to_limit).unwrap(), b"");
    assert_eq!(host.memory_bytes(), Some(DEFAULT_MAX_MEMORY_BYTES));
    let refused = ResourceLimit {
        resource: Resource::Memory,
        requested: DEFAULT_MAX_MEMORY_BYTES + PAGE,
        limit: DEFAULT_MAX_MEMORY_BYTES,
    };
    assert!(matches!(host.call("grow", b"+"), Err(Error::ResourceLimit(limit)) if limit == refused));
    assert_eq!(host.call("ok", b"fresh instance").unwrap(), b"fresh instance");

    // Another limit sizes the slots to it.
    let limits = ResourceLimits { max_memory_size: Some(4 * PAGE), ..ResourceLimits::DEFAULT };
    let provider = pooled_alone(&module, limits);
    let host = host_of(&provider).unwrap();
    assert_eq!(host.call("grow", b"+++").unwrap(), b"");
    let refused = ResourceLimit { resource: Resource::Memory, requested: 5 * PAGE, limit: 4 * PAGE };
    assert!(matches!(host.call("grow", b"+"), Err(Error::ResourceLimit(limit)) if limit == refused));
}

#[test]
fn pooled_tables_grow_to_the_resource_limit_and_no_further() {
    // `big` grows the table by 2^30 elements at once, any other operation by as many as the payload has bytes;
    // a refused growth (-1) traps.
    let module = wat_guest(
        r#"(if (i32.eq (table.grow $t (ref.null func)
                          (select (i32.const 0x40000000) (local.get $msg_len) (i32.eq (local.get $op_len) (i32.const 3))))
                        (i32.const -1))
             (then unreachable))
           (call $guest_response (i32.const 0) (i32.const 0))
           (i32.const 1)"#,
        "(table $t 1 funcref)",
    );
    let limits = ResourceLimits { max_table_elements: Some(100), ..ResourceLimits::DEFAULT };
    let provider = pooled_alone(&module, limits);
    let host = host_of(&provider).unwrap();
    assert_eq!(host.call("grow", &[0; 99]).unwrap(), b"");
    let refused = ResourceLimit { resource: Resource::Table, requested: 101, limit: 100 };
    assert!(matches!(host.call("grow", b"+"), Err(Error::ResourceLimit(limit)) if limit == refused));
    // Far past the table's slot: still the limit's refusal, not the engine's.
    let refused = ResourceLimit { resource: Resource::Table, requested: 1 + (1 << 30), limit: 100 };
    assert!(matches!(host.call("big", b""), Err(Error::ResourceLimit(limit)) if limit == refused));
}

#[test]
fn a_module_no_slot_can_hold_is_refused_when_loaded() {
    let module = wat::parse_str(
        r#"(module (memory (export "memory") 3) (func (export "__guest_call") (param i32 i32) (result i32) (i32.const 1)))"#,
    )
    .unwrap();
    let limits = ResourceLimits { max_memory_size: Some(2 * PAGE), max_table_elements: None };
    let builder =
        WasmtimeEngineProviderBuilder::new().module_bytes(&module).enable_resource_limits(limits).pooling_allocator(1);
    assert!(matches!(builder.build(), Err(Error::InvalidModule(_))));
}

#[test]
fn deadlines_interrupt_pooled_instances() {
    let module = wat_guest("(loop $forever (br $forever)) (i32.const 0)", "");
    let provider = WasmtimeEngineProviderBuilder::new()
        .module_bytes(&module)
        .deadline(Duration::from_millis(20))
        .pooling_allocator(1)
        .build()
        .unwrap();
    let host = host_of(&provider).unwrap();
    assert!(matches!(
        host.call("spin", b""),
        Err(Error::DeadlineExceeded(ExecutionLimit::WallClock(d))) if d == Duration::from_millis(20)
    ));
    // The interrupted instance is replaced within the pool of one: its slot was freed first.
    assert_eq!(host.call("ok", b"after").unwrap(), b"after");
}

#[test]
fn a_callers_pooled_engine_reports_a_full_pool_when_instances_ran_out() {
    let engine = |pool: &mut PoolingAllocationConfig| {
        let mut config = Config::new();
        config.allocation_strategy(pool.clone());
        Engine::new(&config).unwrap()
    };
    let provider =
        |engine: Engine| WasmtimeEngineProviderBuilder::new().module_bytes(GUEST_OURS).engine(engine).build().unwrap();
    // A slot for every memory and table an instance may have: the instances are what runs out.
    let roomy = provider(engine(PoolingAllocationConfig::new().total_core_instances(1)));
    let _only = host_of(&roomy).unwrap();
    assert!(matches!(
        host_of(&roomy),
        Err(Error::ResourceLimit(ResourceLimit { resource: Resource::Instances, requested: 2, limit: 1 }))
    ));
    // Fewer memory slots than instances: the memories run out first, which stays wasmtime's error.
    let tight = provider(engine(PoolingAllocationConfig::new().total_core_instances(4).total_memories(1)));
    let _only = host_of(&tight).unwrap();
    assert!(matches!(host_of(&tight), Err(Error::Provider(_))));
}

#[test]
fn pooling_is_refused_with_a_callers_engine_or_no_room() {
    let message = |builder: WasmtimeEngineProviderBuilder<'_>| match builder.build() {
        Err(Error::Provider(source)) => source.to_string(),
        Err(other) => panic!("expected a configuration error, got {other:?}"),
        Ok(_) => panic!("expected a configuration error"),
    };
    let with_engine = WasmtimeEngineProviderBuilder::new().module_bytes(GUEST_OURS).engine(Engine::default());
    assert_eq!(
        message(with_engine.pooling_allocator(2)),
        "the pooling allocator configures the builder's own engine: configure the engine given with `engine` instead"
    );
    assert_eq!(
        message(WasmtimeEngineProviderBuilder::new().module_bytes(GUEST_OURS).pooling_allocator(0)),
        "the pooling allocator needs room for at least one instance"
    );
}

/// A provider of `module` under `limits`, in a pooling allocator with room for one instance.
fn pooled_alone(module: &[u8], limits: ResourceLimits) -> WasmtimeEngineProvider {
    WasmtimeEngineProviderBuilder::new()
        .module_bytes(module)
        .enable_resource_limits(limits)
        .pooling_allocator(1)
        .build()
        .unwrap()
}
