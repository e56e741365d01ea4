//! The guests the pool tests run: WAT modules whose behaviour depends on the operation's length.

use wapc_conformance::guests::{PAYLOAD_AT, wat_guest};

/// A guest with a counter of its own:
/// - `ok` echoes the payload;
/// - `big` grows its memory by 16 pages, then counts;
/// - `boom` traps;
/// - `count` adds one to the counter and answers it (4 bytes, little-endian);
/// - `hostly` calls the host with its payload (empty binding, namespace and operation), then counts;
/// - `which` answers `mark`, one byte that tells which module ran.
pub fn counter(mark: u8) -> Vec<u8> {
    wat_guest(
        &format!(
            r#"
            (if (i32.eq (local.get $op_len) (i32.const 5))
              (then
                (call $guest_request (i32.const 0) (i32.const {PAYLOAD_AT}))
                (if (i32.eq (i32.load8_u (i32.const 0)) (i32.const 119)) ;; "which"
                  (then
                    (i32.store8 (i32.const 0) (i32.const {mark}))
                    (call $guest_response (i32.const 0) (i32.const 1))
                    (return (i32.const 1))))))
            (if (i32.eq (local.get $op_len) (i32.const 4)) (then unreachable))
            (if (i32.eq (local.get $op_len) (i32.const 3))
              (then (drop (memory.grow (i32.const 16)))))
            (if (i32.eq (local.get $op_len) (i32.const 6))
              (then
                (call $guest_request (i32.const 0) (i32.const {PAYLOAD_AT}))
                (drop (call $host_call (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
                  (i32.const 0) (i32.const 0) (i32.const {PAYLOAD_AT}) (local.get $msg_len)))))
            (global.set $count (i32.add (global.get $count) (i32.const 1)))
            (i32.store (i32.const 0) (global.get $count))
            (call $guest_response (i32.const 0) (i32.const 4))
            (i32.const 1)
            "#
        ),
        "(global $count (mut i32) (i32.const 0))",
    )
}

/// The counter a `count` (or `hostly`, or `big`) answer holds.
pub fn count(answer: &[u8]) -> u32 {
    u32::from_le_bytes(answer.try_into().expect("a count is 4 bytes"))
}
