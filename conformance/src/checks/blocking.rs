//! WASI calls that wait on something outside the guest: `poll_oneoff` sleeping on clocks, and reads of an
//! inherited stdin that nobody writes to (`fd_read`, and `poll_oneoff` waiting for it), in preview 1 and
//! preview 0. Within the call's limit they complete; past it they end the call with the deadline error, as a
//! busy loop would, and the host serves the next call.

use crate::Host;
use wapc::errors::Error;

use super::{Check, assert_recovers, failure, host, with_stdin};
use crate::guests::{PAYLOAD_AT, wat_guest};
use crate::{Engine, Options};

/// The checks of this module.
pub const CHECKS: &[(&str, Check)] = &[
    ("blocking::sleep_within_the_limit_completes", sleep_within_the_limit_completes),
    ("blocking::sleep_past_the_limit_ends_the_call", sleep_past_the_limit_ends_the_call),
    ("blocking::stdin_reads_past_the_limit_end_the_call", stdin_reads_past_the_limit_end_the_call),
];

/// A WASI version's import module and the offsets, in its subscription record, of the clock id and timeout.
struct Preview {
    module: &'static str,
    subscription_size: u32,
    clock_id_at: u32,
    timeout_at: u32,
}

/// Where a subscription record keeps its tag (0 for a clock, 1 for a read) and a read's file descriptor.
const TAG_AT: u32 = 8;
const FD_AT: u32 = 16;

/// Preview 1 (`wasi_snapshot_preview1`) and preview 0 (`wasi_unstable`, whose clock subscriptions carry one
/// more field).
const PREVIEWS: [Preview; 2] = [
    Preview { module: "wasi_snapshot_preview1", subscription_size: 48, clock_id_at: 16, timeout_at: 24 },
    Preview { module: "wasi_unstable", subscription_size: 56, clock_id_at: 24, timeout_at: 32 },
];

/// Where the guests keep their subscriptions, and the events and result `poll_oneoff` writes.
const SUBSCRIPTIONS_AT: u32 = 4096;
const EVENTS_AT: u32 = 4400;
const RESULT_AT: u32 = 4600;

