//! Execution budgets in fuel: wasmi's deterministic count of executed guest instructions.

use wapc::errors::{Error, ExecutionLimit, Result};
use wasmi::{Engine, Store};

/// Fuel limits, mirroring wasmtime-provider's `EpochDeadlines`: how much fuel the start functions
/// (`_start`, `_initialize`, `wapc_init`, together) and each call may use. A call that runs out fails with
/// [`Error::DeadlineExceeded`]`(`[`ExecutionLimit::Fuel`]`)`.
///
/// Fuel counts guest instructions (roughly one unit per instruction, more for memory bulk operations), not
/// time: the same call on the same input uses the same fuel on every machine, and time the guest spends
/// waiting in host callbacks uses none. wasmtime's deadlines are the opposite: wall-clock time, callbacks
/// included.
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
