//! The soak: a long run of calls of every kind on one host (or pool), with the process's resident memory sampled,
//! for what a long-running host must not do: grow.
//!
//! [`run`] makes `calls` calls of the [`guest`] through a host's (or a pool's) `call`: 1 KiB echoes, and at fixed
//! intervals a guest error, WASI output, a host call, and an aborted call of every kind (a trap, the execution
//! budget, the memory limit, a panicking host callback), with `replace_module` of the same bytes every
//! `replace_every` calls. Every `sample_every` calls it reports the call count with the process's `VmHWM` and
//! `VmRSS`.
//!
//! The CI soak (`tests/soak.rs`) runs 200,000 calls per engine, and a pool, each in a child process; the long
//! one (`cargo bench -p wapc-benches --bench soak`) ten million, printing the curve.

use std::time::{Duration, Instant};

use wapc::errors::Error;
use wapc::{OutputCapture, ResourceLimits, WasiStdio};

use crate::guests::{PAYLOAD_AT, wat_guest};

/// How many calls of each kind a soak makes, and how often it replaces the module and samples memory.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Calls in all.
    pub calls: u64,
    /// `replace_module` (with the same bytes) after every this many calls.
    pub replace_every: u64,
    /// A memory sample after every this many calls.
    pub sample_every: u64,
}

/// One memory sample of a soak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    /// Calls made so far.
    pub calls: u64,
    /// The process's peak resident memory so far (`VmHWM`), in bytes.
    pub peak_bytes: u64,
    /// The process's resident memory now (`VmRSS`), in bytes.
    pub resident_bytes: u64,
}

/// The memory limit of soaked hosts: what `bloat` runs into.
pub const MEMORY_LIMIT: usize = 4 << 20;

/// Where the soak guest keeps the iovec of its WASI write.
const IOVEC_AT: i32 = 512;

/// The soak guest of wasmtime hosts: little code besides the operations (wasmtime frees a replaced module's code
/// with it, and compiling more would only slow the soak).
pub static WASMTIME_GUEST: std::sync::LazyLock<Vec<u8>> = std::sync::LazyLock::new(|| guest(300));

/// The soak guest of wasmi hosts: with about 60 KiB of code to compile, as much as a small real guest has, so
/// that an engine keeping the code of replaced modules shows within the soak (wasmi compiles fast).
pub static WASMI_GUEST: std::sync::LazyLock<Vec<u8>> = std::sync::LazyLock::new(|| guest(6_000));