/// A guest whose every call other than `ok` sleeps with `poll_oneoff` on `clocks` relative monotonic-clock
/// subscriptions (one is the form WASI libc's `sleep` takes; more go through the general path), each for the
/// nanoseconds the payload holds (8 bytes, little-endian), and answers the WASI errno as one byte.
fn sleeping_guest(preview: &Preview, clocks: u32) -> Vec<u8> {
    let Preview { module, subscription_size, clock_id_at, timeout_at } = preview;
    let subscribe = (0..clocks)
        .map(|i| {
            let at = SUBSCRIPTIONS_AT + i * subscription_size;
            format!(
                "(i32.store (i32.const {}) (i32.const 1))
                 (i64.store (i32.const {}) (i64.load (i32.const {PAYLOAD_AT})))",
                at + clock_id_at,
                at + timeout_at
            )
        })
        .collect::<String>();
    wat_guest(
        &format!(
            "(call $guest_request (i32.const 0) (i32.const {PAYLOAD_AT}))
             {subscribe}
             (i32.store8 (i32.const {RESULT_AT})
               (call $poll_oneoff (i32.const {SUBSCRIPTIONS_AT}) (i32.const {EVENTS_AT}) (i32.const {clocks})
                                  (i32.const {RESULT_AT})))
             (call $guest_response (i32.const {RESULT_AT}) (i32.const 1))
             (i32.const 1)"
        ),
        &format!(r#"(import "{module}" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))"#),
    )
}

/// Every sleeping guest: both previews with one clock subscription, preview 1 with two.
///
/// wasmtime-wasi 48 reads a preview 0 `poll_oneoff` of more than one subscription wrongly (it rewrites the
/// 56-byte preview 0 records in place as 48-byte preview 1 records, then reads them at the preview 1 stride),
/// so the second subscription it sees is not the guest's.
fn sleeping_guests() -> impl Iterator<Item = (String, Vec<u8>)> {
    let [preview1, preview0] = &PREVIEWS;
    [(preview1, 1), (preview1, 2), (preview0, 1)]
        .into_iter()
        .map(|(preview, clocks)| (format!("{} with {clocks} clocks", preview.module), sleeping_guest(preview, clocks)))
}

/// A guest whose every call other than `ok` reads up to 100 bytes of stdin with `fd_read` and answers them,
/// or fails with the WASI errno as its error.
fn stdin_reading_guest(preview: &Preview) -> Vec<u8> {
    let iovec_at = SUBSCRIPTIONS_AT;
    let data_at = RESULT_AT + 8;
    wat_guest(
        &format!(
            "(i32.store (i32.const {iovec_at}) (i32.const {data_at}))
             (i32.store (i32.const {}) (i32.const 100))
             (i32.store8 (i32.const {RESULT_AT})
               (call $fd_read (i32.const 0) (i32.const {iovec_at}) (i32.const 1) (i32.const {EVENTS_AT})))
             (if (i32.load8_u (i32.const {RESULT_AT}))
               (then (call $guest_error (i32.const {RESULT_AT}) (i32.const 1)) (return (i32.const 0))))
             (call $guest_response (i32.const {data_at}) (i32.load (i32.const {EVENTS_AT})))
             (i32.const 1)",
            iovec_at + 4
        ),
        &format!(r#"(import "{}" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))"#, preview.module),
    )
}

/// A guest whose every call other than `ok` waits with `poll_oneoff` until stdin is readable, on a read
/// subscription, with a one-hour clock subscription beside it when `with_clock`; it answers the WASI errno.
fn stdin_polling_guest(preview: &Preview, with_clock: bool) -> Vec<u8> {
    let Preview { module, subscription_size, clock_id_at, timeout_at } = preview;
    let clock_at = SUBSCRIPTIONS_AT + subscription_size;
    let clock = format!(
        "(i32.store (i32.const {}) (i32.const 1))
         (i64.store (i32.const {}) (i64.const 3600000000000))",
        clock_at + clock_id_at,
        clock_at + timeout_at
    );
    let (clock, subscriptions) = if with_clock { (clock, 2) } else { (String::new(), 1) };
    wat_guest(
        &format!(
            "(i32.store8 (i32.const {}) (i32.const 1))
             (i32.store (i32.const {}) (i32.const 0))
             {clock}
             (i32.store8 (i32.const {RESULT_AT})
               (call $poll_oneoff (i32.const {SUBSCRIPTIONS_AT}) (i32.const {EVENTS_AT}) (i32.const {subscriptions})
                                  (i32.const {RESULT_AT})))
             (call $guest_response (i32.const {RESULT_AT}) (i32.const 1))
             (i32.const 1)",
            SUBSCRIPTIONS_AT + TAG_AT,
            SUBSCRIPTIONS_AT + FD_AT
        ),
        &format!(r#"(import "{module}" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))"#),
    )
}

fn limited() -> Options {
    Options { limited: true, ..Options::default() }
}

fn sleep_within_the_limit_completes(engine: &dyn Engine) {
    let millisecond = 1_000_000u64.to_le_bytes();
    for (name, guest) in sleeping_guests() {
        let (host, _) = host(engine, &guest, &limited());
        assert_eq!(host.call("sleep", &millisecond).unwrap(), [0], "{name}");
    }
}

fn sleep_past_the_limit_ends_the_call(engine: &dyn Engine) {
    let hour = 3_600_000_000_000u64.to_le_bytes();
    for (name, guest) in sleeping_guests() {
        let (host, _) = host(engine, &guest, &limited());
        assert_deadline(engine, &host, &hour, &name);
    }
}

/// In a child whose stdin holds one line and then nothing (the pipe stays open): an unlimited guest reads the
/// line as upstream's inherited stdin gives it; then every way of waiting for more, under a limit, ends with
/// the deadline error.
///
/// Not among them: a preview 0 `poll_oneoff` of stdin, which waits on neither engine. wasi-common 36 drops the
/// read and write subscriptions of a preview 0 poll (it checks them, then never subscribes them), so on wasmi
/// the poll returns at once with no event; wasmtime-wasi misreads more than one preview 0 subscription (see
/// [`sleeping_guests`]).
fn stdin_reads_past_the_limit_end_the_call(engine: &dyn Engine) {
    with_stdin(engine, "blocking::stdin_reads_past_the_limit_end_the_call", b"hello\n", || {
        let [preview1, preview0] = &PREVIEWS;
        let (unlimited, _) = host(engine, &stdin_reading_guest(preview1), &Options::default());
        assert_eq!(unlimited.call("read", b"").unwrap(), b"hello\n");

        let waits = [
            ("fd_read, preview 1", stdin_reading_guest(preview1)),
            ("fd_read, preview 0", stdin_reading_guest(preview0)),
            ("poll_oneoff of stdin and a clock, preview 1", stdin_polling_guest(preview1, true)),
            ("poll_oneoff of stdin, preview 1", stdin_polling_guest(preview1, false)),
        ];
        for (name, guest) in waits {
            let (host, _) = host(engine, &guest, &limited());
            assert_deadline(engine, &host, b"", name);
        }
    });
}

/// A call of `host` with `payload` must end with the engine's deadline error, and the next call must succeed.
fn assert_deadline(engine: &dyn Engine, host: &Host, payload: &[u8], name: &str) {
    match failure(host.call("wait", payload)) {
        Error::DeadlineExceeded(limit) => assert_eq!(limit, engine.limit(), "{name}"),
        other => panic!("expected the deadline error, got {other:?} for {name}"),
    }
    assert_recovers(host);
}
