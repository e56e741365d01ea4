//! [`ModuleHostAsync`] and [`Invocation`]: upstream's interface between an async host and its provider, for
//! providers written against upstream `wapc` 2.x.

use std::error::Error;

use crate::ModuleStateAsync;
use crate::abi::Region;
use crate::active_call::ActiveCall;

/// An operation and its payload, as upstream's [`ModuleHostAsync::get_guest_request`] returns them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    /// The operation the guest is asked to run.
    pub operation: String,
    /// Its payload.
    pub msg: Vec<u8>,
}

/// What an async engine provider written for upstream `wapc` 2.x calls on the host's state, with upstream's
/// signatures: the running call's request and answers, and the host callback.
///
/// This project's providers call the [`abi`](crate::abi) functions instead, which also check the guest's
/// pointers and text; [`ModuleStateAsync`] implements this trait for providers that do it upstream's way. Each
/// method acts on the call that is running (the call whose future is being polled), so a provider calls them
/// from inside its [`call`](crate::WebAssemblyEngineProviderAsync::call); outside a call, the getters return
/// `None`, the setters do nothing, and [`do_host_call`](Self::do_host_call) fails.
///
/// ```
/// use wapc::{ModuleHostAsync, ModuleStateAsync};
///
/// async fn answer_with_the_request(host: &ModuleStateAsync) {
///     if let Some(request) = host.get_guest_request().await {
///         host.set_guest_response(request.msg).await;
///     }
/// }
/// ```
#[async_trait::async_trait]
pub trait ModuleHostAsync {
    /// The running call's operation and payload.
    async fn get_guest_request(&self) -> Option<Invocation>;
    /// The answer of the last host call, if it succeeded.
    async fn get_host_response(&self) -> Option<Vec<u8>>;
    /// Records the guest's error text for the running call.
    async fn set_guest_error(&self, error: String);
    /// Records the guest's response for the running call.
    async fn set_guest_response(&self, response: Vec<u8>);
    /// The error text of the last host call, if it failed.
    async fn get_host_error(&self) -> Option<String>;
    /// Runs the host callback: 1 when it succeeded (its answer is then
    /// [`get_host_response`](Self::get_host_response)'s), 0 when it failed (its text is then
    /// [`get_host_error`](Self::get_host_error)'s).
    ///
    /// # Errors
    /// When no call is running, or the callback panicked.
    async fn do_host_call(
        &self,
        binding: &str,
        namespace: &str,
        operation: &str,
        payload: &[u8],
    ) -> Result<i32, Box<dyn Error>>;
    /// Hands a log line of the guest to the host's console-log handler.
    async fn do_console_log(&self, msg: &str);
}

#[async_trait::async_trait]
impl ModuleHostAsync for ModuleStateAsync {
    async fn get_guest_request(&self) -> Option<Invocation> {
        ActiveCall::with_current(|call| {
            let request = call?.request?;
            Some(Invocation { operation: request.operation.to_owned(), msg: request.payload.to_vec() })
        })
    }

    async fn get_host_response(&self) -> Option<Vec<u8>> {
        ActiveCall::with_current(|call| peek(&call?.host_response))
    }

    async fn set_guest_error(&self, error: String) {
        ActiveCall::with_current(|call| call.map(|call| call.guest_error.set(Some(error))));
    }

    async fn set_guest_response(&self, response: Vec<u8>) {
        ActiveCall::with_current(|call| call.map(|call| call.guest_response.set(Some(response))));
    }

    async fn get_host_error(&self) -> Option<String> {
        ActiveCall::with_current(|call| peek(&call?.host_error))
    }

    async fn do_host_call(
        &self,
        binding: &str,
        namespace: &str,
        operation: &str,
        payload: &[u8],
    ) -> Result<i32, Box<dyn Error>> {
        // The arguments, laid out as a guest's memory would hold them, go through the ABI's own `__host_call`.
        let memory = [binding.as_bytes(), namespace.as_bytes(), operation.as_bytes(), payload].concat();
        let mut at = 0;
        let mut region = |len: usize| -> Result<Region, Box<dyn Error>> {
            let region = Region::new(i32::try_from(at)?, i32::try_from(len)?);
            at += len;
            Ok(region)
        };
        let regions =
            [region(binding.len())?, region(namespace.len())?, region(operation.len())?, region(payload.len())?];
        let [binding, namespace, operation, payload] = regions;
        let answer = crate::abi::host_call_async(memory.as_slice(), binding, namespace, operation, payload)?;
        Ok(answer.await?)
    }

    async fn do_console_log(&self, msg: &str) {
        self.console_log(msg);
    }
}

/// A copy of what a call's slot holds, leaving it there.
fn peek<T: Clone>(slot: &std::cell::Cell<Option<T>>) -> Option<T> {
    let value = slot.take();
    slot.set(value.clone());
    value
}
