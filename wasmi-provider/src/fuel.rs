//! Execution budgets in fuel: wasmi's deterministic count of executed guest instructions, and the time a
//! guest spends waiting in WASI, charged at [`WAITING_FUEL_PER_SECOND`].

use std::time::Duration;

use wapc::errors::{Error, ExecutionLimit, Result};
use wasmi::{Engine, Store};

use crate::store::WapcStore;

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

/// The most fuel an async provider's guest runs on before it lets other tasks of its executor run: about 10 ms
/// of guest code on a current machine.
///
/// A [`WasmiEngineProviderAsync`](crate::WasmiEngineProviderAsync) whose engine meters fuel runs guest code in
/// slices of this much fuel; when a slice is used up the guest yields to the executor and resumes with the next
/// one. Slicing does not change what a call may spend: all slices of a call together stay within its
/// [`FuelLimits`], and a call that needs more fails as it would on a blocking provider.
#[cfg(feature = "async")]
pub const FUEL_PER_SLICE: u64 = 10_000_000;

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

    /// What `phase` may spend, or `None` when the engine does not meter fuel.
    fn fuel(&self, phase: Phase) -> Option<u64> {
        match self {
            Budget::Free => None,
            Budget::Unlimited => Some(u64::MAX),
            Budget::Limited(limits) => Some(match phase {
                Phase::Init => limits.wapc_init,
                Phase::Call => limits.wapc_func,
            }),
        }
    }

    /// Fills the store's tank with all `phase` may spend.
    pub(crate) fn arm(&self, store: &mut Store<WapcStore>, phase: Phase) {
        let Some(fuel) = self.fuel(phase) else { return };
        // Cannot fail: the engine meters fuel, or the budget would be `Free`.
        let _ = store.set_fuel(fuel);
        store.data_mut().fuel_reserve = 0;
    }

    /// Fills the store's tank with the first [`FUEL_PER_SLICE`] of what `phase` may spend, keeping the rest in
    /// reserve for [`next_slice`].
    #[cfg(feature = "async")]
    pub(crate) fn arm_sliced(&self, store: &mut Store<WapcStore>, phase: Phase) {
        self.arm(store, phase);
        next_slice(store, 0);
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

/// The fuel a store has left for the running start-up or call: what is in its tank and what is held in reserve
/// for the next slices (async providers only). `None` when the engine does not meter fuel.
#[cfg(any(feature = "wasi", feature = "async"))]
pub(crate) fn fuel_left(ctx: impl wasmi::AsContext<Data = WapcStore>) -> Option<u64> {
    let ctx = ctx.as_context();
    ctx.get_fuel().ok().map(|tank| tank.saturating_add(ctx.data().fuel_reserve))
}

/// Takes `fuel` from what the store has left (the tank first, then the reserve). Returns whether it had that
/// much; if not, it is left with none. A store whose engine does not meter fuel always has enough.
#[cfg(feature = "wasi")]
pub(crate) fn charge(mut ctx: impl wasmi::AsContextMut<Data = WapcStore>, fuel: u64) -> bool {
    let mut ctx = ctx.as_context_mut();
    let Ok(tank) = ctx.get_fuel() else { return true };
    let from_tank = fuel.min(tank);
    let from_reserve = fuel.saturating_sub(from_tank);
    let reserve = &mut ctx.data_mut().fuel_reserve;
    let enough = from_reserve <= *reserve;
    *reserve = reserve.saturating_sub(from_reserve);
    // Cannot fail: the engine meters fuel, or `get_fuel` would have.
    let _ = ctx.set_fuel(tank.saturating_sub(from_tank));
    enough
}

/// Refills the store's tank from its reserve for the next slice of guest code: [`FUEL_PER_SLICE`], or
/// `required` if the guest's next step costs more, or what is left if that is less. Returns `false`, leaving
/// the store as it was, when what is left does not pay for `required`: the budget is spent.
#[cfg(feature = "async")]
pub(crate) fn next_slice(store: &mut Store<WapcStore>, required: u64) -> bool {
    let Some(left) = fuel_left(&*store) else { return true };
    if left < required {
        return false;
    }
    let tank = FUEL_PER_SLICE.max(required).min(left);
    // Cannot fail: the engine meters fuel, or `fuel_left` would be `None`.
    let _ = store.set_fuel(tank);
    store.data_mut().fuel_reserve = left - tank;
    true
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
