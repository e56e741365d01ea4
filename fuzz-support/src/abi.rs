//! The ABI target: a real guest calls the `wapc` imports with whatever pointers, lengths and return codes the
//! input says, on wasmtime and on wasmi.
//!
//! The input is the payload of one call of a guest whose `__guest_call` fetches it and runs it as a script:
//! each command is an opcode byte (taken modulo 11) and the little-endian `i32` arguments of the import it
//! names.
//!
//! | opcode | command |
//! |---|---|
//! | 0 | `__guest_request(op_ptr, ptr)` |
//! | 1 | `__guest_response(ptr, len)` |
//! | 2 | `__guest_error(ptr, len)` |
//! | 3 | `__host_call(bd_ptr, bd_len, ns_ptr, ns_len, op_ptr, op_len, ptr, len)` |
//! | 4 | `__host_response_len()` |
//! | 5 | `__host_response(ptr)` |
//! | 6 | `__host_error_len()` |
//! | 7 | `__host_error(ptr)` |
//! | 8 | `__console_log(ptr, len)` |
//! | 9 | `env.abort(msg_ptr, file_ptr, line, col)` |
//! | 10 | return the argument from `__guest_call` |
//!
//! The script ends by returning 1. The guest has one page of memory, the operation name at 0 and the script
//! from [`SCRIPT_AT`] on (which the script may overwrite); arguments past the script are read from memory.
//!
//! A finding is any of: a panic, of the host or inside it (which the host reports as
//! [`Error::Provider`], the only way this guest can cause one); the two engines
//! ending the call differently (the ABI lives once in `wapc`, so they must not); or the host failing the next,
//! well-formed call.

use std::sync::LazyLock;

use wapc::errors::Error;
use wapc::{WapcHost, WapcHostBuilder, WebAssemblyEngineProvider};
use wasmi_provider::{WasmiEngineProviderBuilder, WasmiEngineProviderPre};
use wasmtime_provider::{WasmtimeEngineProviderBuilder, WasmtimeEngineProviderPre};

/// Where the guest keeps its script.
pub const SCRIPT_AT: i32 = 64;

/// The longest script an input is cut to; a payload must fit the guest's page from [`SCRIPT_AT`] on.
pub const MAX_SCRIPT: usize = 4096;

