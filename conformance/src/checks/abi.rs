//! WAT guests for every corner of the waPC ABI.

use crate::Host;
use wapc::errors::{AbiProblem, Error, NO_GUEST_ERROR_TEXT};

use super::{Check, assert_recovers, failure, host};
use crate::guests::{NOT_UTF8_AT, wat_guest, wat_module, wat_to_wasm};
use crate::{Engine, Options};

/// The checks of this module.
pub const CHECKS: &[(&str, Check)] = &[
    ("abi::out_of_bounds_on_every_import", out_of_bounds_on_every_import),
    ("abi::overflowing_lengths_on_every_import", overflowing_lengths_on_every_import),
    ("abi::invalid_utf8_in_every_text", invalid_utf8_in_every_text),
    ("abi::success_without_response", success_without_response),
    ("abi::failure_without_error_text", failure_without_error_text),
    ("abi::error_with_success_code", error_with_success_code),
    ("abi::six_argument_host_call", six_argument_host_call),
    ("abi::missing_guest_call", missing_guest_call),
    ("abi::missing_memory", missing_memory),
];

/// The size of a WAT guest's memory.
const MEMORY_SIZE: usize = 65536;

/// Extra data for misbehaviours that need a host call to succeed or fail first.
const FAIL_BINDING: &str = r#"(data (i32.const 4000) "fail")"#;

/// A failing call of operation `bad` with payload `xyz` on a guest that runs `misbehaviour` must be the
/// violation `(import, problem)`, and the next call must succeed.
fn assert_violation(engine: &dyn Engine, misbehaviour: &str, import: &str, problem: &AbiProblem) {
    let (host, _) = host(engine, &wat_guest(misbehaviour, FAIL_BINDING), &Options::default());
    match failure(host.call("bad", b"xyz")) {
        Error::AbiViolation { import: actual_import, problem: actual } => {
            assert_eq!((actual_import, &actual), (import, problem), "for {misbehaviour}");
        }
        other => panic!("expected an ABI violation in {import}, got {other:?} for {misbehaviour}"),
    }
    assert_recovers(&host);
}

fn out_of_bounds(what: &'static str, ptr: u32, len: u32) -> AbiProblem {
    AbiProblem::OutOfBounds { what, ptr, len, memory_size: MEMORY_SIZE }
}

/// `__host_call` with every region empty but `region`, which is set to `value`.
fn host_call_with(region: usize, value: &str) -> String {
    let mut regions = ["(i32.const 0) (i32.const 0)"; 4];
    if let Some(slot) = regions.get_mut(region) {
        *slot = value;
    }
    format!("(drop (call $host_call {})) (i32.const 1)", regions.join(" "))
}

fn out_of_bounds_on_every_import(engine: &dyn Engine) {
    let far = "(i32.const 65530) (i32.const 100)";
    let cases = [
        ("(call $guest_request (i32.const 65534) (i32.const 1024)) (i32.const 1)".to_owned(), "__guest_request",
            out_of_bounds("operation", 65534, 3)),
        ("(call $guest_request (i32.const 0) (i32.const 65535)) (i32.const 1)".to_owned(), "__guest_request",
            out_of_bounds("payload", 65535, 3)),
        (format!("(call $guest_response {far}) (i32.const 1)"), "__guest_response", out_of_bounds("response", 65530, 100)),
        (format!("(call $guest_error {far}) (i32.const 0)"), "__guest_error", out_of_bounds("error", 65530, 100)),
        (host_call_with(0, far), "__host_call", out_of_bounds("binding", 65530, 100)),
        (host_call_with(1, far), "__host_call", out_of_bounds("namespace", 65530, 100)),
        (host_call_with(2, far), "__host_call", out_of_bounds("operation", 65530, 100)),
        (host_call_with(3, far), "__host_call", out_of_bounds("payload", 65530, 100)),
        (
            "(drop (call $host_call (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) \
             (i32.const 2048) (i32.const 2))) (call $host_response (i32.const 65535)) (i32.const 1)"
                .to_owned(),
            "__host_response",
            out_of_bounds("host response", 65535, 2),
        ),
        (
            "(drop (call $host_call (i32.const 4000) (i32.const 4) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) \
             (i32.const 0) (i32.const 0))) (call $host_error (i32.const 65535)) (i32.const 1)"
                .to_owned(),
            "__host_error",
            out_of_bounds("host error", 65535, 8),
        ),
        (format!("(call $console_log {far}) (i32.const 1)"), "__console_log", out_of_bounds("message", 65530, 100)),
    ];
    for (misbehaviour, import, problem) in &cases {
        assert_violation(engine, misbehaviour, import, problem);
    }
}

