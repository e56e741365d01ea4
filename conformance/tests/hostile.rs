//! Hostile guests against the limits of both engines, each in a child process so that its memory is its own.
//!
//! The parent starts the child ([`wapc_conformance::child`]), which makes its host and reports ready; the
//! parent reads the child's peak resident memory and lets the attack begin. The child runs it, checks that it
//! was refused with the exact error and that the next legitimate call on the same host succeeds, and reports
//! done. The parent then checks that the child has not exited and that its peak resident memory grew by less
//! than [`MAX_GROWTH`], and closes the child's stdin to let it end.

use std::io::{BufRead, BufReader, Read, Write};

use wapc::errors::{Error, Resource, ResourceLimit};
use wapc::{DEFAULT_MAX_TABLE_ELEMENTS, ResourceLimits};
use wapc_conformance::engines::{WASMI, WASMI_ASYNC, WASMTIME, WASMTIME_ASYNC};
use wapc_conformance::guests::{PAYLOAD_AT, wat_guest};
use wapc_conformance::{Engine, Host, Options, child};

/// How much a hostile guest may grow its process's peak resident memory.
const MAX_GROWTH: u64 = 64 * 1024 * 1024;

/// The role of a child running an attack, and the lines it reports on stdout.
const ROLE: &str = "hostile-guest";
const READY: &str = "hostile-guest: ready";
const DONE: &str = "hostile-guest: done";

const PAGE: usize = 65536;

/// The memory limit of the memory attacks: far below [`MAX_GROWTH`], which a limit per memory would pass.
const MEMORY_LIMIT: usize = 32 * 1024 * 1024;

/// What a hostile guest does, and how it must be refused.
struct Attack {
    /// The module of the host's first instance.
    module: fn() -> Vec<u8>,
    /// How the engine is configured.
    options: fn() -> Options,
    /// The attack itself, on the host.
    run: fn(&Host) -> Result<Vec<u8>, Error>,
    /// The error it must end with, given the engine's execution limit.
    refused: fn(&dyn Engine) -> Error,
}

/// Runs `attack` in a child of test `test`, or, in that child, the attack.
fn hostile(test: &str, engine: &dyn Engine, attack: &Attack) {
    if child::role().as_deref() == Some(ROLE) {
        return run_attack(engine, attack);
    }
    let mut running = child::spawn(test, ROLE).unwrap();
    let mut stdin = running.stdin.take().unwrap();
    let mut stdout = BufReader::new(running.stdout.take().unwrap());
    wait_for(&mut stdout, READY);
    let before = child::peak_resident_bytes(running.id()).unwrap();
    writeln!(stdin, "go").unwrap();
    wait_for(&mut stdout, DONE);
    assert!(running.try_wait().unwrap().is_none(), "the child of {test} exited");
    let grown = child::peak_resident_bytes(running.id()).unwrap().saturating_sub(before);
    eprintln!("{test}: peak resident memory grew by {} KiB", grown / 1024);
    assert!(grown < MAX_GROWTH, "{test} grew its process's peak resident memory by {grown} bytes");
    drop(stdin);
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    let status = running.wait().unwrap();
    assert!(status.success(), "the child of {test} failed ({status}):\n{rest}");
}

/// Reads the child's stdout up to the line ending with `expected` (the test harness may have begun the line).
fn wait_for(stdout: &mut impl BufRead, expected: &str) {
    let mut line = String::new();
    loop {
        line.clear();
        assert_ne!(stdout.read_line(&mut line).unwrap(), 0, "the child ended before saying {expected:?}");
        if line.trim_end().ends_with(expected) {
            return;
        }
    }
}

/// The child's part: make the host, report ready, wait for the go, attack, check, report done, and wait for
/// stdin to end.
fn run_attack(engine: &dyn Engine, attack: &Attack) {
    let provider = engine.provider(&(attack.module)(), &(attack.options)()).unwrap();
    let host = Host::new(provider, None).unwrap();
    println!("{READY}");
    std::io::stdin().read_line(&mut String::new()).unwrap();
    let error = (attack.run)(&host).unwrap_err();
    assert_eq!(format!("{error:?}"), format!("{:?}", (attack.refused)(engine)));
    assert_eq!(host.call("ok", b"still alive").unwrap(), b"still alive");
    println!("{DONE}");
    std::io::stdin().read_to_end(&mut Vec::new()).unwrap();
}