/// The guest: the script interpreter described in the [module documentation](self).
fn guest() -> Vec<u8> {
    let source = format!(
        r#"(module
          (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
          (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
          (import "wapc" "__guest_error" (func $guest_error (param i32 i32)))
          (import "wapc" "__host_call" (func $host_call (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
          (import "wapc" "__host_response_len" (func $host_response_len (result i32)))
          (import "wapc" "__host_response" (func $host_response (param i32)))
          (import "wapc" "__host_error_len" (func $host_error_len (result i32)))
          (import "wapc" "__host_error" (func $host_error (param i32)))
          (import "wapc" "__console_log" (func $console_log (param i32 i32)))
          (import "env" "abort" (func $abort (param i32 i32 i32 i32)))
          (memory (export "memory") 1)
          (global $at (mut i32) (i32.const 0))
          (func $arg (result i32)
            (global.set $at (i32.add (global.get $at) (i32.const 4)))
            (i32.load (i32.sub (global.get $at) (i32.const 4))))
          (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
            (local $end i32)
            (call $guest_request (i32.const 0) (i32.const {SCRIPT_AT}))
            (global.set $at (i32.const {SCRIPT_AT}))
            (local.set $end (i32.add (i32.const {SCRIPT_AT}) (local.get $msg_len)))
            (block $ended
              (loop $next
                (br_if $ended (i32.ge_u (global.get $at) (local.get $end)))
                (global.set $at (i32.add (global.get $at) (i32.const 1)))
                (block $return
                  (block $abort
                    (block $console_log
                      (block $host_error
                        (block $host_error_len
                          (block $host_response
                            (block $host_response_len
                              (block $host_call
                                (block $guest_error
                                  (block $guest_response
                                    (block $guest_request
                                      (br_table $guest_request $guest_response $guest_error $host_call
                                                $host_response_len $host_response $host_error_len $host_error
                                                $console_log $abort $return
                                        (i32.rem_u (i32.load8_u (i32.sub (global.get $at) (i32.const 1)))
                                                   (i32.const 11))))
                                    (call $guest_request (call $arg) (call $arg))
                                    (br $next))
                                  (call $guest_response (call $arg) (call $arg))
                                  (br $next))
                                (call $guest_error (call $arg) (call $arg))
                                (br $next))
                              (drop (call $host_call (call $arg) (call $arg) (call $arg) (call $arg)
                                                     (call $arg) (call $arg) (call $arg) (call $arg)))
                              (br $next))
                            (drop (call $host_response_len))
                            (br $next))
                          (call $host_response (call $arg))
                          (br $next))
                        (drop (call $host_error_len))
                        (br $next))
                      (call $host_error (call $arg))
                      (br $next))
                    (call $console_log (call $arg) (call $arg))
                    (br $next))
                  (call $abort (call $arg) (call $arg) (call $arg) (call $arg))
                  (br $next))
                (return (call $arg))))
            (i32.const 1)))"#
    );
    wat::parse_str(source).unwrap_or_else(|e| panic!("the ABI fuzz guest does not assemble: {e}"))
}

/// The guest, compiled once per process for each engine.
struct Compiled {
    wasmtime: WasmtimeEngineProviderPre,
    wasmi: WasmiEngineProviderPre,
}

static COMPILED: LazyLock<Compiled> = LazyLock::new(|| {
    let module = guest();
    Compiled {
        wasmtime: WasmtimeEngineProviderBuilder::new()
            .module_bytes(&module)
            .build_pre()
            .unwrap_or_else(|e| panic!("wasmtime cannot compile the ABI fuzz guest: {e}")),
        wasmi: WasmiEngineProviderBuilder::new()
            .module_bytes(&module)
            .build_pre()
            .unwrap_or_else(|e| panic!("wasmi cannot compile the ABI fuzz guest: {e}")),
    }
});

/// A host of a fresh instance, whose callback answers the payload reversed, or fails when the payload starts
/// with `f`, and whose console log goes nowhere.
fn host(provider: Box<dyn WebAssemblyEngineProvider>) -> WapcHost {
    WapcHostBuilder::new()
        .host_callback(|_, _, _, _, payload| {
            if payload.starts_with(b"f") { Err("refused".into()) } else { Ok(payload.iter().rev().copied().collect()) }
        })
        .console_log(|_, _| {})
        .build(provider)
        .unwrap_or_else(|e| panic!("cannot make a host of the ABI fuzz guest: {e}"))
}

/// What a call's outcome must be the same in on both engines: everything but the engines' own trap messages.
fn comparable(outcome: &Result<Vec<u8>, Error>) -> String {
    match outcome {
        Err(Error::Trap(trap)) => format!("Trap({:?})", trap.kind),
        other => format!("{other:?}"),
    }
}

/// A well-formed call: respond with the script itself, and return 1.
const WELL_FORMED: [u8; 9] = [1, 64, 0, 0, 0, 9, 0, 0, 0];

/// Runs `data` as a script on both engines (see the [module documentation](self)); panics on a finding.
pub fn run(data: &[u8]) {
    let script = data.get(..MAX_SCRIPT).unwrap_or(data);
    let compiled = &*COMPILED;
    let wasmtime = host(Box::new(compiled.wasmtime.rehydrate(None).unwrap_or_else(|e| panic!("wasmtime: {e}"))));
    let wasmi = host(Box::new(compiled.wasmi.rehydrate().unwrap_or_else(|e| panic!("wasmi: {e}"))));
    let on_wasmtime = wasmtime.call("run", script);
    let on_wasmi = wasmi.call("run", script);
    assert!(!matches!(on_wasmtime, Err(Error::Provider(_))), "wasmtime failed inside on {script:?}: {on_wasmtime:?}");
    assert_eq!(comparable(&on_wasmtime), comparable(&on_wasmi), "the engines disagree on {script:?}");
    for (engine, host) in [("wasmtime", &wasmtime), ("wasmi", &wasmi)] {
        match host.call("run", &WELL_FORMED) {
            Ok(response) => assert_eq!(response, WELL_FORMED, "{engine} answered the well-formed call wrongly"),
            Err(e) => panic!("{engine} failed the well-formed call after {script:?}: {e}"),
        }
    }
}
