//! The waPC ABI, one function per host import, for engine providers.
//!
//! A provider links each import of module `wapc` to a closure that finds the guest's memory and calls the
//! function of the same name here; that is all the protocol logic a provider holds. Arguments are the guest's
//! `i32`s, read as the unsigned addresses and lengths WebAssembly means. Every pointer/length pair is
//! bounds- and overflow-checked and every text UTF-8-checked before use; a violation is an
//! [`Error::AbiViolation`] naming the import, which the provider turns into a trap (and the host gets back from
//! the provider's `call`, unchanged).
//!
//! The functions act on the call the [`WapcHost`](crate::WapcHost) is running on this thread, so a provider must
//! run guest code synchronously, on the thread that called its `call`, `init`, `reset` or `replace`.
//!
//! ```
//! use wapc::abi::{self, Region};
//!
//! // An engine's `__guest_response(ptr, len)` import, wired by a provider:
//! fn guest_response(memory: &mut [u8], ptr: i32, len: i32) -> Result<(), wapc::errors::Error> {
//!     abi::guest_response(memory, Region::new(ptr, len))
//! }
//! # // Outside a call every import reports that no call is running:
//! # assert!(matches!(
//! #     guest_response(&mut [0; 8], 0, 4),
//! #     Err(wapc::errors::Error::AbiViolation { problem: wapc::errors::AbiProblem::NoActiveCall, .. })
//! # ));
//! ```

use crate::GuestMemory;
use crate::active_call::ActiveCall;
use crate::errors::{AbiProblem, Error, Result, Trap, TrapKind};
use crate::wapc_functions::{
    ASSEMBLYSCRIPT_ABORT, GUEST_ERROR_FN, GUEST_REQUEST_FN, GUEST_RESPONSE_FN, HOST_CALL, HOST_CONSOLE_LOG,
    HOST_ERROR_FN, HOST_ERROR_LEN_FN, HOST_RESPONSE_FN, HOST_RESPONSE_LEN_FN,
};

/// A guest's pointer/length pair, as the guest passed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Region {
    /// Start address in linear memory.
    pub ptr: i32,
    /// Length in bytes.
    pub len: i32,
}

impl Region {
    /// The empty region: what a guest passes for text it does not have (the binding of a 6-argument
    /// `__host_call`).
    pub const EMPTY: Region = Region { ptr: 0, len: 0 };

    /// The region of `len` bytes at `ptr`.
    #[must_use]
    pub const fn new(ptr: i32, len: i32) -> Self {
        Region { ptr, len }
    }
}

/// `__guest_request(op_ptr, ptr)`: writes the operation name at `op_ptr` and the payload at `ptr`.
///
/// # Errors
/// An ABI violation if either does not fit in memory, if no call is running, or if start functions call it.
pub fn guest_request<M: GuestMemory + ?Sized>(memory: &mut M, op_ptr: i32, ptr: i32) -> Result<()> {
    const IMPORT: &str = GUEST_REQUEST_FN;
    ActiveCall::with_current(|call| {
        let request = active(call, IMPORT)?.request.ok_or_else(|| Error::abi(IMPORT, AbiProblem::NoRequest))?;
        write(memory, IMPORT, "operation", op_ptr, request.operation.as_bytes())?;
        write(memory, IMPORT, "payload", ptr, request.payload)
    })
}

/// `__guest_response(ptr, len)`: the guest's result for this call.
///
/// # Errors
/// An ABI violation if the region is outside memory or no call is running.
pub fn guest_response<M: GuestMemory + ?Sized>(memory: &M, response: Region) -> Result<()> {
    const IMPORT: &str = GUEST_RESPONSE_FN;
    ActiveCall::with_current(|call| {
        let call = active(call, IMPORT)?;
        call.guest_response.set(Some(bytes(memory, IMPORT, "response", response)?.to_vec()));
        Ok(())
    })
}

/// `__guest_error(ptr, len)`: the guest's error text for this call.
///
/// # Errors
/// An ABI violation if the region is outside memory, the text is not UTF-8, or no call is running.
pub fn guest_error<M: GuestMemory + ?Sized>(memory: &M, error: Region) -> Result<()> {
    const IMPORT: &str = GUEST_ERROR_FN;
    ActiveCall::with_current(|call| {
        let call = active(call, IMPORT)?;
        call.guest_error.set(Some(text(memory, IMPORT, "error", error)?.to_owned()));
        Ok(())
    })
}

