//! Waiting in WASI within a call's fuel: the WASI functions that may wait (`poll_oneoff` and `fd_read`, in
//! both previews) are linked through [`link_charged!`], which lets them wait only as long as the store's
//! remaining fuel pays for at [`WAITING_FUEL_PER_SECOND`](crate::WAITING_FUEL_PER_SECOND), and charges the
//! time they waited. The [scheduler](super::sched) and [stdin](super::stdin) read the resulting [`WaitLimit`].
//!
//! The guest of an async provider never blocks its executor. A sleep (`poll_oneoff` on one relative clock, as
//! WASI libc's `sleep` does) returns at once, keeps how long it should have lasted, and suspends the guest
//! for that long ([`Suspended::Sleep`](crate::suspend::Suspended::Sleep)), charged as a blocking wait would be.
//! Any other wait (a read of stdin that has no data, a poll of files that are not ready, a poll of several
//! clocks) cannot be suspended (wasi-common's functions are synchronous, and a poll cannot be run again after
//! waiting: it measures its relative clocks from when it runs). On a multi-thread tokio runtime it runs as a
//! blocking provider's does, within the fuel, inside `tokio::task::block_in_place`, which hands the worker's
//! other tasks to another thread first; on a current-thread runtime, whose one thread runs every task, it ends
//! the call with [`WasiWouldBlock`].

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use wasmi::{Caller, TrapCode};
use wasmi_wasi::wasi_common::I32Exit;
use wiggle::anyhow;

use crate::fuel::{charge, fuel_left, waiting_fuel, waiting_time};
use crate::store::{Waits, WapcStore};

/// Until when the WASI function running in a store may wait (unbounded when the store has no fuel limit).
/// Clones share it: the store keeps one, its WASI context's scheduler and stdin the others.
#[derive(Debug, Clone)]
pub(crate) struct WaitLimit(Arc<Mutex<Limit>>);

#[derive(Debug)]
struct Limit {
    /// Without the `async` feature, guests only ever block.
    #[cfg(feature = "async")]
    waits: Waits,
    /// Until when a blocking store's function may block; `None` for as long as it takes.
    until: Option<Instant>,
    /// How long a suspending store's function asked to sleep.
    #[cfg(feature = "async")]
    sleep: Option<Duration>,
    /// Whether a suspending store's function may block its thread (in `block_in_place`): off a current-thread
    /// runtime.
    #[cfg(feature = "async")]
    may_block: bool,
}

impl WaitLimit {
    /// The limit of a store whose guest waits as `waits` says.
    pub(crate) fn new(waits: Waits) -> Self {
        #[cfg(not(feature = "async"))]
        let Waits::Blocking = waits;
        WaitLimit(Arc::new(Mutex::new(Limit {
            #[cfg(feature = "async")]
            waits,
            until: None,
            #[cfg(feature = "async")]
            sleep: None,
            #[cfg(feature = "async")]
            may_block: false,
        })))
    }

    /// How long waiting may still last, or `None` for as long as it takes. Zero in a suspending store whose
    /// functions may not block.
    pub(crate) fn remaining(&self) -> Option<Duration> {
        let limit = self.lock();
        #[cfg(feature = "async")]
        if limit.waits == Waits::Suspending && !limit.may_block {
            return Some(Duration::ZERO);
        }
        limit.until.map(|until| until.saturating_duration_since(Instant::now()))
    }

    /// The error that ends a wait at the limit: [`OutOfFuel`], or [`WasiWouldBlock`] in a suspending store whose
    /// functions may not block.
    pub(crate) fn reached(&self) -> wasmi_wasi::Error {
        #[cfg(feature = "async")]
        {
            let limit = self.lock();
            if limit.waits == Waits::Suspending && !limit.may_block {
                return wasmi_wasi::Error::trap(anyhow::Error::new(WasiWouldBlock(())));
            }
        }
        wasmi_wasi::Error::trap(anyhow::Error::new(OutOfFuel))
    }

    /// Runs `wait`, a WASI function that may block: as it is in a blocking store; in a suspending one, inside
    /// `block_in_place` on a multi-thread runtime, and with every wait refused (see [`remaining`](Self::remaining))
    /// on a current-thread runtime.
    pub(crate) fn run<R>(&self, wait: impl FnOnce() -> R) -> R {
        #[cfg(feature = "async")]
        if self.lock().waits == Waits::Suspending {
            use tokio::runtime::{Handle, RuntimeFlavor};
            let flavor = Handle::try_current().ok().map(|runtime| runtime.runtime_flavor());
            // Off any runtime, blocking the thread blocks no executor.
            self.lock().may_block = flavor != Some(RuntimeFlavor::CurrentThread);
            return if flavor == Some(RuntimeFlavor::MultiThread) { tokio::task::block_in_place(wait) } else { wait() };
        }
        wait()
    }

    /// In a suspending store, keeps `duration` as the sleep to suspend the guest for once the WASI function
    /// returns, and returns `true`; in a blocking store, returns `false` (the caller sleeps).
    pub(crate) fn defer_sleep(&self, duration: Duration) -> bool {
        #[cfg(feature = "async")]
        {
            let mut limit = self.lock();
            if limit.waits == Waits::Suspending {
                limit.sleep = Some(limit.sleep.unwrap_or_default().saturating_add(duration));
                return true;
            }
        }
        let _ = duration;
        false
    }

