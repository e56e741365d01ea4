//! A program written for upstream `wapc` 2.x and `wasmtime-provider` 2.x, unchanged but for its imports
//! resolving here: it must compile and behave the same.

use wapc::WapcHost;
use wasmtime_provider::{EpochDeadlines, ResourceLimits, WasmtimeEngineProviderBuilder};

fn host_callback(
    id: u64,
    bd: &str,
    ns: &str,
    op: &str,
    payload: &[u8],
) -> Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>> {
    println!("Guest {id} invoked '{bd}->{ns}:{op}' with {} bytes", payload.len());
    Ok(vec![])
}

fn create_guest(module_bytes: &[u8]) -> Result<WapcHost, wapc::errors::Error> {
    let engine = WasmtimeEngineProviderBuilder::new()
        .engine(wasmtime_provider::wasmtime::Engine::default())
        .module_bytes(module_bytes)
        .wasi_params(wapc::WasiParams::new(
            vec!["guest".to_owned()],
            vec![],
            vec![("K".to_owned(), "V".to_owned())],
            vec![],
        ))
        .enable_epoch_interruptions(EpochDeadlines { wapc_init: 1000, wapc_func: 1000 })
        .enable_resource_limits(ResourceLimits { max_memory_size: Some(16 << 20), max_table_elements: Some(1000) })
        .build()?;
    WapcHost::new(Box::new(engine), Some(Box::new(host_callback)))
}

fn run(module_bytes: &[u8]) -> Result<String, wapc::errors::Error> {
    let host = create_guest(module_bytes)?;
    let _id: u64 = host.id();
    let res = host.call("echo", b"upstream")?;
    host.replace_module(module_bytes)?;
    let pre = WasmtimeEngineProviderBuilder::new().module_bytes(module_bytes).build_pre()?;
    let second = WapcHost::new(Box::new(pre.rehydrate(None)?), None)?;
    second.call("echo", &res)?;
    let engine = wasmtime_provider::wasmtime::Engine::default();
    let module =
        wasmtime_provider::wasmtime::Module::new(&engine, module_bytes).map_err(wapc::errors::Error::provider)?;
    let third = WasmtimeEngineProviderBuilder::new().module(module).engine(engine).build()?;
    WapcHost::new(Box::new(third), None)?.call("echo", &res)?;
    let _exit = wasmtime_provider::wasmtime_wasi::I32Exit(0);
    Ok(String::from_utf8_lossy(&res).into_owned())
}

#[test]
fn upstream_programs_compile_and_run() {
    let module = wat::parse_str(
        r#"(module
          (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
          (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
          (memory (export "memory") 1)
          (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
            (call $guest_request (i32.const 0) (i32.const 64))
            (call $guest_response (i32.const 64) (local.get $msg_len))
            (i32.const 1)))"#,
    )
    .unwrap();
    assert_eq!(run(&module).unwrap(), "upstream");
    let error: wapc::errors::Error = run(b"not wasm").unwrap_err();
    assert!(error.to_string().starts_with("invalid module: "), "{error}");
    let read: Result<Vec<u8>, wapc::errors::Error> = std::fs::read("/no/such/guest.wasm").map_err(Into::into);
    assert!(matches!(read, Err(wapc::errors::Error::Io(_))));
}
