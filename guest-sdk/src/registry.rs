//! The operations a guest has registered, and dispatching a call to one of them.

use std::cell::RefCell;

use crate::CallResult;

/// A handler of one operation: the payload in, the response (or an error) out.
pub type HandlerSignature = fn(&[u8]) -> CallResult;

thread_local! {
    // WebAssembly guests are single-threaded: a thread-local is a plain static there, with no lock to take.
    static REGISTRY: RefCell<Vec<(Box<[u8]>, HandlerSignature)>> = const { RefCell::new(Vec::new()) };
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
    REGISTRY.with_borrow_mut(|registry| {
        match registry.iter_mut().find(|(registered, _)| **registered == *name.as_bytes()) {
            Some(entry) => entry.1 = handler,
            None => registry.push((name.as_bytes().into(), handler)),
        }
    });
}

/// Runs the handler of `operation`, or fails with upstream waPC's message when there is none.
#[cfg(any(target_family = "wasm", test))]
pub(crate) fn dispatch(operation: &[u8], payload: &[u8]) -> Result<Vec<u8>, String> {
    // The handler is copied out before it runs, so it may itself register functions.
    let handler = REGISTRY.with_borrow(|registry| {
        registry.iter().find(|(registered, _)| **registered == *operation).map(|(_, handler)| *handler)
    });
    match handler {
        Some(handler) => handler(payload).map_err(|error| error.to_string()),
        None => Err(format!("No handler registered for function {}", String::from_utf8_lossy(operation))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upper(payload: &[u8]) -> CallResult {
        Ok(payload.to_ascii_uppercase())
    }

    fn refuse(_: &[u8]) -> CallResult {
        Err("refused".into())
    }

    fn register_more(_: &[u8]) -> CallResult {
        register_function("late", upper);
        Ok(Vec::new())
    }

    #[test]
    fn dispatch_finds_the_handler_by_exact_name() {
        register_function("upper", upper);
        register_function("refuse", refuse);
        assert_eq!(dispatch(b"upper", b"abc"), Ok(b"ABC".to_vec()));
        assert_eq!(dispatch(b"refuse", b""), Err("refused".to_owned()));
        assert_eq!(dispatch(b"uppe", b""), Err("No handler registered for function uppe".to_owned()));
    }

    #[test]
    fn registering_again_replaces_and_handlers_may_register() {
        register_function("op", refuse);
        register_function("op", upper);
        assert_eq!(dispatch(b"op", b"x"), Ok(b"X".to_vec()));
        register_function("register", register_more);
        assert_eq!(dispatch(b"register", b""), Ok(Vec::new()));
        assert_eq!(dispatch(b"late", b"y"), Ok(b"Y".to_vec()));
    }
}
