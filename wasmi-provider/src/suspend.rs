//! Suspending the guest of an async provider: an import that has to wait stores what it waits for in the store
//! ([`WapcStore::suspended`]) and returns the [`Suspend`] host error, which ends wasmi's resumable call in a
//! resumable state. The provider awaits the [`Suspended`] outside guest code and resumes the call with its
//! answer, the import's result.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use wapc::abi::HostCallFuture;
use wapc::errors::{Error, Result};

use crate::store::WapcStore;

/// The host error with which an import suspends the guest; what it waits for is in
/// [`WapcStore::suspended`].
#[derive(Debug)]
pub(crate) struct Suspend;

impl fmt::Display for Suspend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the guest is suspended while its host waits")
    }
}

impl wasmi::errors::HostError for Suspend {}

/// What a suspended guest waits for; its answer is what the import that suspended it returns.
pub(crate) enum Suspended {
    /// A host callback's answer, from [`wapc::abi::host_call_async`].
    HostCall(HostCallFuture),
    /// A WASI sleep whose WASI function has already run: `result` once `duration` has passed.
    #[cfg(feature = "wasi")]
    Sleep { duration: std::time::Duration, result: i32 },
}

impl Suspended {
    /// Waits for the answer.
    ///
    /// # Errors
    /// Those of the host call ([`Error::HostCallback`] when the callback panicked).
    pub(crate) async fn answer(self) -> Result<i32> {
        match self {
            Suspended::HostCall(answer) => answer.await,
            #[cfg(feature = "wasi")]
            Suspended::Sleep { duration, result } => {
                tokio::time::sleep(duration).await;
                Ok(result)
            }
        }
    }
}

/// Returns a host call's answer at once if it is ready (a callback that needs not wait, or none), and
/// otherwise suspends the guest on it.
///
/// Answering at once keeps host calls that need not wait as cheap as on a blocking provider, and lets them
/// work where wasmi cannot suspend the guest (a wasm `start` function, a host call in tail position of the
/// called function). The future is polled again, with the executor's waker, once the guest is suspended.
pub(crate) fn host_call(store: &mut WapcStore, mut answer: HostCallFuture) -> Result<i32, wasmi::Error> {
    match Pin::new(&mut answer).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(code) => Ok(code.map_err(crate::traps::HostFailure)?),
        Poll::Pending => Err(suspend(store, Suspended::HostCall(answer))),
    }
}

/// Keeps `suspended` in the store and returns the error that suspends the guest.
pub(crate) fn suspend(store: &mut WapcStore, suspended: Suspended) -> wasmi::Error {
    *store.suspended.get_mut() = Some(suspended);
    wasmi::Error::host(Suspend)
}

/// What the guest of `store` was suspended on, taken.
///
/// # Errors
/// [`Error::Provider`] if nothing is (an import returned [`Suspend`] without keeping what it waits for).
pub(crate) fn take(store: &mut WapcStore) -> Result<Suspended> {
    store.suspended.get_mut().take().ok_or_else(|| Error::provider("the guest was suspended on nothing"))
}

/// The error for a guest that had to be suspended where wasmi cannot resume it.
#[cold]
pub(crate) fn not_resumable() -> Error {
    Error::provider(
        "an import had to wait (for a host call or a WASI sleep) where the guest cannot be suspended: in a wasm \
         `start` function, or called in tail position of the function the host called",
    )
}
