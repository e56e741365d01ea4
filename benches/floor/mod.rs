//! The raw engine floor the benchmarks measure the host against: what a waPC call costs at the least on an
//! engine, written directly against it.
//!
//! A floor module's `__guest_call` makes the same crossings a waPC call makes (one host-to-wasm call, one import
//! that copies the request into guest memory, one that copies the response out; for a round trip, one more
//! import that runs a host function and one that copies its result in), with memory looked up once per
//! instance and nothing else: no protocol, no checks, no dispatch.

mod wasmi;
mod wasmtime;

pub use self::wasmi::WasmiFloor;
pub use self::wasmtime::WasmtimeFloor;

/// A floor module answering its request unchanged.
pub(crate) const ECHO: &str = r#"(module
  (import "floor" "fetch" (func $fetch (param i32)))
  (import "floor" "respond" (func $respond (param i32 i32)))
  (memory (export "memory") 17)
  (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
    (call $fetch (i32.const 0))
    (call $respond (i32.const 0) (local.get $msg_len))
    (i32.const 1)))"#;

/// A floor module that passes its request to a host function and answers that function's result.
pub(crate) const ROUND_TRIP: &str = r#"(module
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

/// A floor module instantiated on one engine.
pub trait Floor {
    /// Sets the request later calls fetch.
    fn set_request(&mut self, payload: &[u8]);

    /// Runs `__guest_call` once and returns the response.
    fn call(&mut self) -> Vec<u8>;
}

/// What the floor's imports work on; each engine's floor wires its imports to these methods.
#[derive(Default)]
pub(crate) struct FloorData {
    request: Vec<u8>,
    response: Vec<u8>,
    host_response: Vec<u8>,
}

impl FloorData {
    /// `floor.fetch`: copies the request to `ptr`.
    fn fetch(&self, memory: &mut [u8], ptr: i32) {
        let start = ptr as usize;
        memory[start..start + self.request.len()].copy_from_slice(&self.request);
    }

    /// `floor.respond`: keeps the response at `ptr`.
    fn respond(&mut self, memory: &[u8], ptr: i32, len: i32) {
        self.response = memory[ptr as usize..(ptr + len) as usize].to_vec();
    }

    /// `floor.host_call`: the host function, answering its argument copied.
    fn host_call(&mut self, memory: &[u8], ptr: i32, len: i32) -> i32 {
        self.host_response = memory[ptr as usize..(ptr + len) as usize].to_vec();
        self.host_response.len() as i32
    }

    /// `floor.host_response`: copies the host function's answer to `ptr`.
    fn host_response(&self, memory: &mut [u8], ptr: i32) {
        let start = ptr as usize;
        memory[start..start + self.host_response.len()].copy_from_slice(&self.host_response);
    }

    /// The request's length, as `__guest_call` takes it.
    fn request_len(&self) -> i32 {
        i32::try_from(self.request.len()).unwrap_or(i32::MAX)
    }
}
