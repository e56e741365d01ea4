//! The raw engine floor the benchmarks measure the host against: what a waPC call costs at the least on an
//! engine, written directly against it.
//!
//! A floor module's `__guest_call` makes the same crossings a waPC call makes (one host-to-wasm call, one import
//! that copies the request into guest memory, one that copies the response out; for a round trip, one more
//! import that runs a host function and one that copies its result in), with memory looked up once per
//! instance and nothing else: no protocol, no checks, no dispatch.

use wasmtime_provider::wasmtime::{self, Caller, Engine, Linker, Memory, Module, Store, TypedFunc};

/// A floor module answering its request unchanged.
const ECHO: &str = r#"(module
  (import "floor" "fetch" (func $fetch (param i32)))
  (import "floor" "respond" (func $respond (param i32 i32)))
  (memory (export "memory") 17)
  (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
    (call $fetch (i32.const 0))
    (call $respond (i32.const 0) (local.get $msg_len))
    (i32.const 1)))"#;

/// A floor module that passes its request to a host function and answers that function's result.
const ROUND_TRIP: &str = r#"(module
  (import "floor" "fetch" (func $fetch (param i32)))
  (import "floor" "respond" (func $respond (param i32 i32)))
  (import "floor" "host_call" (func $host_call (param i32 i32) (result i32)))
  (import "floor" "host_response" (func $host_response (param i32)))
  (memory (export "memory") 34)
  (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
    (local $answer_len i32)
    (call $fetch (i32.const 0))
    (local.set $answer_len (call $host_call (i32.const 0) (local.get $msg_len)))
    (call $host_response (i32.const 1114112))
    (call $respond (i32.const 1114112) (local.get $answer_len))
    (i32.const 1)))"#;

/// What the floor's imports work on.
struct FloorData {
    memory: Option<Memory>,
    request: Vec<u8>,
    response: Vec<u8>,
    host_response: Vec<u8>,
}

/// One instance of a floor module on wasmtime.
pub struct WasmtimeFloor {
    store: Store<FloorData>,
    guest_call: TypedFunc<(i32, i32), i32>,
}

impl WasmtimeFloor {
    /// The echo floor.
    #[must_use]
    pub fn echo() -> Self {
        Self::new(ECHO)
    }

    /// The round-trip floor: its host function answers the bytes it is given, copied.
    #[must_use]
    pub fn round_trip() -> Self {
        Self::new(ROUND_TRIP)
    }

    fn new(wat: &str) -> Self {
        let engine = Engine::default();
        let module = Module::new(&engine, wat::parse_str(wat).unwrap_or_default()).unwrap_or_else(|e| panic!("{e}"));
        let mut linker = Linker::<FloorData>::new(&engine);
        let defined = define_imports(&mut linker);
        defined.unwrap_or_else(|e| panic!("{e}"));
        let data = FloorData { memory: None, request: Vec::new(), response: Vec::new(), host_response: Vec::new() };
        let mut store = Store::new(&engine, data);
        let instance = linker.instantiate(&mut store, &module).unwrap_or_else(|e| panic!("{e}"));
        store.data_mut().memory = instance.get_memory(&mut store, "memory");
        let guest_call = instance.get_typed_func(&mut store, "__guest_call").unwrap_or_else(|e| panic!("{e}"));
        WasmtimeFloor { store, guest_call }
    }

    /// Sets the request later calls fetch.
    pub fn set_request(&mut self, payload: &[u8]) {
        payload.clone_into(&mut self.store.data_mut().request);
    }

    /// Runs `__guest_call` once and returns the response.
    pub fn call(&mut self) -> Vec<u8> {
        let len = i32::try_from(self.store.data().request.len()).unwrap_or(i32::MAX);
        match self.guest_call.call(&mut self.store, (4, len)) {
            Ok(_) => std::mem::take(&mut self.store.data_mut().response),
            Err(e) => panic!("the floor module failed: {e}"),
        }
    }
}

fn define_imports(linker: &mut Linker<FloorData>) -> wasmtime::Result<()> {
    linker.func_wrap("floor", "fetch", |mut caller: Caller<'_, FloorData>, ptr: i32| {
        let (memory, data) = memory_and_data(&mut caller);
        let start = ptr as usize;
        memory[start..start + data.request.len()].copy_from_slice(&data.request);
    })?;
    linker.func_wrap("floor", "respond", |mut caller: Caller<'_, FloorData>, ptr: i32, len: i32| {
        let (memory, data) = memory_and_data(&mut caller);
        data.response = memory[ptr as usize..(ptr + len) as usize].to_vec();
    })?;
    linker.func_wrap("floor", "host_call", |mut caller: Caller<'_, FloorData>, ptr: i32, len: i32| -> i32 {
        let (memory, data) = memory_and_data(&mut caller);
        data.host_response = memory[ptr as usize..(ptr + len) as usize].to_vec();
        data.host_response.len() as i32
    })?;
    linker.func_wrap("floor", "host_response", |mut caller: Caller<'_, FloorData>, ptr: i32| {
        let (memory, data) = memory_and_data(&mut caller);
        let start = ptr as usize;
        memory[start..start + data.host_response.len()].copy_from_slice(&data.host_response);
    })?;
    Ok(())
}

fn memory_and_data<'a>(caller: &'a mut Caller<'_, FloorData>) -> (&'a mut [u8], &'a mut FloorData) {
    let memory = caller.data().memory.unwrap_or_else(|| panic!("the floor module has no memory"));
    memory.data_and_store_mut(caller)
}