/// `__host_call(bd_ptr, bd_len, ns_ptr, ns_len, op_ptr, op_len, ptr, len) -> i32`: runs the host callback.
///
/// Returns 1 when the callback succeeded (its result is then served by [`host_response`]), 0 when it failed
/// (its error text is then served by [`host_error`]). Guests built for the original 6-argument form, without a
/// binding, are served by passing [`Region::EMPTY`] as `binding`.
///
/// # Errors
/// An ABI violation for a region outside memory or text that is not UTF-8; [`Error::HostCallback`] if the
/// callback panicked.
pub fn host_call<M: GuestMemory + ?Sized>(
    memory: &M,
    binding: Region,
    namespace: Region,
    operation: Region,
    payload: Region,
) -> Result<i32> {
    const IMPORT: &str = HOST_CALL;
    ActiveCall::with_current(|call| {
        let call = active(call, IMPORT)?;
        let args = HostCallArgs::read(memory, [binding, namespace, operation, payload])?;
        Ok(record_host_answer(call, call.state.host_call(args.binding, args.namespace, args.operation, args.payload)?))
    })
}

/// The arguments of a `__host_call`, read from the guest's memory, the names checked to be UTF-8.
struct HostCallArgs<'m> {
    binding: &'m str,
    namespace: &'m str,
    operation: &'m str,
    payload: &'m [u8],
}

impl<'m> HostCallArgs<'m> {
    fn read<M: GuestMemory + ?Sized>(memory: &'m M, regions: [Region; 4]) -> Result<Self> {
        const IMPORT: &str = HOST_CALL;
        let [binding, namespace, operation, payload] = regions;
        Ok(HostCallArgs {
            binding: text(memory, IMPORT, "binding", binding)?,
            namespace: text(memory, IMPORT, "namespace", namespace)?,
            operation: text(memory, IMPORT, "operation", operation)?,
            payload: bytes(memory, IMPORT, "payload", payload)?,
        })
    }
}

/// `__host_call` for async providers, which await host callbacks rather than block on them: reads and checks
/// the arguments as [`host_call`] does, starts the host callback, and returns the future of its answer. The
/// provider awaits the future inside the import (wasmtime's `func_wrap_async`, for one) and gives the guest
/// what it resolves to: 1 or 0 as [`host_call`] returns, or the error that ends the call.
///
/// The future is `Send` and `'static`: it holds copies of the arguments, not the guest's memory. It must be
/// polled within the call that started it (inside [`WapcHostAsync::call`](crate::WapcHostAsync::call)'s
/// future, as an import's future is), which is where it leaves the answer.
///
/// # Errors
/// Those of [`host_call`]; the future fails with [`Error::HostCallback`] if the callback panics.
#[cfg(feature = "async")]
pub fn host_call_async<M: GuestMemory + ?Sized>(
    memory: &M,
    binding: Region,
    namespace: Region,
    operation: Region,
    payload: Region,
) -> Result<HostCallFuture> {
    const IMPORT: &str = HOST_CALL;
    ActiveCall::with_current(|call| {
        let call = active(call, IMPORT)?;
        let args = HostCallArgs::read(memory, [binding, namespace, operation, payload])?;
        call.state.host_call_async(args.binding, args.namespace, args.operation, args.payload)
    })
}

/// The answer of a host callback that [`host_call_async`] started: resolves to what `__host_call` returns to
/// the guest (1 or 0), having left the response or error text for `__host_response` and `__host_error`.
#[cfg(feature = "async")]
#[must_use = "the host callback's answer reaches the guest only when the future is awaited"]
pub struct HostCallFuture(PendingAnswer);

#[cfg(feature = "async")]
enum PendingAnswer {
    /// Known at once (a blocking callback, or none); `None` once handed out.
    Ready(Option<std::result::Result<Vec<u8>, String>>),
    /// The callback's future, and the host call's span, entered while it is polled.
    Awaiting(crate::HostCallbackFuture, tracing::Span),
}

#[cfg(feature = "async")]
impl HostCallFuture {
    pub(crate) fn ready(answer: std::result::Result<Vec<u8>, String>) -> Self {
        HostCallFuture(PendingAnswer::Ready(Some(answer)))
    }

    pub(crate) fn pending(future: crate::HostCallbackFuture, span: tracing::Span) -> Self {
        HostCallFuture(PendingAnswer::Awaiting(future, span))
    }
}

