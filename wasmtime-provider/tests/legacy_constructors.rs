//! wasmtime-provider 1.x's constructors still build working providers, deprecated in favour of the builder.
#![allow(deprecated)]

use wapc::errors::Error;
use wapc::{WapcHost, WasiParams};
use wapc_conformance::guests::{GUEST_OURS, tinygo_style_guest};
use wasmtime_provider::WasmtimeEngineProvider;
use wasmtime_provider::wasmtime::Engine;

fn echo(provider: WasmtimeEngineProvider) -> Vec<u8> {
    WapcHost::new(Box::new(provider), None).unwrap().call("echo", b"1.x").unwrap()
}

#[test]
fn new_builds_a_provider_of_the_module() {
    assert_eq!(echo(WasmtimeEngineProvider::new(GUEST_OURS, None).unwrap()), b"1.x");
}

#[test]
fn new_with_engine_compiles_on_the_given_engine() {
    let engine = Engine::default();
    let provider = WasmtimeEngineProvider::new_with_engine(GUEST_OURS, engine, None).unwrap();
    assert_eq!(echo(provider), b"1.x");
}

#[test]
fn new_with_cache_compiles_without_a_cache() {
    let directory = std::env::temp_dir();
    let provider = WasmtimeEngineProvider::new_with_cache(GUEST_OURS, None, Some(&directory)).unwrap();
    assert_eq!(echo(provider), b"1.x");
}

#[test]
fn wasi_parameters_reach_a_wasi_guest() {
    let provider = WasmtimeEngineProvider::new(&tinygo_style_guest(), Some(WasiParams::default())).unwrap();
    let host = WapcHost::new(Box::new(provider), None).unwrap();
    assert_eq!(host.call("anything", b"payload").unwrap(), b"payload");
}

#[test]
fn bytes_that_are_not_a_module_are_refused() {
    assert!(matches!(WasmtimeEngineProvider::new(b"not wasm", None), Err(Error::InvalidModule(_))));
}
