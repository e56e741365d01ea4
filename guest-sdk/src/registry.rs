//! The operations a guest has registered, and dispatching a call to one of them.

use std::cell::{Cell, RefCell};

use crate::CallResult;

/// A handler of one operation: the payload in, the response (or an error) out.
pub type HandlerSignature = fn(&[u8]) -> CallResult;

/// A handler that takes the payload buffer itself, for operations that transform or return it in place
/// without copying.
pub type OwnedHandlerSignature = fn(Vec<u8>) -> CallResult;

/// A registered handler.
#[derive(Clone, Copy)]
pub(crate) enum Handler {
    Borrowing(HandlerSignature),
    Owning(OwnedHandlerSignature),
}

thread_local! {
    // WebAssembly guests are single-threaded: a thread-local is a plain static there, with no lock to take.
    static REGISTRY: RefCell<Vec<(Box<[u8]>, Handler)>> = const { RefCell::new(Vec::new()) };
    // The registry index of the operation `find` found last (entries are never removed, so it stays valid).
    static LAST_FOUND: Cell<usize> = const { Cell::new(0) };
}

/// Registers `handler` for the operation `name`, replacing any handler registered for it before.
///
/// Call it from `wapc_init`, which every waPC host runs once before the first call.
///
/// ```
/// use wapc_guest::prelude::*;
///
/// fn echo(payload: &[u8]) -> CallResult {
///     Ok(payload.to_vec())
/// }
///
/// register_function("echo", echo);
/// ```
pub fn register_function(name: &str, handler: HandlerSignature) {
    register(name, Handler::Borrowing(handler));
}

/// Registers a `handler` that takes the payload buffer by value, for the operation `name`.
///
/// A handler that returns its payload, or rewrites it in place, then answers without allocating or copying:
/// the buffer goes back to the host as the response and is reused for the next request.
///
/// ```
/// use wapc_guest::prelude::*;
///
/// fn upper(mut payload: Vec<u8>) -> CallResult {
///     payload.make_ascii_uppercase();
///     Ok(payload)
/// }
///
/// register_owned_function("upper", upper);
/// ```
pub fn register_owned_function(name: &str, handler: OwnedHandlerSignature) {
    register(name, Handler::Owning(handler));
}

fn register(name: &str, handler: Handler) {
    REGISTRY.with_borrow_mut(|registry| {
        match registry.iter_mut().find(|(registered, _)| **registered == *name.as_bytes()) {
            Some(entry) => entry.1 = handler,
            None => registry.push((name.as_bytes().into(), handler)),
        }
    });
}

/// Runs the handler registered for `operation` with `payload`, as a host's call would: for testing a guest's
/// handlers natively, with `cargo test`.
///
/// ```
/// use wapc_guest::prelude::*;
///
/// fn shout(payload: &[u8]) -> CallResult {
///     Ok(payload.to_ascii_uppercase())
/// }
///
/// register_function("shout", shout);
/// assert_eq!(wapc_guest::call_handler("shout", b"hi").unwrap(), b"HI");
/// assert_eq!(
///     wapc_guest::call_handler("whisper", b"").unwrap_err().to_string(),
///     "No handler registered for function whisper"
/// );
/// ```
///
/// # Errors
/// The handler's error, or upstream waPC's error text when no handler is registered for `operation`.
pub fn call_handler(operation: &str, payload: &[u8]) -> CallResult {
    match find(operation.as_bytes()) {
        Some(Handler::Borrowing(handler)) => handler(payload),
        Some(Handler::Owning(handler)) => handler(payload.to_vec()),
        None => Err(missing_handler_message(operation.as_bytes()).into()),
    }
}