#[cfg(feature = "async")]
impl Future for HostCallFuture {
    type Output = Result<i32>;

    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<Result<i32>> {
        use std::panic::{AssertUnwindSafe, catch_unwind};
        use std::task::Poll;

        let answer = match &mut self.get_mut().0 {
            PendingAnswer::Ready(answer) => match answer.take() {
                Some(answer) => answer,
                None => return Poll::Ready(Err(Error::provider("a host call's future was polled after it ended"))),
            },
            PendingAnswer::Awaiting(future, span) => {
                match span.in_scope(|| catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx)))) {
                    Err(panic) => return Poll::Ready(Err(crate::module_state::callback_panicked(&*panic))),
                    Ok(Poll::Pending) => return Poll::Pending,
                    Ok(Poll::Ready(answer)) => answer.map_err(|error| error.to_string()),
                }
            }
        };
        Poll::Ready(ActiveCall::with_current(|call| Ok(record_host_answer(active(call, HOST_CALL)?, answer))))
    }
}

#[cfg(feature = "async")]
impl std::fmt::Debug for HostCallFuture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match &self.0 {
            PendingAnswer::Ready(Some(_)) => "ready",
            PendingAnswer::Ready(None) => "ended",
            PendingAnswer::Awaiting(..) => "awaiting",
        };
        f.debug_tuple("HostCallFuture").field(&state).finish()
    }
}

/// Leaves a host callback's answer for `__host_response` or `__host_error`, and returns what `__host_call`
/// returns.
fn record_host_answer(call: &ActiveCall<'_>, answer: std::result::Result<Vec<u8>, String>) -> i32 {
    let (response, error, code) = match answer {
        Ok(response) => (Some(response), None, 1),
        Err(error) => (None, Some(error), 0),
    };
    call.host_response.set(response);
    call.host_error.set(error);
    code
}

/// `__host_response_len() -> i32`: the length of the last host call's result (0 if there is none).
///
/// # Errors
/// An ABI violation if no call is running or the result is longer than `i32::MAX`.
pub fn host_response_len() -> Result<i32> {
    const IMPORT: &str = HOST_RESPONSE_LEN_FN;
    ActiveCall::with_current(|call| {
        let slot = &active(call, IMPORT)?.host_response;
        let response = slot.take();
        let len = response.as_deref().map_or(0, <[u8]>::len);
        slot.set(response);
        abi_len(IMPORT, "the host response", len)
    })
}

/// `__host_response(ptr)`: copies the last host call's result to `ptr`.
///
/// # Errors
/// An ABI violation if it does not fit in memory at `ptr` or no call is running.
pub fn host_response<M: GuestMemory + ?Sized>(memory: &mut M, ptr: i32) -> Result<()> {
    const IMPORT: &str = HOST_RESPONSE_FN;
    ActiveCall::with_current(|call| {
        let slot = &active(call, IMPORT)?.host_response;
        let response = slot.take();
        let written = write(memory, IMPORT, "host response", ptr, response.as_deref().unwrap_or_default());
        slot.set(response);
        written
    })
}

/// `__host_error_len() -> i32`: the length of the last host call's error text (0 if there is none).
///
/// # Errors
/// An ABI violation if no call is running or the text is longer than `i32::MAX`.
pub fn host_error_len() -> Result<i32> {
    const IMPORT: &str = HOST_ERROR_LEN_FN;
    ActiveCall::with_current(|call| {
        let slot = &active(call, IMPORT)?.host_error;
        let error = slot.take();
        let len = error.as_deref().map_or(0, str::len);
        slot.set(error);
        abi_len(IMPORT, "the host error", len)
    })
}

/// `__host_error(ptr)`: copies the last host call's error text to `ptr`.
///
/// # Errors
/// An ABI violation if it does not fit in memory at `ptr` or no call is running.
pub fn host_error<M: GuestMemory + ?Sized>(memory: &mut M, ptr: i32) -> Result<()> {
    const IMPORT: &str = HOST_ERROR_FN;
    ActiveCall::with_current(|call| {
        let slot = &active(call, IMPORT)?.host_error;
        let error = slot.take();
        let written = write(memory, IMPORT, "host error", ptr, error.as_deref().unwrap_or_default().as_bytes());
        slot.set(error);
        written
    })
}

/// `__console_log(ptr, len)`: hands a log line to the host's console-log handler.
///
/// # Errors
/// An ABI violation if the region is outside memory, the text is not UTF-8, or no call is running.
pub fn console_log<M: GuestMemory + ?Sized>(memory: &M, message: Region) -> Result<()> {
    const IMPORT: &str = HOST_CONSOLE_LOG;
    ActiveCall::with_current(|call| {
        let call = active(call, IMPORT)?;
        call.state.console_log(text(memory, IMPORT, "message", message)?);
        Ok(())
    })
}

