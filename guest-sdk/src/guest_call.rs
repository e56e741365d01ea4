//! `__guest_call`, the export through which a waPC host runs an operation.

use std::cell::Cell;
use std::mem::MaybeUninit;

use crate::CallResult;
use crate::imports::{__guest_error, __guest_request, __guest_response};
use crate::registry::{Handler, find, missing_handler_message};

/// Operation names up to this length are read into a stack buffer, without allocating.
const INLINE_OPERATION_BYTES: usize = 64;

/// Request buffers up to this capacity are kept for the next call instead of being freed.
const KEPT_REQUEST_BYTES: usize = 1024 * 1024;

/// Bytes a new request buffer gets beyond the request. The allocation a handler makes next (typically its
/// response) then does not start a few bytes past a 4 KiB multiple from the payload: copies at such distances
/// make `rep movsb`, which engines use for `memory.copy`, crawl on some x86 CPUs (ten times slower for a
/// 64 KiB echo on AMD EPYC).
const REQUEST_SLACK_BYTES: usize = 64;

thread_local! {
    /// The request buffer of the last call, kept to spare an allocation per call.
    static REQUEST: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

/// Runs one operation: fetches the operation name and payload from the host, runs the registered handler and
/// hands back its response (returning 1) or its error text (returning 0).
///
/// Called by the host only.
#[unsafe(no_mangle)]
pub extern "C" fn __guest_call(op_len: i32, req_len: i32) -> i32 {
    // The ABI's lengths are unsigned 32-bit values in `i32`s.
    let op_len = op_len.cast_unsigned() as usize;
    let req_len = req_len.cast_unsigned() as usize;
    // Left uninitialised: the host writes the operation name over it (zeroing it would cost a `memory.fill`).
    let mut inline_operation = MaybeUninit::<[u8; INLINE_OPERATION_BYTES]>::uninit();
    let mut heap_operation = Vec::new();
    let operation_ptr = if op_len <= INLINE_OPERATION_BYTES {
        inline_operation.as_mut_ptr().cast::<u8>()
    } else {
        heap_operation.reserve_exact(op_len);
        heap_operation.as_mut_ptr()
    };
    let mut payload = REQUEST.take();
    payload.clear();
    if payload.capacity() < req_len {
        payload = Vec::with_capacity(req_len.saturating_add(REQUEST_SLACK_BYTES));
    }
    // SAFETY: both buffers have room for the lengths the host gave (`op_len` bytes at `operation_ptr`, at least
    // `req_len` of capacity in `payload`); `__guest_request` writes exactly `op_len` bytes of operation name and
    // `req_len` bytes of payload into them, which initialises what `from_raw_parts` and `set_len` then expose.
    // (A handler that calls back into `__guest_call` finds `REQUEST` empty and gets a buffer of its own.)
    let operation = unsafe {
        __guest_request(operation_ptr, payload.as_mut_ptr());
        payload.set_len(req_len);
        std::slice::from_raw_parts(operation_ptr, op_len)
    };
    match find(operation) {
        Some(Handler::Borrowing(handler)) => {
            let result = handler(&payload);
            keep_for_next_request(payload);
            respond(result)
        }
        Some(Handler::Owning(handler)) => respond(handler(payload)),
        None => {
            keep_for_next_request(payload);
            fail(&missing_handler_message(operation))
        }
    }
}

/// Hands a handler's result to the host: 1 with the response, 0 with the error text.
fn respond(result: CallResult) -> i32 {
    match result {
        Ok(response) => {
            // SAFETY: the host copies `response.len()` bytes from the pointer, which are alive and initialised.
            unsafe { __guest_response(response.as_ptr(), response.len()) };
            keep_for_next_request(response);
            1
        }
        Err(error) => fail(&error.to_string()),
    }
}

#[cold]
fn fail(error: &str) -> i32 {
    // SAFETY: the host copies `error.len()` bytes from the pointer, which are alive and initialised.
    unsafe { __guest_error(error.as_ptr(), error.len()) };
    0
}

/// Keeps `buffer` as the next request's buffer if it is larger than the one kept already (and not huge).
fn keep_for_next_request(buffer: Vec<u8>) {
    let kept = REQUEST.take();
    let larger = if buffer.capacity() > kept.capacity() { buffer } else { kept };
    if larger.capacity() <= KEPT_REQUEST_BYTES {
        REQUEST.set(larger);
    }
}
