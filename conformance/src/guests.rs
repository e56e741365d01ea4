//! The guests the checks run: Rust guests built from source by the build script, and WAT guests for the ABI
//! corners no SDK would produce.

/// Which SDK a Rust guest was built with. Both builds come from the same source
/// (`conformance/guests/behaviours`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sdk {
    /// This project's `wapc-guest`.
    Ours,
    /// Upstream `wapc-guest` 1.2 from the registry.
    Upstream,
}

/// The conformance guest built with this project's `wapc-guest`.
pub static GUEST_OURS: &[u8] = include_bytes!(env!("GUEST_OURS_WASM"));
/// The conformance guest built with upstream `wapc-guest` 1.2.
pub static GUEST_UPSTREAM: &[u8] = include_bytes!(env!("GUEST_UPSTREAM_WASM"));
/// Where [`GUEST_UPSTREAM`] was built, for programs that read a module from a file.
pub const GUEST_UPSTREAM_PATH: &str = env!("GUEST_UPSTREAM_WASM");
/// Where upstream's `wasm-basic` guest was built from its source, with upstream `wapc-guest` 1.2: its `ping`
/// logs, calls the host (binding `binding`, namespace `sample:namespace`, operation `pong`) and answers its
/// payload.
pub const GUEST_BASIC_PATH: &str = env!("GUEST_BASIC_WASM");
/// Where upstream's `wasm-calc-hash/module1` guest was built from its source (as `module1_hash.wasm`), with
/// upstream `wapc-guest` 1.2 and `wapc-codec` 1.1: its `serdes_example` takes a MessagePack `{first_name}`,
/// calls the host with `{first_name, hash}` and answers it, the hash being `first_name`'s `DefaultHasher` hash.
pub const GUEST_HASH1_PATH: &str = env!("GUEST_HASH1_WASM");
/// Where upstream's `wasm-calc-hash/module2` guest was built (as `module2_hash.wasm`): as module 1's, with 42
/// for the hash.
pub const GUEST_HASH2_PATH: &str = env!("GUEST_HASH2_WASM");

impl Sdk {
    /// Both SDKs.
    pub const ALL: [Sdk; 2] = [Sdk::Ours, Sdk::Upstream];

    /// The module built with this SDK. It registers `echo`, `reverse`, `ping` (calls the host), `fail`, `log`,
    /// `empty` and `greet_person` (MessagePack); built with ours, also `echo_owned` (an owned-payload handler).
    #[must_use]
    pub fn module(self) -> &'static [u8] {
        match self {
            Sdk::Ours => GUEST_OURS,
            Sdk::Upstream => GUEST_UPSTREAM,
        }
    }
}

/// Where WAT guests keep the request: the operation at 0, the payload from here on.
pub const PAYLOAD_AT: i32 = 1024;
/// Where WAT guests keep the bytes `\xff\xfe`, which are not UTF-8.
pub const NOT_UTF8_AT: i32 = 2048;
/// Where WAT guests keep the AssemblyScript string "boom" (its byte length is in the 4 bytes before).
pub const AS_BOOM_AT: i32 = 3004;

/// A WAT guest whose operation `ok` echoes its payload and whose every other operation runs `misbehaviour`
/// (instructions leaving an `i32` for `__guest_call` to return, or trapping), with `items` added to the module
/// (more imports, functions, exports, data) right after the `wapc` imports.
///
/// It imports every `wapc` function as `$guest_request`, `$guest_response`, `$guest_error`, `$host_call`,
/// `$host_response_len`, `$host_response`, `$host_error_len`, `$host_error` and `$console_log`, and has one
/// page of memory, `$memory`, with [`NOT_UTF8_AT`] and [`AS_BOOM_AT`] filled in. It is memory 0 unless `items`
/// declare memories, which come before it. `$op_len` and `$msg_len` are the call's parameters.
#[must_use]
pub fn wat_guest(misbehaviour: &str, items: &str) -> Vec<u8> {
    wat_module_with(
        items,
        &format!(
            r#"
        (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
          (if (i32.eq (local.get $op_len) (i32.const 2))
            (then
              (call $guest_request (i32.const 0) (i32.const {PAYLOAD_AT}))
              (call $guest_response (i32.const {PAYLOAD_AT}) (local.get $msg_len))
              (return (i32.const 1))))
          {misbehaviour})
        "#
        ),
    )
}

/// A module with the `wapc` imports and memory of [`wat_guest`] around `body`, and no `__guest_call` unless
/// `body` defines one.
#[must_use]
pub fn wat_module(body: &str) -> Vec<u8> {
    wat_module_with("", body)
}

/// [`wat_module`] with `items` (which may hold more imports) placed right after the `wapc` imports.
fn wat_module_with(items: &str, body: &str) -> Vec<u8> {
    let source = format!(
        r#"(module
          (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
          (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
          (import "wapc" "__guest_error" (func $guest_error (param i32 i32)))
          (import "wapc" "__host_call"
            (func $host_call (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
          (import "wapc" "__host_response_len" (func $host_response_len (result i32)))
          (import "wapc" "__host_response" (func $host_response (param i32)))
          (import "wapc" "__host_error_len" (func $host_error_len (result i32)))
          (import "wapc" "__host_error" (func $host_error (param i32)))
          (import "wapc" "__console_log" (func $console_log (param i32 i32)))
          {items}
          (memory $memory (export "memory") 1)
          (data (memory $memory) (i32.const {NOT_UTF8_AT}) "\ff\fe")
          (data (memory $memory) (i32.const {boom_len_at}) "\08\00\00\00b\00o\00o\00m\00")
          {body})"#,
        boom_len_at = AS_BOOM_AT - 4,
    );
    wat_to_wasm(&source)
}

/// Compiles WAT text; the checks' WAT is part of the suite, so a syntax error is a bug in the suite.
#[must_use]
pub fn wat_to_wasm(source: &str) -> Vec<u8> {
    wat::parse_str(source).unwrap_or_else(|e| panic!("invalid WAT in the conformance suite: {e}\n{source}"))
}

/// A guest in the shape TinyGo gives WASI commands, on the `wasi_unstable` (preview 0) names old TinyGo
/// imports: `_start` writes "started\n" to stdout and ends with `proc_exit(0)`; every call writes "called\n"
/// and echoes its payload.
#[must_use]
pub fn tinygo_style_guest() -> Vec<u8> {
    wat_to_wasm(
        r#"(module
          (import "wasi_unstable" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
          (import "wasi_unstable" "proc_exit" (func $proc_exit (param i32)))
          (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
          (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
          (memory (export "memory") 1)
          (data (i32.const 100) "started\n")
          (data (i32.const 120) "called\n")
          (func $print (param $ptr i32) (param $len i32)
            (i32.store (i32.const 200) (local.get $ptr))
            (i32.store (i32.const 204) (local.get $len))
            (drop (call $fd_write (i32.const 1) (i32.const 200) (i32.const 1) (i32.const 208))))
          (func (export "_start")
            (call $print (i32.const 100) (i32.const 8))
            (call $proc_exit (i32.const 0)))
          (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
            (call $print (i32.const 120) (i32.const 7))
            (call $guest_request (i32.const 0) (i32.const 1024))
            (call $guest_response (i32.const 1024) (local.get $msg_len))
            (i32.const 1)))"#,
    )
}
