//! Execution budgets in fuel: wasmi's deterministic count of executed guest instructions, and the time a
//! guest spends waiting in WASI, charged at [`WAITING_FUEL_PER_SECOND`].

use std::time::Duration;

use wapc::errors::{Error, ExecutionLimit, Result};
use wasmi::{Engine, Store};

/// What waiting costs a guest: the fuel a second spent blocked in a WASI call (a `poll_oneoff` sleep, a read
/// of stdin) uses, about what wasmi executes in a second on a current machine.
///
/// A wait that would last longer than the call's remaining fuel pays for ends the call with
/// [`Error::DeadlineExceeded`]`(`[`ExecutionLimit::Fuel`]`)` as running out of fuel does: a sleep at once, a read
/// of stdin when its time is up. Without a fuel limit, waits are as long as the guest asks (upstream's
/// behaviour). The same rate says how long a caller waits for an instance that another call holds.
pub const WAITING_FUEL_PER_SECOND: u64 = 1_000_000_000;

const NANOS_PER_SECOND: u128 = 1_000_000_000;

/// How long `fuel` pays for waiting.
pub(crate) fn waiting_time(fuel: u64) -> Duration {
    let nanos = u128::from(fuel) * NANOS_PER_SECOND / u128::from(WAITING_FUEL_PER_SECOND);
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
}

/// What waiting for `time` costs.
#[cfg_attr(not(feature = "wasi"), allow(dead_code))]
pub(crate) fn waiting_fuel(time: Duration) -> u64 {
    u64::try_from(time.as_nanos() * u128::from(WAITING_FUEL_PER_SECOND) / NANOS_PER_SECOND).unwrap_or(u64::MAX)
}

/// Fuel limits, mirroring wasmtime-provider's `EpochDeadlines`: how much fuel the start functions
/// (`_start`, `_initialize`, `wapc_init`, together) and each call may use. A call that runs out fails with
/// [`Error::DeadlineExceeded`]`(`[`ExecutionLimit::Fuel`]`)`.
///
/// Fuel counts guest instructions (roughly one unit per instruction, more for memory bulk operations), not
/// time: the same call on the same input uses the same fuel on every machine, and time the guest spends
/// waiting in host callbacks uses none. wasmtime's deadlines are the opposite: wall-clock time, callbacks
/// included. Time a guest spends blocked in WASI (sleeping, reading stdin) is charged at
/// [`WAITING_FUEL_PER_SECOND`], so a budget bounds it too.
///
/// ```
/// use wasmi_provider::{FuelLimits, WasmiEngineProviderBuilder};
///
/// let builder =
///     WasmiEngineProviderBuilder::new().enable_fuel_limits(FuelLimits { wapc_init: 10_000_000, wapc_func: 1_000_000 });
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FuelLimits {
    /// Fuel the start functions may use, together.
    pub wapc_init: u64,
    /// Fuel each call may use.
    pub wapc_func: u64,
}

/// Whether a budget is armed for start functions or for a call.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Phase {
    Init,
    Call,
}

/// What one instance may spend per start-up and per call.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Budget {
    /// The engine does not meter fuel: there is nothing to arm.
    Free,
    /// The engine meters fuel (it is shared with limited providers), but this provider has no limit.
    Unlimited,
    Limited(FuelLimits),
}

impl Budget {
    /// The budget of `limits` on `engine`.
    ///
    /// # Errors
    /// [`Error::Provider`] when limits are asked of an engine that does not meter fuel.
    pub(crate) fn new(engine: &Engine, limits: Option<FuelLimits>) -> Result<Self> {
        match (limits, meters_fuel(engine)) {
            (Some(limits), true) => Ok(Budget::Limited(limits)),
            (Some(_), false) => Err(Error::provider("fuel limits need an engine with `Config::consume_fuel(true)`")),
            (None, true) => Ok(Budget::Unlimited),
            (None, false) => Ok(Budget::Free),
        }
    }

    /// Fills the store's tank for `phase`.
    pub(crate) fn arm<T>(&self, store: &mut Store<T>, phase: Phase) {
        let fuel = match self {
            Budget::Free => return,
            Budget::Unlimited => u64::MAX,
            Budget::Limited(limits) => match phase {
                Phase::Init => limits.wapc_init,
                Phase::Call => limits.wapc_func,
            },
        };
        // Cannot fail: the engine meters fuel, or the budget would be `Free`.
        let _ = store.set_fuel(fuel);
    }

    /// How long one call may hold the instance: the time its budget pays for at [`WAITING_FUEL_PER_SECOND`].
    /// A call runs about that long when it spends its fuel on instructions or on waiting, so a caller
    /// waiting longer for the instance is most likely in a cycle of host callbacks.
    pub(crate) fn call_time(&self) -> Option<Duration> {
        match self {
            Budget::Limited(limits) => Some(waiting_time(limits.wapc_func)),
            Budget::Free | Budget::Unlimited => None,
        }
    }

    /// The limit that running out of fuel in `phase` means.
    pub(crate) fn limit(&self, phase: Phase) -> ExecutionLimit {
        match (self, phase) {
            (Budget::Limited(limits), Phase::Init) => ExecutionLimit::Fuel(limits.wapc_init),
            (Budget::Limited(limits), Phase::Call) => ExecutionLimit::Fuel(limits.wapc_func),
            (Budget::Free | Budget::Unlimited, _) => ExecutionLimit::Fuel(u64::MAX),
        }
    }
}

/// Whether `engine` was configured with `Config::consume_fuel(true)`.
fn meters_fuel(engine: &Engine) -> bool {
    Store::new(engine, ()).get_fuel().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiting_costs_a_unit_of_fuel_per_nanosecond() {
        assert_eq!(waiting_time(50_000_000), Duration::from_millis(50));
        assert_eq!(waiting_fuel(Duration::from_millis(50)), 50_000_000);
        assert_eq!(waiting_time(u64::MAX), Duration::from_nanos(u64::MAX));
        assert_eq!(waiting_fuel(Duration::MAX), u64::MAX);
    }
}