/// The handler registered for `operation`. It is copied out of the registry, so it may itself register
/// functions.
pub(crate) fn find(operation: &[u8]) -> Option<Handler> {
    REGISTRY.with_borrow(|registry| {
        // Hosts tend to call the same operation again: try the one found last before scanning.
        let last = LAST_FOUND.get();
        if let Some((registered, handler)) = registry.get(last)
            && same_name(registered, operation)
        {
            return Some(*handler);
        }
        let (index, (_, handler)) =
            registry.iter().enumerate().find(|(_, (registered, _))| same_name(registered, operation))?;
        LAST_FOUND.set(index);
        Some(*handler)
    })
}

/// Upstream waPC's error text for an operation nobody registered.
/// Whether two operation names are equal, compared eight bytes at a time. (`==` on slices calls `memcmp`,
/// which on wasm32 compares byte by byte in a separate function: in an interpreter that is most of a short
/// call's dispatch.)
#[inline]
fn same_name(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let (mut a_words, mut b_words) = (a.chunks_exact(8), b.chunks_exact(8));
    let words_equal = a_words.by_ref().zip(b_words.by_ref()).all(|(x, y)| word(x) == word(y));
    words_equal && a_words.remainder().iter().zip(b_words.remainder()).all(|(x, y)| x == y)
}

/// Eight bytes as one integer.
#[inline]
fn word(bytes: &[u8]) -> u64 {
    bytes.try_into().map_or(0, u64::from_ne_bytes)
}

pub(crate) fn missing_handler_message(operation: &[u8]) -> String {
    format!("No handler registered for function {}", String::from_utf8_lossy(operation))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upper(payload: &[u8]) -> CallResult {
        Ok(payload.to_ascii_uppercase())
    }

    fn upper_in_place(mut payload: Vec<u8>) -> CallResult {
        payload.make_ascii_uppercase();
        Ok(payload)
    }

    fn refuse(_: &[u8]) -> CallResult {
        Err("refused".into())
    }

    fn register_more(_: &[u8]) -> CallResult {
        register_function("late", upper);
        Ok(Vec::new())
    }

    fn outcome(operation: &str, payload: &[u8]) -> Result<Vec<u8>, String> {
        call_handler(operation, payload).map_err(|error| error.to_string())
    }

    #[test]
    fn dispatch_finds_the_handler_by_exact_name() {
        register_function("upper", upper);
        register_function("refuse", refuse);
        assert_eq!(outcome("upper", b"abc"), Ok(b"ABC".to_vec()));
        assert_eq!(outcome("refuse", b""), Err("refused".to_owned()));
        assert_eq!(outcome("uppe", b""), Err("No handler registered for function uppe".to_owned()));
    }

    #[test]
    fn registering_again_replaces_and_handlers_may_register() {
        register_function("op", refuse);
        register_function("op", upper);
        assert_eq!(outcome("op", b"x"), Ok(b"X".to_vec()));
        register_function("register", register_more);
        assert_eq!(outcome("register", b""), Ok(Vec::new()));
        assert_eq!(outcome("late", b"y"), Ok(b"Y".to_vec()));
    }

    #[test]
    fn names_compare_exactly_at_every_length() {
        let names: [&[u8]; 6] = [b"", b"a", b"echo", b"echo_own", b"echo_owned", b"a_rather_long_operation_name"];
        for a in names {
            for b in names {
                assert_eq!(same_name(a, b), a == b, "{a:?} vs {b:?}");
            }
            // A difference in any single byte is seen.
            for i in 0..a.len() {
                let mut changed = a.to_vec();
                changed[i] ^= 1;
                assert!(!same_name(a, &changed), "{a:?} vs {changed:?}");
            }
        }
    }

    #[test]
    fn owning_and_borrowing_handlers_are_told_apart() {
        register_owned_function("in_place", upper_in_place);
        register_function("copying", upper);
        assert!(matches!(find(b"in_place"), Some(Handler::Owning(_))));
        assert!(matches!(find(b"copying"), Some(Handler::Borrowing(_))));
        assert_eq!(outcome("in_place", b"abc"), Ok(b"ABC".to_vec()));
        assert_eq!(outcome("copying", b"abc"), Ok(b"ABC".to_vec()));
    }
}