/// The soak guest, with `code_steps` steps of code in a function it never calls. Its operations, told apart by the length of their name: `ok` answers the payload; `e` fails
/// with the payload as its error text; `bad` traps; `spin` loops until its budget ends it; `bloat` grows its
/// memory until the limit refuses it; `relay!` calls the host with its payload (and answers the host's answer);
/// `print!!` writes its payload to WASI stdout and answers it.
#[must_use]
pub fn guest(code_steps: usize) -> Vec<u8> {
    let operations = format!(
        r#"
        (if (i32.eq (local.get $op_len) (i32.const 1)) (then
          (call $guest_request (i32.const 0) (i32.const {PAYLOAD_AT}))
          (call $guest_error (i32.const {PAYLOAD_AT}) (local.get $msg_len))
          (return (i32.const 0))))
        (if (i32.eq (local.get $op_len) (i32.const 3)) (then unreachable))
        (if (i32.eq (local.get $op_len) (i32.const 4)) (then (loop $spin (br $spin))))
        (if (i32.eq (local.get $op_len) (i32.const 5)) (then
          (loop $grow (br_if $grow (i32.ne (memory.grow (i32.const 16)) (i32.const -1))))))
        (if (i32.eq (local.get $op_len) (i32.const 6)) (then
          (call $guest_request (i32.const 0) (i32.const {PAYLOAD_AT}))
          (drop (call $host_call (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
                                 (i32.const 0) (i32.const 5) (i32.const {PAYLOAD_AT}) (local.get $msg_len)))
          (call $host_response (i32.const {PAYLOAD_AT}))
          (call $guest_response (i32.const {PAYLOAD_AT}) (call $host_response_len))
          (return (i32.const 1))))
        (if (i32.eq (local.get $op_len) (i32.const 7)) (then
          (call $guest_request (i32.const 0) (i32.const {PAYLOAD_AT}))
          (i32.store (i32.const {IOVEC_AT}) (i32.const {PAYLOAD_AT}))
          (i32.store (i32.const {iovec_len_at}) (local.get $msg_len))
          (drop (call $fd_write (i32.const 1) (i32.const {IOVEC_AT}) (i32.const 1) (i32.const {written_at})))
          (call $guest_response (i32.const {PAYLOAD_AT}) (local.get $msg_len))
          (return (i32.const 1))))
        (i32.const 0)"#,
        iovec_len_at = IOVEC_AT + 4,
        written_at = IOVEC_AT + 8,
    );
    let fd_write =
        r#"(import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))"#;
    // Code of the size of a small real guest's, which the engine compiles, so that keeping the code of replaced
    // modules shows: a function the guest exports and never calls.
    let steps: String = (0..code_steps)
        .map(|i| format!("(local.set $x (i32.xor (i32.add (local.get $x) (i32.const {i})) (i32.const 7)))"))
        .collect();
    let code = format!(r#"(func (export "unused") (param $x i32) (result i32) {steps} (local.get $x))"#);
    wat_guest(&operations, &format!("{fd_write} {code}"))
}

/// The wall-clock deadline of soaked wasmtime hosts: what ends `spin` there.
pub const DEADLINE: Duration = Duration::from_millis(5);

/// The fuel of soaked wasmi hosts' calls: what ends `spin` there (a fraction of a second, even unoptimised).
pub const FUEL: u64 = 1_000_000;

/// A wasmtime provider of [`WASMTIME_GUEST`], with [`DEADLINE`], [`MEMORY_LIMIT`] and captured stdout.
///
/// # Panics
/// When the module does not load.
#[must_use]
pub fn wasmtime_provider() -> wasmtime_provider::WasmtimeEngineProvider {
    let (stdio, limits) = (stdio(), limits());
    let builder = wasmtime_provider::WasmtimeEngineProviderBuilder::new().module_bytes(&WASMTIME_GUEST);
    builder
        .deadline(DEADLINE)
        .enable_resource_limits(limits)
        .wasi_stdio(stdio)
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
}

/// A wasmi provider of [`WASMI_GUEST`], with [`FUEL`], [`MEMORY_LIMIT`] and captured stdout.
///
/// # Panics
/// When the module does not load.
#[must_use]
pub fn wasmi_provider() -> wasmi_provider::WasmiEngineProvider {
    let (stdio, limits) = (stdio(), limits());
    let fuel = wasmi_provider::FuelLimits { wapc_init: FUEL, wapc_func: FUEL };
    let builder = wasmi_provider::WasmiEngineProviderBuilder::new().module_bytes(&WASMI_GUEST);
    builder
        .enable_fuel_limits(fuel)
        .enable_resource_limits(limits)
        .wasi_stdio(stdio)
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
}

/// What the soak's callback panics with.
pub const CALLBACK_PANIC: &str = "the soak's callback panics on request";

/// Keeps the panics of the soak's callback (part of the soak, caught by the host) out of stderr; the process's
/// other panics are reported as before.
pub fn quiet_callback_panics() {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |panic| {
        let payload = panic.payload();
        let text =
            payload.downcast_ref::<&str>().copied().or_else(|| payload.downcast_ref::<String>().map(String::as_str));
        if text != Some(CALLBACK_PANIC) {
            report(panic);
        }
    }));
}

/// The host callback of soaked hosts: answers its payload, and panics with [`CALLBACK_PANIC`] when the payload
/// is `panic`.
///
/// # Errors
/// Never: it answers or panics.
pub fn callback(
    _id: u64,
    _binding: &str,
    _namespace: &str,
    _operation: &str,
    payload: &[u8],
) -> Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>> {
    assert!(payload != b"panic", "{CALLBACK_PANIC}");
    Ok(payload.to_vec())
}

fn limits() -> ResourceLimits {
    ResourceLimits { max_memory_size: Some(MEMORY_LIMIT), ..ResourceLimits::DEFAULT }
}

/// A stdout that keeps what the guest writes up to a capacity, and drops the rest.
fn stdio() -> WasiStdio {
    WasiStdio::Captured { stdout: OutputCapture::new(64 << 10), stderr: OutputCapture::new(1024) }
}

/// How a soak calls its host (or pool): `call(operation, payload)`.
pub type CallFn<'a> = dyn Fn(&str, &[u8]) -> Result<Vec<u8>, Error> + 'a;

/// How a soak replaces the module of its host (or pool): `replace_module(module)`.
pub type ReplaceFn<'a> = dyn Fn(&[u8]) -> Result<(), Error> + 'a;

