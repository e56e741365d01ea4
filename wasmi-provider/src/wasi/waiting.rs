//! Waiting in WASI within a call's fuel: the WASI functions that may wait (`poll_oneoff` and `fd_read`, in
//! both previews) are linked through [`link_charged!`], which lets them wait only as long as the store's
//! remaining fuel pays for at [`WAITING_FUEL_PER_SECOND`](crate::WAITING_FUEL_PER_SECOND), and charges the
//! time they waited. The [scheduler](super::sched) and [stdin](super::stdin) read the resulting [`WaitLimit`].

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use wasmi::{Caller, TrapCode};
use wasmi_wasi::wasi_common::I32Exit;
use wiggle::anyhow;

use crate::fuel::{waiting_fuel, waiting_time};
use crate::store::WapcStore;

/// Until when the WASI function running in a store may wait (unbounded when the store has no fuel limit).
/// Clones share it: the store keeps one, its WASI context's scheduler and stdin the others.
#[derive(Debug, Clone, Default)]
pub(crate) struct WaitLimit(Arc<Mutex<Option<Instant>>>);

impl WaitLimit {
    /// How long waiting may still last, or `None` for as long as it takes.
    pub(crate) fn remaining(&self) -> Option<Duration> {
        self.until().map(|until| until.saturating_duration_since(Instant::now()))
    }

    fn until(&self) -> Option<Instant> {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn set(&self, until: Option<Instant>) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = until;
    }
}

/// Why a wait ended before what it waited for: the call's fuel would not pay for more. [`Wait::end`] turns it
/// into the out-of-fuel trap.
#[derive(Debug, thiserror::Error)]
#[error("the call's fuel does not pay for waiting any longer")]
pub(crate) struct OutOfFuel;

/// The WASI error that ends a wait at its [`WaitLimit`].
pub(crate) fn out_of_fuel() -> wasmi_wasi::Error {
    wasmi_wasi::Error::trap(anyhow::Error::new(OutOfFuel))
}

/// A WASI function that may wait, running.
pub(crate) struct Wait {
    /// The store's fuel when it started, if the engine meters fuel.
    fuel: Option<u64>,
    started: Instant,
}

impl Wait {
    /// Lets the function about to run wait as long as the store's fuel pays for.
    pub(crate) fn start(caller: &Caller<'_, WapcStore>) -> Self {
        let (fuel, started) = (caller.get_fuel().ok(), Instant::now());
        caller.data().wait_limit.set(fuel.and_then(|fuel| started.checked_add(waiting_time(fuel))));
        Wait { fuel, started }
    }

    /// Charges the time the function took and turns its `result` into the host function's.
    pub(crate) fn end(
        self,
        caller: &mut Caller<'_, WapcStore>,
        result: Result<i32, anyhow::Error>,
    ) -> Result<i32, wasmi::Error> {
        caller.data().wait_limit.set(None);
        let out_of_fuel = result.as_ref().is_err_and(|error| error.is::<OutOfFuel>());
        if let Some(fuel) = self.fuel {
            let left = if out_of_fuel { 0 } else { fuel.saturating_sub(waiting_fuel(self.started.elapsed())) };
            // Cannot fail: the engine meters fuel, or `fuel` would be `None`.
            let _ = caller.set_fuel(left);
        }
        match result {
            Ok(value) => Ok(value),
            Err(_) if out_of_fuel => Err(TrapCode::OutOfFuel.into()),
            Err(error) => Err(wasi_error(error)),
        }
    }
}

/// A wasi-common failure as a wasmi error: `proc_exit` keeps its status, the rest their message.
pub(crate) fn wasi_error(error: anyhow::Error) -> wasmi::Error {
    match error.downcast::<I32Exit>() {
        Ok(I32Exit(status)) => wasmi::Error::i32_exit(status),
        Err(error) => wasmi::Error::new(error.to_string()),
    }
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
                    let result = $crate::wasi::run_to_completion(call)?;
                    wait.end(&mut caller, result)
                },
            )?;
        )*
    }};
}
pub(crate) use link_charged;
