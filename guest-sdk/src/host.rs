//! Calling the host, and logging through it.

use crate::CallResult;
use crate::errors::HostError;

/// Calls the host: `binding`, `namespace` and `operation` say what to run, `payload` is its input. Returns the
/// host's response, or a [`HostError`] with the host's error text.
///
/// ```no_run
/// use wapc_guest::prelude::*;
///
/// fn greet(payload: &[u8]) -> CallResult {
///     let punctuation = host_call("app", "format", "punctuation", b"")?;
///     Ok([b"Hello, ".as_slice(), payload, &punctuation].concat())
/// }
/// ```
///
/// Outside WebAssembly (a native build, for unit-testing handlers) there is no host: it returns a
/// [`HostError`] saying so.
pub fn host_call(binding: &str, namespace: &str, operation: &str, payload: &[u8]) -> CallResult {
    imp::host_call(binding, namespace, operation, payload)
}

/// Writes `message` to the host's log. Outside WebAssembly, writes it to stderr.
#[cold]
#[inline(never)]
pub fn console_log(message: &str) {
    imp::console_log(message);
}

#[cfg(target_family = "wasm")]
mod imp {
    use super::{CallResult, HostError};
    use crate::imports::{
        __console_log, __host_call, __host_error, __host_error_len, __host_response, __host_response_len,
    };

    pub(super) fn host_call(binding: &str, namespace: &str, operation: &str, payload: &[u8]) -> CallResult {
        // SAFETY: every pointer/length pair describes a live, initialised buffer the host only reads.
        let succeeded = unsafe {
            __host_call(
                binding.as_ptr(),
                binding.len(),
                namespace.as_ptr(),
                namespace.len(),
                operation.as_ptr(),
                operation.len(),
                payload.as_ptr(),
                payload.len(),
            )
        } == 1;
        if succeeded {
            // SAFETY: `__host_response` writes exactly `__host_response_len()` bytes.
            Ok(unsafe { read_host_buffer(__host_response_len(), |ptr| __host_response(ptr)) })
        } else {
            // SAFETY: `__host_error` writes exactly `__host_error_len()` bytes.
            let text = unsafe { read_host_buffer(__host_error_len(), |ptr| __host_error(ptr)) };
            Err(Box::new(HostError::new(String::from_utf8_lossy(&text).into_owned())))
        }
    }

    /// A buffer of `len` bytes that `fill` writes completely.
    ///
    /// # Safety
    /// `fill` must write exactly `len` bytes at the pointer it is given.
    unsafe fn read_host_buffer(len: usize, fill: impl FnOnce(*mut u8)) -> Vec<u8> {
        let mut buffer = Vec::with_capacity(len);
        fill(buffer.as_mut_ptr());
        // SAFETY: the caller guarantees `fill` initialised `len` bytes.
        unsafe { buffer.set_len(len) };
        buffer
    }

    pub(super) fn console_log(message: &str) {
        // SAFETY: the pointer/length pair describes a live, initialised buffer the host only reads.
        unsafe { __console_log(message.as_ptr(), message.len()) }
    }
}

#[cfg(not(target_family = "wasm"))]
mod imp {
    use super::{CallResult, HostError};

    pub(super) fn host_call(binding: &str, namespace: &str, operation: &str, _payload: &[u8]) -> CallResult {
        Err(Box::new(HostError::new(format!(
            "no waPC host to run {binding}/{namespace}/{operation}: this is a native build, not a wasm guest"
        ))))
    }

    pub(super) fn console_log(message: &str) {
        eprintln!("{message}");
    }
}

#[cfg(all(test, not(target_family = "wasm")))]
mod tests {
    use super::*;

    #[test]
    fn native_builds_have_no_host() {
        let error = host_call("b", "ns", "op", b"").unwrap_err();
        assert_eq!(
            error.to_string(),
            "Host error: no waPC host to run b/ns/op: this is a native build, not a wasm guest"
        );
    }
}