    fn set(&self, until: Option<Instant>) {
        self.lock().until = until;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Limit> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Why a wait ended before what it waited for: the call's fuel would not pay for more. [`Wait::end`] turns it
/// into the out-of-fuel trap.
#[derive(Debug, thiserror::Error)]
#[error("the call's fuel does not pay for waiting any longer")]
pub(crate) struct OutOfFuel;

/// Why an async provider's call failed: on a current-thread tokio runtime, its guest called a WASI function that
/// would have blocked the runtime's one thread (a read of stdin that has no data yet, a `poll_oneoff` on files
/// that are not ready or on several clocks). The guests of
/// [`WasmiEngineProviderAsync`](crate::WasmiEngineProviderAsync)s never block their executor: they sleep
/// suspended, wait in `block_in_place` on a multi-thread runtime, and are refused other waits on a
/// current-thread one.
///
/// It is the source of the call's [`Error::Provider`](wapc::errors::Error::Provider):
///
/// ```
/// use wapc::errors::Error;
/// use wasmi_provider::WasiWouldBlock;
///
/// fn would_block(error: &Error) -> bool {
///     matches!(error, Error::Provider(source) if source.is::<WasiWouldBlock>())
/// }
/// ```
#[cfg(feature = "async")]
#[derive(Debug, thiserror::Error)]
#[error("a WASI call would block the current-thread runtime of the async host: only sleeps can wait there")]
pub struct WasiWouldBlock(());

/// A WASI function that may wait, running.
pub(crate) struct Wait {
    started: Instant,
}

impl Wait {
    /// Lets the function about to run wait as long as the store's fuel pays for.
    pub(crate) fn start(caller: &Caller<'_, WapcStore>) -> Self {
        let started = Instant::now();
        let until = fuel_left(caller).and_then(|fuel| started.checked_add(waiting_time(fuel)));
        caller.data().wait_limit.set(until);
        Wait { started }
    }

    /// Charges the time the function took and turns its `result` into the host function's; in a suspending
    /// store, suspends the guest for the sleep the function asked for.
    pub(crate) fn end(
        self,
        caller: &mut Caller<'_, WapcStore>,
        result: Result<i32, anyhow::Error>,
    ) -> Result<i32, wasmi::Error> {
        caller.data().wait_limit.set(None);
        #[cfg(feature = "async")]
        let sleep = caller.data().wait_limit.lock().sleep.take();
        if result.as_ref().is_err_and(|error| error.is::<OutOfFuel>()) {
            charge(&mut *caller, u64::MAX);
            return Err(TrapCode::OutOfFuel.into());
        }
        // A wait that overran its limit a little leaves the store with no fuel, for the guest's next step to fail.
        charge(&mut *caller, waiting_fuel(self.started.elapsed()));
        let value = result.map_err(wasi_error)?;
        #[cfg(feature = "async")]
        if let Some(duration) = sleep {
            // The sleep is charged before it starts: one longer than what is left fails at once, as on a
            // blocking store.
            if !charge(&mut *caller, waiting_fuel(duration)) {
                return Err(TrapCode::OutOfFuel.into());
            }
            let sleep = crate::suspend::Suspended::Sleep { duration, result: value };
            return Err(crate::suspend::suspend(caller.data_mut(), sleep));
        }
        Ok(value)
    }
}

/// A wasi-common failure as a wasmi error: `proc_exit` keeps its status, [`WasiWouldBlock`] its type, the rest
/// their message.
pub(crate) fn wasi_error(error: anyhow::Error) -> wasmi::Error {
    let error = match error.downcast::<I32Exit>() {
        Ok(I32Exit(status)) => return wasmi::Error::i32_exit(status),
        Err(error) => error,
    };
    #[cfg(feature = "async")]
    let error = match error.downcast::<WasiWouldBlock>() {
        Ok(would_block) => return crate::traps::HostFailure(wapc::errors::Error::provider(would_block)).into(),
        Err(error) => error,
    };
    wasmi::Error::new(error.to_string())
}

/// Links `functions` of WASI module `module` (each taking four `i32`s and returning one, as `poll_oneoff` and
/// `fd_read` do) to `snapshot`'s implementation, each run as a [`Wait`].
macro_rules! link_charged {
    ($linker:ident, $module:expr, $snapshot:path, [$($function:ident),*]) => {{
        use $snapshot as snapshot;
        $(
            $linker.func_wrap(
                $module,
                stringify!($function),
                |mut caller: wasmi::Caller<'_, $crate::store::WapcStore>, a: i32, b: i32, c: i32, d: i32| {
                    let wait = $crate::wasi::waiting::Wait::start(&caller);
                    let Some(wasmi::Extern::Memory(memory)) = caller.get_export(wapc::wapc_functions::MEMORY) else {
                        return Err(wasmi::Error::new("WASI needs the guest to export `memory`"));
                    };
                    let (memory, store) = memory.data_and_store_mut(&mut caller);
                    let mut memory = wasmi_wasi::WasmiGuestMemory::Unshared(memory);
                    let call = snapshot::$function(&mut store.wasi, &mut memory, a, b, c, d);
                    let result = store.wait_limit.clone().run(|| $crate::wasi::run_to_completion(call))?;
                    wait.end(&mut caller, result)
                },
            )?;
        )*
    }};
}
pub(crate) use link_charged;
