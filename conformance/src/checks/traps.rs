//! Guests that trap, run away or grow without end. Each must fail with the exact error and leave the host
//! serving.

use wapc::ResourceLimits;
use wapc::errors::{Error, Resource, ResourceLimit, TrapKind};

use super::{Check, assert_recovers, failure, host};
use crate::guests::{AS_BOOM_AT, wat_guest};
use crate::{Engine, Options};

/// The checks of this module.
pub const CHECKS: &[(&str, Check)] = &[
    ("traps::unreachable", unreachable),
    ("traps::stack_overflow", stack_overflow),
    ("traps::infinite_loop_under_a_budget", infinite_loop_under_a_budget),
    ("traps::memory_grow_bomb_under_a_limit", memory_grow_bomb_under_a_limit),
    ("traps::assemblyscript_abort", assemblyscript_abort),
    ("traps::instance_is_fresh_after_a_trap", instance_is_fresh_after_a_trap),
];

fn assert_trap(engine: &dyn Engine, misbehaviour: &str, items: &str, kind: TrapKind) -> String {
    let (host, _) = host(engine, &wat_guest(misbehaviour, items), &Options::default());
    let message = match failure(host.call("bad", b"")) {
        Error::Trap(trap) if trap.kind == kind => trap.message,
        other => panic!("expected a {kind} trap, got {other:?}"),
    };
    assert_recovers(&host);
    message
}

fn unreachable(engine: &dyn Engine) {
    assert_trap(engine, "(unreachable)", "", TrapKind::Unreachable);
}

fn stack_overflow(engine: &dyn Engine) {
    let recurse = "(func $recurse (param i32) (result i32) (call $recurse (i32.add (local.get 0) (i32.const 1))))";
    assert_trap(engine, "(call $recurse (i32.const 0))", recurse, TrapKind::StackOverflow);
}

fn infinite_loop_under_a_budget(engine: &dyn Engine) {
    let options = Options { limited: true, ..Options::default() };
    let (host, _) = host(engine, &wat_guest("(loop $forever (br $forever)) (i32.const 0)", ""), &options);
    match failure(host.call("bad", b"")) {
        Error::DeadlineExceeded(limit) => assert_eq!(limit, engine.limit()),
        other => panic!("expected the deadline error, got {other:?}"),
    }
    assert_recovers(&host);
}

fn memory_grow_bomb_under_a_limit(engine: &dyn Engine) {
    const PAGE: usize = 65536;
    let limits = ResourceLimits { max_memory_size: Some(32 * PAGE), ..ResourceLimits::DEFAULT };
    let options = Options { limits: Some(limits), ..Options::default() };
    // Grows by 16 pages until refused: 1 -> 17 -> 33 pages, the last one past the 32-page limit.
    let bomb = "(loop $grow (br_if $grow (i32.ne (memory.grow (i32.const 16)) (i32.const -1)))) (i32.const 0)";
    let (host, _) = host(engine, &wat_guest(bomb, ""), &options);
    match failure(host.call("bad", b"")) {
        Error::ResourceLimit(limit) => {
            assert_eq!(limit, ResourceLimit { resource: Resource::Memory, requested: 33 * PAGE, limit: 32 * PAGE })
        }
        other => panic!("expected the resource-limit error, got {other:?}"),
    }
    assert_recovers(&host);
}

fn assemblyscript_abort(engine: &dyn Engine) {
    let import = r#"(import "env" "abort" (func $abort (param i32 i32 i32 i32)))"#;
    let call =
        format!("(call $abort (i32.const {AS_BOOM_AT}) (i32.const 0) (i32.const 12) (i32.const 5)) (i32.const 0)");
    let message = assert_trap(engine, &call, import, TrapKind::Abort);
    assert_eq!(message, "`abort` called: boom at (no text):12:5");
}

/// A trap in the middle of a call must not leak the aborted call's state into the next: the next call runs on
/// a fresh instance, whose memory is as the module declares it.
fn instance_is_fresh_after_a_trap(engine: &dyn Engine) {
    let scribble_then_trap = "(i32.store8 (i32.const 5000) (i32.const 1)) (unreachable)";
    let report = "(call $guest_response (i32.const 5000) (i32.const 1)) (i32.const 1)";
    let guest = wat_guest(
        &format!("(if (i32.eq (local.get $op_len) (i32.const 4)) (then {report} (return))) {scribble_then_trap}"),
        "",
    );
    let (host, _) = host(engine, &guest, &Options::default());
    assert_eq!(host.call("read", b"").unwrap(), b"\x00");
    assert!(matches!(failure(host.call("scribble", b"")), Error::Trap(_)));
    assert_eq!(host.call("read", b"").unwrap(), b"\x00", "the trapped instance was reused");
}
