//! `__guest_call`, the export through which a waPC host runs an operation.

use crate::imports::{__guest_error, __guest_request, __guest_response};
use crate::registry::dispatch;

/// Operation names up to this length are read into a stack buffer, without allocating.
const INLINE_OPERATION_BYTES: usize = 64;

/// Runs one operation: fetches the operation name and payload from the host, dispatches to the registered
/// handler and hands back its response (returning 1) or its error text (returning 0).
///
/// Called by the host only.
#[unsafe(no_mangle)]
pub extern "C" fn __guest_call(op_len: i32, req_len: i32) -> i32 {
    // The ABI's lengths are unsigned 32-bit values in `i32`s.
    let op_len = op_len.cast_unsigned() as usize;
    let req_len = req_len.cast_unsigned() as usize;
    let mut inline_operation = [0u8; INLINE_OPERATION_BYTES];
    let mut heap_operation = Vec::new();
    let operation = match inline_operation.get_mut(..op_len) {
        Some(inline) => inline,
        None => {
            heap_operation.resize(op_len, 0);
            heap_operation.as_mut_slice()
        }
    };
    let mut payload = Vec::with_capacity(req_len);
    // SAFETY: both buffers have room for the lengths the host gave; `__guest_request` writes exactly
    // `op_len` bytes of operation name and `req_len` bytes of payload into them, which initialises the
    // payload's first `req_len` bytes before `set_len` exposes them.
    unsafe {
        __guest_request(operation.as_mut_ptr(), payload.as_mut_ptr());
        payload.set_len(req_len);
    }
    match dispatch(operation, &payload) {
        Ok(response) => {
            // SAFETY: the host copies `response.len()` bytes from the pointer, which are alive and initialised.
            unsafe { __guest_response(response.as_ptr(), response.len()) };
            1
        }
        Err(error) => {
            // SAFETY: as above, for the error text.
            unsafe { __guest_error(error.as_ptr(), error.len()) };
            0
        }
    }
}