fn limited_memory() -> Options {
    Options {
        limits: Some(ResourceLimits { max_memory_size: Some(MEMORY_LIMIT), ..ResourceLimits::DEFAULT }),
        ..Options::default()
    }
}

fn limited_time() -> Options {
    Options { limited: true, ..Options::default() }
}

fn call_bad(host: &Host) -> Result<Vec<u8>, Error> {
    host.call("bad", b"")
}

fn deadline(engine: &dyn Engine) -> Error {
    Error::DeadlineExceeded(engine.limit())
}

/// A function `$grow<memory>` that grows memory `memory` by `mib` MiB and writes to every page of the growth;
/// it answers 0 when the growth is refused.
fn grow_and_touch(memory: &str, mib: u32) -> String {
    format!(
        "(func $grow{memory} (result i32) (local $at i32) (local $end i32)
           (local.set $at (memory.grow {memory} (i32.const {pages})))
           (if (i32.eq (local.get $at) (i32.const -1)) (then (return (i32.const 0))))
           (local.set $at (i32.mul (local.get $at) (i32.const {PAGE})))
           (local.set $end (i32.add (local.get $at) (i32.const {bytes})))
           (loop $touch
             (i32.store8 {memory} (local.get $at) (i32.const 1))
             (local.set $at (i32.add (local.get $at) (i32.const 4096)))
             (br_if $touch (i32.lt_u (local.get $at) (local.get $end))))
           (i32.const 1))",
        pages = mib * 16,
        bytes = mib << 20,
    )
}

/// Three more memories beside the guest's own, grown in turn a MiB at a time and written to, until refused:
/// each stays below the limit until the three together hold about three times it.
const MEMORIES_GROWN_TOGETHER: Attack = Attack {
    module: || {
        let growers = ["$a", "$b", "$c"].map(|memory| grow_and_touch(memory, 1)).concat();
        wat_guest(
            "(loop $more (br_if $more (i32.and (call $grow$a) (i32.and (call $grow$b) (call $grow$c)))))
             (i32.const 0)",
            &format!("(memory $a 0) (memory $b 0) (memory $c 0) {growers}"),
        )
    },
    options: limited_memory,
    run: call_bad,
    // The guest's page and 32 growths of a MiB pass the limit of 32 MiB.
    refused: |_| {
        Error::ResourceLimit(ResourceLimit { resource: Resource::Memory, requested: 513 * PAGE, limit: MEMORY_LIMIT })
    },
};

/// A module of a hundred memories (as many as validators allow: the guest's own and 99 more), whose start
/// function grows each by 8 MiB, writing to every page, swapped in with `replace_module`: within any limit per
/// memory, 800 MiB together.
const HUNDRED_MEMORIES: Attack = Attack {
    module: || wat_guest("(i32.const 0)", ""),
    options: Options::default,
    run: |host| {
        let memories: String = (0..99).map(|i| format!("(memory $m{i} 1)")).collect();
        let growers: String = (0..99).map(|i| grow_and_touch(&format!("$m{i}"), 8)).collect();
        let grow_all: String = (0..99).map(|i| format!("(drop (call $grow$m{i}))")).collect();
        let module =
            wat_guest("(i32.const 0)", &format!("{memories} {growers} (func $start {grow_all}) (start $start)"));
        host.replace_module(&module).map(|()| Vec::new())
    },
    refused: |_| {
        Error::ResourceLimit(ResourceLimit {
            resource: Resource::Memories,
            requested: ResourceLimits::MAX_MEMORIES + 1,
            limit: ResourceLimits::MAX_MEMORIES,
        })
    },
};

/// `table.grow` by 2^30 elements at once, under the default limits.
const TABLE_GROWN_BY_A_BILLION: Attack = Attack {
    module: || {
        wat_guest("(drop (table.grow $t (ref.null func) (i32.const 0x40000000))) (i32.const 0)", "(table $t 0 funcref)")
    },
    options: Options::default,
    run: call_bad,
    refused: |_| {
        Error::ResourceLimit(ResourceLimit {
            resource: Resource::Table,
            requested: 1 << 30,
            limit: DEFAULT_MAX_TABLE_ELEMENTS,
        })
    },
};