/// Runs the soak through `call` and `replace_module` (a host's, or a pool's, of the soak guest `module`) as `plan`
/// says, replacing the module with `module` again and again, calling `on_sample` after every `plan.sample_every`
/// calls, and checks every answer.
///
/// # Panics
/// When a call's outcome is not what its kind must give.
pub fn run(
    module: &[u8],
    call: &CallFn<'_>,
    replace_module: &ReplaceFn<'_>,
    plan: Plan,
    mut on_sample: impl FnMut(Sample),
) {
    let echo = vec![0x5a; 1024];
    for number in 1..=plan.calls {
        let kind = Kind::of(number);
        let outcome = match kind {
            Kind::Echo => call("ok", &echo).map(|answer| assert!(answer == echo, "call {number}: a wrong echo")),
            Kind::GuestError => match call("e", b"on purpose") {
                Err(Error::GuestError(text)) if text == "on purpose" => Ok(()),
                other => Err(unexpected(number, kind, other)),
            },
            Kind::Print => call("print!!", b"soaked\n").map(|answer| assert_eq!(answer, b"soaked\n")),
            Kind::Relay => call("relay!", b"relayed").map(|answer| assert_eq!(answer, b"relayed")),
            Kind::Aborted(operation, expected) => match call(operation, b"panic") {
                Err(error) if expected(&error) => Ok(()),
                other => Err(unexpected(number, kind, other)),
            },
        };
        if let Err(error) = outcome {
            panic!("call {number} ({kind:?}) failed: {error}");
        }
        if number.is_multiple_of(plan.replace_every) {
            replace_module(module).unwrap_or_else(|e| panic!("replace_module after call {number}: {e}"));
        }
        if number.is_multiple_of(plan.sample_every) {
            on_sample(sample(number));
        }
    }
}

/// How often each kind of aborted call comes (a `spin` takes its whole budget).
const ABORTED_EVERY: u64 = 10_000;

/// The kind of call number `call`: mostly echoes; every 100 calls a guest error, WASI output and a host call;
/// every [`ABORTED_EVERY`] an aborted call of each kind.
#[derive(Clone, Copy)]
enum Kind {
    Echo,
    GuestError,
    Print,
    Relay,
    /// An operation that aborts the call, and whether the error is the one it must give.
    Aborted(&'static str, fn(&Error) -> bool),
}

impl Kind {
    fn of(call: u64) -> Self {
        match call % ABORTED_EVERY {
            0 => Kind::Aborted("bad", |e| matches!(e, Error::Trap(_))),
            2_500 => Kind::Aborted("spin", |e| matches!(e, Error::DeadlineExceeded(_))),
            5_000 => Kind::Aborted("bloat", |e| matches!(e, Error::ResourceLimit(_))),
            7_500 => Kind::Aborted("relay!", |e| matches!(e, Error::HostCallback(_))),
            n if n % 100 == 1 => Kind::GuestError,
            n if n % 100 == 2 => Kind::Print,
            n if n % 100 == 3 => Kind::Relay,
            _ => Kind::Echo,
        }
    }
}

impl std::fmt::Debug for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Kind::Echo => f.write_str("echo"),
            Kind::GuestError => f.write_str("guest error"),
            Kind::Print => f.write_str("WASI output"),
            Kind::Relay => f.write_str("host call"),
            Kind::Aborted(operation, _) => write!(f, "aborted `{operation}`"),
        }
    }
}

fn unexpected(call: u64, kind: Kind, outcome: Result<Vec<u8>, Error>) -> Error {
    Error::provider(format!("call {call} ({kind:?}) ended unexpectedly: {outcome:?}"))
}

/// The process's memory now.
///
/// # Panics
/// When `/proc/self/status` cannot be read.
#[must_use]
pub fn sample(calls: u64) -> Sample {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_else(|e| panic!("/proc/self/status: {e}"));
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|value| value.trim().strip_suffix("kB"))
            .and_then(|kib| kib.trim().parse::<u64>().ok())
            .map_or(0, |kib| kib * 1024)
    };
    Sample { calls, peak_bytes: field("VmHWM:"), resident_bytes: field("VmRSS:") }
}

/// Runs `plan` through `call` and `replace_module` and prints each sample as a line `calls peak resident elapsed`
/// (MiB, seconds).
pub fn print_curve(name: &str, module: &[u8], call: &CallFn<'_>, replace_module: &ReplaceFn<'_>, plan: Plan) {
    let started = Instant::now();
    let mib = |bytes: u64| bytes as f64 / f64::from(1 << 20);
    println!(
        "{name}: calls, peak MiB (VmHWM), resident MiB (VmRSS), seconds; replace_module every {} calls",
        plan.replace_every
    );
    run(module, call, replace_module, plan, |sample| {
        let elapsed: Duration = started.elapsed();
        println!(
            "{name} {:>9} {:>7.1} {:>7.1} {:>7.1}",
            sample.calls,
            mib(sample.peak_bytes),
            mib(sample.resident_bytes),
            elapsed.as_secs_f64()
        );
    });
}