/// `env.abort(msg_ptr, file_ptr, line, col)`: an AssemblyScript guest gives up. Always returns the
/// [`TrapKind::Abort`] trap that ends the call, with the guest's message and source position.
///
/// AssemblyScript strings are UTF-16 with their byte length in the 4 bytes before the pointer; a message or
/// file name that cannot be read is reported as such rather than hiding the abort behind an ABI violation.
#[must_use]
pub fn abort<M: GuestMemory + ?Sized>(memory: &M, msg_ptr: i32, file_ptr: i32, line: i32, column: i32) -> Error {
    let message = assemblyscript_string(memory, msg_ptr);
    let file = assemblyscript_string(memory, file_ptr);
    Error::Trap(Trap {
        kind: TrapKind::Abort,
        message: format!("`{ASSEMBLYSCRIPT_ABORT}` called: {message} at {file}:{line}:{column}"),
    })
}

fn assemblyscript_string<M: GuestMemory + ?Sized>(memory: &M, ptr: i32) -> String {
    if ptr == 0 {
        return "(no text)".to_owned();
    }
    let text = address(ptr)
        .checked_sub(4)
        .and_then(|header| memory.region(header, 4))
        .and_then(|header| header.try_into().ok())
        .map(u32::from_le_bytes)
        .and_then(|byte_len| memory.region(address(ptr), byte_len))
        .map(|utf16| {
            let units = utf16.chunks_exact(2).filter_map(|unit| unit.try_into().ok()).map(u16::from_le_bytes);
            char::decode_utf16(units).map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER)).collect()
        });
    text.unwrap_or_else(|| format!("(unreadable text at {})", address(ptr)))
}

/// The call running on this thread, or the violation of an import used outside one.
fn active<'s>(call: Option<&'s ActiveCall<'s>>, import: &'static str) -> Result<&'s ActiveCall<'s>> {
    call.ok_or_else(|| Error::abi(import, AbiProblem::NoActiveCall))
}

/// An `i32` from the guest read as the unsigned 32-bit address or length WebAssembly means by it.
fn address(value: i32) -> u32 {
    u32::from_ne_bytes(value.to_ne_bytes())
}

fn bytes<'m, M: GuestMemory + ?Sized>(
    memory: &'m M,
    import: &'static str,
    what: &'static str,
    region: Region,
) -> Result<&'m [u8]> {
    let (ptr, len) = (address(region.ptr), address(region.len));
    memory
        .region(ptr, len)
        .ok_or_else(|| Error::abi(import, AbiProblem::OutOfBounds { what, ptr, len, memory_size: memory.size() }))
}

fn text<'m, M: GuestMemory + ?Sized>(
    memory: &'m M,
    import: &'static str,
    what: &'static str,
    region: Region,
) -> Result<&'m str> {
    std::str::from_utf8(bytes(memory, import, what, region)?)
        .map_err(|_| Error::abi(import, AbiProblem::InvalidUtf8 { what }))
}

fn write<M: GuestMemory + ?Sized>(
    memory: &mut M,
    import: &'static str,
    what: &'static str,
    ptr: i32,
    data: &[u8],
) -> Result<()> {
    let ptr = address(ptr);
    let memory_size = memory.size();
    let out_of_bounds = |len| Error::abi(import, AbiProblem::OutOfBounds { what, ptr, len, memory_size });
    let len = u32::try_from(data.len()).map_err(|_| out_of_bounds(u32::MAX))?;
    let target = memory.region_mut(ptr, len).ok_or_else(|| out_of_bounds(len))?;
    target.copy_from_slice(data);
    Ok(())
}