/// Two tables grown in turn by 65,536 elements until refused, under the default limits.
const TABLES_GROWN_TOGETHER: Attack = Attack {
    module: || {
        wat_guest(
            "(loop $more
               (drop (table.grow $a (ref.null func) (i32.const 65536)))
               (br_if $more (i32.ne (table.grow $b (ref.null func) (i32.const 65536)) (i32.const -1))))
             (i32.const 0)",
            "(table $a 0 funcref) (table $b 0 funcref)",
        )
    },
    options: Options::default,
    run: call_bad,
    refused: |_| {
        Error::ResourceLimit(ResourceLimit {
            resource: Resource::Table,
            requested: 16 * 65536,
            limit: DEFAULT_MAX_TABLE_ELEMENTS,
        })
    },
};

/// A WASI sleep of an hour, under the engine's call limit.
const SLEEP_FOR_AN_HOUR: Attack = Attack {
    module: || {
        wat_guest(
            &format!(
                "(i32.store (i32.const {clock_id}) (i32.const 1))
                 (i64.store (i32.const {timeout}) (i64.const 3600000000000))
                 (drop (call $poll_oneoff (i32.const {PAYLOAD_AT}) (i32.const 4096) (i32.const 1) (i32.const 4200)))
                 (i32.const 0)",
                clock_id = PAYLOAD_AT + 16,
                timeout = PAYLOAD_AT + 24,
            ),
            r#"(import "wasi_snapshot_preview1" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))"#,
        )
    },
    options: limited_time,
    run: call_bad,
    refused: deadline,
};

/// A read of the inherited stdin, which the parent holds open and silent, under the engine's call limit.
const READ_SILENT_STDIN: Attack = Attack {
    module: || {
        wat_guest(
            &format!(
                "(i32.store (i32.const {PAYLOAD_AT}) (i32.const 4096))
                 (i32.store (i32.const {}) (i32.const 1024))
                 (drop (call $fd_read (i32.const 0) (i32.const {PAYLOAD_AT}) (i32.const 1) (i32.const 4000)))
                 (i32.const 0)",
                PAYLOAD_AT + 4
            ),
            r#"(import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))"#,
        )
    },
    options: limited_time,
    run: call_bad,
    refused: deadline,
};

/// One test per engine and attack, named `<engine>_<attack>`.
macro_rules! hostile_tests {
    ($($attack:ident => $wasmtime:ident, $wasmtime_async:ident, $wasmi:ident, $wasmi_async:ident;)*) => {$(
        #[test]
        fn $wasmtime() {
            hostile(stringify!($wasmtime), &*WASMTIME, &$attack);
        }

        #[test]
        fn $wasmtime_async() {
            hostile(stringify!($wasmtime_async), &*WASMTIME_ASYNC, &$attack);
        }

        #[test]
        fn $wasmi() {
            hostile(stringify!($wasmi), &*WASMI, &$attack);
        }

        #[test]
        fn $wasmi_async() {
            hostile(stringify!($wasmi_async), &*WASMI_ASYNC, &$attack);
        }
    )*};
}

hostile_tests! {
    MEMORIES_GROWN_TOGETHER => wasmtime_memories_grown_together, wasmtime_async_memories_grown_together, wasmi_memories_grown_together, wasmi_async_memories_grown_together;
    HUNDRED_MEMORIES => wasmtime_hundred_memories, wasmtime_async_hundred_memories, wasmi_hundred_memories, wasmi_async_hundred_memories;
    TABLE_GROWN_BY_A_BILLION => wasmtime_table_grown_by_a_billion, wasmtime_async_table_grown_by_a_billion, wasmi_table_grown_by_a_billion, wasmi_async_table_grown_by_a_billion;
    TABLES_GROWN_TOGETHER => wasmtime_tables_grown_together, wasmtime_async_tables_grown_together, wasmi_tables_grown_together, wasmi_async_tables_grown_together;
    SLEEP_FOR_AN_HOUR => wasmtime_sleep_for_an_hour, wasmtime_async_sleep_for_an_hour, wasmi_sleep_for_an_hour, wasmi_async_sleep_for_an_hour;
    READ_SILENT_STDIN => wasmtime_read_silent_stdin, wasmtime_async_read_silent_stdin, wasmi_read_silent_stdin, wasmi_async_read_silent_stdin;
}