fn overflowing_lengths_on_every_import(engine: &dyn Engine) {
    let wraps = "(i32.const 16) (i32.const -1)";
    let cases = [
        ("(call $guest_request (i32.const -1) (i32.const 1024)) (i32.const 1)".to_owned(), "__guest_request",
            out_of_bounds("operation", u32::MAX, 3)),
        ("(call $guest_request (i32.const 0) (i32.const -2)) (i32.const 1)".to_owned(), "__guest_request",
            out_of_bounds("payload", u32::MAX - 1, 3)),
        (format!("(call $guest_response {wraps}) (i32.const 1)"), "__guest_response", out_of_bounds("response", 16, u32::MAX)),
        ("(call $guest_error (i32.const -16) (i32.const 32)) (i32.const 0)".to_owned(), "__guest_error",
            out_of_bounds("error", u32::MAX - 15, 32)),
        (host_call_with(0, wraps), "__host_call", out_of_bounds("binding", 16, u32::MAX)),
        (host_call_with(1, wraps), "__host_call", out_of_bounds("namespace", 16, u32::MAX)),
        (host_call_with(2, wraps), "__host_call", out_of_bounds("operation", 16, u32::MAX)),
        (host_call_with(3, wraps), "__host_call", out_of_bounds("payload", 16, u32::MAX)),
        (
            "(drop (call $host_call (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) \
             (i32.const 2048) (i32.const 2))) (call $host_response (i32.const -1)) (i32.const 1)"
                .to_owned(),
            "__host_response",
            out_of_bounds("host response", u32::MAX, 2),
        ),
        (format!("(call $console_log {wraps}) (i32.const 1)"), "__console_log", out_of_bounds("message", 16, u32::MAX)),
    ];
    for (misbehaviour, import, problem) in &cases {
        assert_violation(engine, misbehaviour, import, problem);
    }
}

fn invalid_utf8_in_every_text(engine: &dyn Engine) {
    let not_utf8 = format!("(i32.const {NOT_UTF8_AT}) (i32.const 2)");
    let cases = [
        (host_call_with(0, &not_utf8), "__host_call", "binding"),
        (host_call_with(1, &not_utf8), "__host_call", "namespace"),
        (host_call_with(2, &not_utf8), "__host_call", "operation"),
        (format!("(call $guest_error {not_utf8}) (i32.const 0)"), "__guest_error", "error"),
        (format!("(call $console_log {not_utf8}) (i32.const 1)"), "__console_log", "message"),
    ];
    for (misbehaviour, import, what) in &cases {
        assert_violation(engine, misbehaviour, import, &AbiProblem::InvalidUtf8 { what });
    }
}

fn success_without_response(engine: &dyn Engine) {
    assert_violation(engine, "(i32.const 1)", "__guest_call", &AbiProblem::SuccessWithoutResponse);
}

fn failure_without_error_text(engine: &dyn Engine) {
    let (host, _) = host(engine, &wat_guest("(i32.const 0)", ""), &Options::default());
    assert!(matches!(failure(host.call("bad", b"")), Error::GuestError(text) if text == NO_GUEST_ERROR_TEXT));
    assert_recovers(&host);
}

fn error_with_success_code(engine: &dyn Engine) {
    let guest = wat_guest(r#"(call $guest_error (i32.const 4000) (i32.const 4)) (i32.const 1)"#, FAIL_BINDING);
    let (host, _) = host(engine, &guest, &Options::default());
    assert!(matches!(failure(host.call("bad", b"")), Error::GuestError(text) if text == "fail"));
    assert_recovers(&host);
}

fn six_argument_host_call(engine: &dyn Engine) {
    let guest = wat_to_wasm(
        r#"(module
          (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
          (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
          (import "wapc" "__host_call" (func $host_call (param i32 i32 i32 i32 i32 i32) (result i32)))
          (import "wapc" "__host_response_len" (func $host_response_len (result i32)))
          (import "wapc" "__host_response" (func $host_response (param i32)))
          (memory (export "memory") 1)
          (data (i32.const 100) "legacyop")
          (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
            (call $guest_request (i32.const 0) (i32.const 1024))
            (drop (call $host_call (i32.const 100) (i32.const 6) (i32.const 106) (i32.const 2)
                                   (i32.const 1024) (local.get $msg_len)))
            (call $host_response (i32.const 2048))
            (call $guest_response (i32.const 2048) (call $host_response_len))
            (i32.const 1)))"#,
    );
    let (host, seen) = host(engine, &guest, &Options::default());
    assert_eq!(host.call("call", b"abc").unwrap(), b"cba");
    assert_eq!(*seen.lock(), vec![(String::new(), "legacy".into(), "op".into(), b"abc".to_vec())]);
}

fn missing_guest_call(engine: &dyn Engine) {
    let provider = engine.provider(&wat_module(""), &Options::default()).unwrap();
    let error = Host::new(provider, None).unwrap_err();
    assert!(matches!(&error, Error::MissingExport(name) if name == "__guest_call"), "{error:?}");
}

fn missing_memory(engine: &dyn Engine) {
    let module = wat_to_wasm(r#"(module (func (export "__guest_call") (param i32 i32) (result i32) (i32.const 1)))"#);
    let provider = engine.provider(&module, &Options::default()).unwrap();
    let error = Host::new(provider, None).unwrap_err();
    assert!(matches!(&error, Error::MissingExport(name) if name == "memory"), "{error:?}");
}
