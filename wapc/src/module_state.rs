//! What a host shares with its engine provider: its id and the host-side handlers guests reach.

use std::panic::{AssertUnwindSafe, catch_unwind};

#[cfg(feature = "async")]
use crate::HostCallbackAsync;
use crate::errors::{Error, Result, panic_message};
use crate::{ConsoleLog, HostCallback};

/// The identity and host-side handlers of one [`WapcHost`](crate::WapcHost) or
/// [`WapcHostAsync`](crate::WapcHostAsync).
///
/// The host hands it to its provider in [`WebAssemblyEngineProvider::init`](crate::WebAssemblyEngineProvider::init);
/// providers rarely need more than [`id`](Self::id) from it (for logs), since the [`abi`](crate::abi) functions
/// find the running call themselves.
pub struct ModuleState {
    id: u64,
    host_callback: Callback,
    console_log: Option<Box<ConsoleLog>>,
}

/// The host callback of a host, in the form its host takes.
pub(crate) enum Callback {
    None,
    /// A [`WapcHost`](crate::WapcHost)'s: runs on the guest's thread, returning the answer.
    Blocking(Box<HostCallback>),
    /// A [`WapcHostAsync`](crate::WapcHostAsync)'s: returns a future of the answer, which the provider awaits.
    #[cfg(feature = "async")]
    Awaiting(Box<HostCallbackAsync>),
}

impl ModuleState {
    pub(crate) fn new(id: u64, host_callback: Callback, console_log: Option<Box<ConsoleLog>>) -> Self {
        ModuleState { id, host_callback, console_log }
    }

    /// The id of the host, the first argument of its host callback.
    #[must_use]
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Runs the host callback. The inner result is what the guest sees (a response, or an error text for
    /// `__host_error`); the outer error means the callback panicked and the call must abort.
    pub(crate) fn host_call(
        &self,
        binding: &str,
        namespace: &str,
        operation: &str,
        payload: &[u8],
    ) -> Result<std::result::Result<Vec<u8>, String>> {
        let callback = match &self.host_callback {
            Callback::None => return Ok(Err(no_callback(binding, namespace, operation))),
            Callback::Blocking(callback) => callback,
            #[cfg(feature = "async")]
            Callback::Awaiting(_) => {
                return Err(Error::provider(
                    "the host callback is async: the provider must link `__host_call` to `abi::host_call_async`",
                ));
            }
        };
        // A panicking callback leaves nothing of the host half-updated: the call's slots are written only after
        // it returns, and the instance the guest was running in is replaced.
        let _span = crate::spans::host_call(binding, namespace, operation).entered();
        match catch_unwind(AssertUnwindSafe(|| callback(self.id, binding, namespace, operation, payload))) {
            Ok(Ok(response)) => Ok(Ok(response)),
            Ok(Err(error)) => Ok(Err(error.to_string())),
            Err(panic) => Err(callback_panicked(&*panic)),
        }
    }

    /// Starts the host callback: the future of what the guest sees, or the answer itself when it is there at
    /// once (no callback, or a blocking one). Panics of the callback, when called or polled, abort the call.
    #[cfg(feature = "async")]
    pub(crate) fn host_call_async(
        &self,
        binding: &str,
        namespace: &str,
        operation: &str,
        payload: &[u8],
    ) -> Result<crate::abi::HostCallFuture> {
        use crate::abi::HostCallFuture;
        match &self.host_callback {
            Callback::Awaiting(callback) => {
                let span = crate::spans::host_call(binding, namespace, operation);
                let (binding, namespace, operation) = (binding.to_owned(), namespace.to_owned(), operation.to_owned());
                let started = span.in_scope(|| {
                    catch_unwind(AssertUnwindSafe(|| {
                        callback(self.id, binding, namespace, operation, payload.to_vec())
                    }))
                });
                started.map(|future| HostCallFuture::pending(future, span)).map_err(|panic| callback_panicked(&*panic))
            }
            _ => self.host_call(binding, namespace, operation, payload).map(HostCallFuture::ready),
        }
    }

    /// Hands a guest's log line to the console-log handler, or, when none was given, makes it a `tracing` event
    /// at info level, target `wapc::guest`, with the host's id in its field `host` (and, while no tracing
    /// subscriber has been set, a `log` record of the same target and level, ending `host=<id>`).
    pub(crate) fn console_log(&self, message: &str) {
        match &self.console_log {
            Some(handler) => handler(self.id, message),
            None => {
                tracing::info!(target: "wapc::guest", host = self.id, "{message}");
                if !tracing::dispatcher::has_been_set() {
                    log::info!(target: "wapc::guest", "{message} host={}", self.id);
                }
            }
        }
    }
}

impl std::fmt::Debug for ModuleState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModuleState")
            .field("id", &self.id)
            .field("host_callback", &!matches!(self.host_callback, Callback::None))
            .field("console_log", &self.console_log.is_some())
            .finish()
    }
}

fn no_callback(binding: &str, namespace: &str, operation: &str) -> String {
    format!("no host callback is registered to handle {binding}/{namespace}/{operation}")
}

/// The error of a call whose host callback panicked.
pub(crate) fn callback_panicked(panic: &(dyn std::any::Any + Send)) -> Error {
    Error::HostCallback(Box::new(CallbackPanicked(panic_message(panic))))
}

/// The source of [`Error::HostCallback`] when the callback panicked.
#[derive(Debug, thiserror::Error)]
#[error("the host callback panicked: {0}")]
pub struct CallbackPanicked(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_callback_is_an_error_for_the_guest() {
        let state = ModuleState::new(1, Callback::None, None);
        let answer = state.host_call("b", "ns", "op", b"").unwrap();
        assert_eq!(answer, Err("no host callback is registered to handle b/ns/op".to_owned()));
    }

    #[test]
    fn callback_errors_reach_the_guest_as_text_and_panics_abort() {
        let callback: Box<HostCallback> = Box::new(|_, _, _, op, _| match op {
            "fail" => Err("nope".into()),
            "panic" => panic!("callback exploded"),
            _ => Ok(b"fine".to_vec()),
        });
        let state = ModuleState::new(1, Callback::Blocking(callback), None);
        assert_eq!(state.host_call("", "", "ok", b"").unwrap(), Ok(b"fine".to_vec()));
        assert_eq!(state.host_call("", "", "fail", b"").unwrap(), Err("nope".to_owned()));
        match state.host_call("", "", "panic", b"") {
            Err(Error::HostCallback(source)) => {
                assert_eq!(source.to_string(), "the host callback panicked: callback exploded");
            }
            other => panic!("expected a host callback error, got {other:?}"),
        }
    }
}