fn abi_len(import: &'static str, what: &'static str, len: usize) -> Result<i32> {
    i32::try_from(len).map_err(|_| Error::abi(import, AbiProblem::LengthOverflow { what, len }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ModuleState;
    use crate::active_call::{ActiveCall, Request};
    use crate::module_state::Callback;

    fn in_call<R>(payload: &[u8], f: impl FnOnce(&ActiveCall<'_>) -> R) -> R {
        let state = ModuleState::new(
            9,
            Callback::Blocking(Box::new(|_, binding, _, _, payload| {
                if binding == "fail" { Err("refused".into()) } else { Ok(payload.iter().rev().copied().collect()) }
            })),
            None,
        );
        let call = ActiveCall::new(&state, Some(Request { operation: "op", payload }));
        call.run(|| f(&call))
    }

    fn put(memory: &mut [u8], at: usize, data: &[u8]) -> Region {
        memory[at..at + data.len()].copy_from_slice(data);
        Region::new(at as i32, data.len() as i32)
    }

    #[test]
    fn guest_request_writes_operation_and_payload_exactly() {
        let mut memory = vec![0xAAu8; 32];
        in_call(b"hello", |_| guest_request(memory.as_mut_slice(), 2, 10)).unwrap();
        assert_eq!(&memory[..16], b"\xAA\xAAop\xAA\xAA\xAA\xAA\xAA\xAAhello\xAA");
    }

    #[test]
    fn guest_request_past_the_end_is_a_violation_naming_the_payload() {
        let mut memory = vec![0u8; 16];
        let error = in_call(b"hello", |_| guest_request(memory.as_mut_slice(), 0, 12)).unwrap_err();
        assert!(matches!(
            error,
            Error::AbiViolation {
                import: "__guest_request",
                problem: AbiProblem::OutOfBounds { what: "payload", ptr: 12, len: 5, memory_size: 16 }
            }
        ));
    }

    #[test]
    fn host_call_round_trip_serves_response_then_error() {
        let mut memory = vec![0u8; 64];
        let binding = put(&mut memory, 0, b"kv");
        let fail = put(&mut memory, 2, b"fail");
        let namespace = put(&mut memory, 6, b"ns");
        let operation = put(&mut memory, 8, b"get");
        let payload = put(&mut memory, 11, b"abc");
        in_call(b"", |call| {
            assert_eq!(host_call(memory.as_slice(), binding, namespace, operation, payload).unwrap(), 1);
            assert_eq!(host_response_len().unwrap(), 3);
            assert_eq!(host_error_len().unwrap(), 0);
            host_response(memory.as_mut_slice(), 40).unwrap();
            assert_eq!(&memory[40..43], b"cba");

            assert_eq!(host_call(memory.as_slice(), fail, namespace, operation, payload).unwrap(), 0);
            assert_eq!(host_response_len().unwrap(), 0);
            assert_eq!(host_error_len().unwrap(), 7);
            host_error(memory.as_mut_slice(), 50).unwrap();
            assert_eq!(&memory[50..57], b"refused");
            assert!(call.host_response.take().is_none());
        });
    }

    #[test]
    fn invalid_utf8_is_named_by_argument() {
        let mut memory = vec![0u8; 16];
        let bad = put(&mut memory, 0, b"\xff\xfe");
        let error = in_call(b"", |_| host_call(memory.as_slice(), Region::EMPTY, bad, Region::EMPTY, Region::EMPTY))
            .unwrap_err();
        assert!(matches!(
            error,
            Error::AbiViolation { import: "__host_call", problem: AbiProblem::InvalidUtf8 { what: "namespace" } }
        ));
    }

    #[test]
    fn negative_lengths_are_huge_unsigned_lengths() {
        let memory = vec![0u8; 16];
        let error = in_call(b"", |_| guest_response(memory.as_slice(), Region::new(0, -1))).unwrap_err();
        assert!(matches!(error, Error::AbiViolation { problem: AbiProblem::OutOfBounds { len: u32::MAX, .. }, .. }));
    }

    #[test]
    fn imports_outside_a_call_are_violations() {
        assert!(matches!(
            host_response_len(),
            Err(Error::AbiViolation { import: "__host_response_len", problem: AbiProblem::NoActiveCall })
        ));
    }

    #[test]
    fn start_functions_have_no_request() {
        let state = ModuleState::new(1, Callback::None, None);
        let call = ActiveCall::new(&state, None);
        let mut memory = [0u8; 8];
        let error = call.run(|| guest_request(memory.as_mut_slice(), 0, 0)).unwrap_err();
        assert!(matches!(error, Error::AbiViolation { problem: AbiProblem::NoRequest, .. }));
    }

    #[test]
    fn abort_reads_assemblyscript_utf16_strings() {
        let mut memory = vec![0u8; 64];
        let message: Vec<u8> = "bad ✓".encode_utf16().flat_map(u16::to_le_bytes).collect();
        memory[4..8].copy_from_slice(&(message.len() as u32).to_le_bytes());
        memory[8..8 + message.len()].copy_from_slice(&message);
        let error = abort(memory.as_slice(), 8, 0, 3, 7);
        let Error::Trap(trap) = error else { panic!("abort must be a trap") };
        assert_eq!(trap.kind, TrapKind::Abort);
        assert_eq!(trap.message, "`abort` called: bad ✓ at (no text):3:7");
        let Error::Trap(unreadable) = abort(memory.as_slice(), 2, 0, 0, 0) else { panic!() };
        assert_eq!(unreadable.message, "`abort` called: (unreadable text at 2) at (no text):0:0");
    }
}
