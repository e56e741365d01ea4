//! Execution budgets: the per-call wall-clock deadline on one shared epoch ticker per engine, and upstream's
//! embedder-driven [`EpochDeadlines`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use parking_lot::Mutex;
use wapc::errors::ExecutionLimit;
use wasmtime::{Engine, EngineWeak, Store};

use crate::store::WapcStore;

/// Epoch-tick limits, in ticks the embedder drives with [`wasmtime::Engine::increment_epoch`] (upstream waPC's
/// meaning: no ticker is started, a tick lasts as long as the embedder decides).
///
/// ```
/// use wasmtime_provider::{EpochDeadlines, WasmtimeEngineProviderBuilder};
///
/// let builder = WasmtimeEngineProviderBuilder::new()
///     .enable_epoch_interruptions(EpochDeadlines { wapc_init: 10, wapc_func: 2 });
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EpochDeadlines {
    /// Ticks the start functions (`_start`, `_initialize`, `wapc_init`) may run for.
    pub wapc_init: u64,
    /// Ticks each call may run for.
    pub wapc_func: u64,
}

/// How often the shared ticker advances an engine's epoch: the resolution of wall-clock deadlines.
pub const DEADLINE_TICK: Duration = Duration::from_millis(5);

/// The epoch deadline of a store that has no budget (epochs may still be on in a shared engine).
const UNLIMITED_TICKS: u64 = u64::MAX / 2;

/// What one instance may spend per start-up and per call.
#[derive(Debug, Clone)]
pub(crate) enum Budget {
    /// The engine does not interrupt: there is nothing to arm.
    Free,
    /// The engine interrupts (it is shared with limited providers), but this provider has no limit.
    Unlimited,
    /// The engine interrupts, driven by this provider's ticker, for an async guest to yield at every tick; no
    /// limit.
    #[cfg(feature = "async")]
    Ticking {
        /// Keeps the engine's ticker running.
        #[allow(dead_code)]
        ticker: Arc<Ticker>,
    },
    EpochTicks(EpochDeadlines),
    WallClock {
        init: Duration,
        call: Duration,
        /// Keeps the engine's ticker running (and, with WASI, tells its ticks).
        #[cfg_attr(not(any(feature = "wasi", feature = "async")), allow(dead_code))]
        ticker: Arc<Ticker>,
    },
}

/// Whether a budget is armed for start functions or for a call.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Phase {
    Init,
    Call,
}

impl Budget {
    /// A wall-clock budget, sharing `engine`'s ticker thread (started if this is its first user).
    pub(crate) fn wall_clock(engine: &Engine, init: Duration, call: Duration) -> Self {
        Budget::WallClock { init, call, ticker: Ticker::for_engine(engine) }
    }

    /// The deadline a store of this budget keeps for its blocking WASI calls, armed with the epoch deadline:
    /// only wall-clock budgets say how long a call may take.
    #[cfg(feature = "wasi")]
    pub(crate) fn tick_deadline(&self) -> Option<TickDeadline> {
        match self {
            Budget::WallClock { ticker, .. } => Some(TickDeadline { ticker: Arc::clone(ticker), tick: 0 }),
            _ => None,
        }
    }

    /// Sets the store's epoch deadline for `phase`, and the tick its blocking WASI calls must end by.
    #[inline]
    pub(crate) fn arm(&self, store: &mut Store<WapcStore>, phase: Phase) {
        let ticks = match (self, phase) {
            (Budget::Free, _) => return,
            (Budget::Unlimited, _) => UNLIMITED_TICKS,
            #[cfg(feature = "async")]
            (Budget::Ticking { .. }, _) => UNLIMITED_TICKS,
            (Budget::EpochTicks(deadlines), Phase::Init) => deadlines.wapc_init,
            (Budget::EpochTicks(deadlines), Phase::Call) => deadlines.wapc_func,
            (Budget::WallClock { init, .. }, Phase::Init) => ticks_for(*init),
            (Budget::WallClock { call, .. }, Phase::Call) => ticks_for(*call),
        };
        store.set_epoch_deadline(ticks);
        #[cfg(feature = "wasi")]
        if let Some(deadline) = &mut store.data_mut().wasi_deadline {
            deadline.tick = deadline.ticker.ticks().saturating_add(ticks);
        }
    }

    /// The limit an interruption in `phase` means.
    pub(crate) fn limit(&self, phase: Phase) -> ExecutionLimit {
        match (self, phase) {
            (Budget::EpochTicks(deadlines), Phase::Init) => ExecutionLimit::EpochTicks(deadlines.wapc_init),
            (Budget::EpochTicks(deadlines), Phase::Call) => ExecutionLimit::EpochTicks(deadlines.wapc_func),
            (Budget::WallClock { init, .. }, Phase::Init) => ExecutionLimit::WallClock(*init),
            (Budget::WallClock { call, .. }, Phase::Call) => ExecutionLimit::WallClock(*call),
            (Budget::Free | Budget::Unlimited, _) => ExecutionLimit::EpochTicks(UNLIMITED_TICKS),
            #[cfg(feature = "async")]
            (Budget::Ticking { .. }, _) => ExecutionLimit::EpochTicks(UNLIMITED_TICKS),
        }
    }

    /// A budget with no limit whose guests yield at every tick of `engine`'s ticker (started if this is its
    /// first user).
    #[cfg(feature = "async")]
    pub(crate) fn ticking(engine: &Engine) -> Self {
        Budget::Ticking { ticker: Ticker::for_engine(engine) }
    }

    /// Arms an async store for `phase`: its guest yields to the executor at every epoch tick, and is
    /// interrupted at the tick that exhausts the budget.
    #[cfg(feature = "async")]
    pub(crate) fn arm_async(&self, store: &mut Store<WapcStore>, phase: Phase) {
        let limit = match (self, phase) {
            (Budget::Free, _) => return,
            (Budget::Unlimited | Budget::Ticking { .. }, _) => TickLimit::None,
            (Budget::EpochTicks(deadlines), Phase::Init) => TickLimit::Ticks(deadlines.wapc_init),
            (Budget::EpochTicks(deadlines), Phase::Call) => TickLimit::Ticks(deadlines.wapc_func),
            (Budget::WallClock { init, ticker, .. }, Phase::Init) => {
                TickLimit::Deadline(TickDeadline::after(ticker, *init))
            }
            (Budget::WallClock { call, ticker, .. }, Phase::Call) => {
                TickLimit::Deadline(TickDeadline::after(ticker, *call))
            }
        };
        store.set_epoch_deadline(1);
        store.data_mut().tick_limit = limit;
    }

    /// Runs `future`, guest code of an async store in `phase`, and gives it up when the wall-clock limit passes
    /// while the guest waits (in a host call, or in WASI), where no tick can interrupt it: as an epoch
    /// interruption ends it when it runs.
    #[cfg(feature = "async")]
    pub(crate) async fn within<R>(
        &self,
        phase: Phase,
        future: impl Future<Output = wasmtime::Result<R>>,
    ) -> wasmtime::Result<R> {
        let limit = match (self, phase) {
            (Budget::WallClock { init, .. }, Phase::Init) => *init,
            (Budget::WallClock { call, .. }, Phase::Call) => *call,
            _ => return future.await,
        };
        tokio::time::timeout(limit, future)
            .await
            .unwrap_or_else(|_| Err(wasmtime::Error::new(wasmtime::Trap::Interrupt)))
    }

    /// The wall-clock limit of one call, if there is one.
    pub(crate) fn call_deadline(&self) -> Option<Duration> {
        match self {
            Budget::WallClock { call, .. } => Some(*call),
            _ => None,
        }
    }
}

/// When an async store's guest must stop, checked at each epoch tick, where it otherwise yields to the executor.
#[cfg(feature = "async")]
#[derive(Debug, Clone, Default)]
pub(crate) enum TickLimit {
    /// Never: the guest only yields.
    #[default]
    None,
    /// After this many more ticks (embedder-driven [`EpochDeadlines`]).
    Ticks(u64),
    /// Once the wall-clock deadline has passed.
    Deadline(TickDeadline),
}

#[cfg(feature = "async")]
impl TickLimit {
    /// What an async store does at an epoch tick: yield and carry on for one more tick, or stop.
    pub(crate) fn on_tick(&mut self) -> wasmtime::UpdateDeadline {
        let exhausted = match self {
            TickLimit::None => false,
            TickLimit::Ticks(left) => {
                *left = left.saturating_sub(1);
                *left == 0
            }
            TickLimit::Deadline(deadline) => deadline.remaining().is_zero(),
        };
        if exhausted { wasmtime::UpdateDeadline::Interrupt } else { wasmtime::UpdateDeadline::Yield(1) }
    }
}

/// Ticks to allow for `duration`: never fewer than the duration needs, however the ticks fall.
fn ticks_for(duration: Duration) -> u64 {
    let whole = duration.as_nanos().div_ceil(DEADLINE_TICK.as_nanos());
    u64::try_from(whole).unwrap_or(UNLIMITED_TICKS).saturating_add(1).min(UNLIMITED_TICKS)
}

/// When a call's wall-clock deadline passes, in ticks of its engine's [`Ticker`]: the tick at which the epoch
/// interruption stops guest code, and by which a blocking WASI call must give up. Reading it costs an atomic
/// load, where a clock reading on every call would cost more than a tenth of the call.
#[cfg(any(feature = "wasi", feature = "async"))]
#[derive(Debug, Clone)]
pub(crate) struct TickDeadline {
    ticker: Arc<Ticker>,
    tick: u64,
}

#[cfg(any(feature = "wasi", feature = "async"))]
impl TickDeadline {
    /// The tick by which `duration` will have passed, from now.
    #[cfg(feature = "async")]
    fn after(ticker: &Arc<Ticker>, duration: Duration) -> Self {
        TickDeadline { ticker: Arc::clone(ticker), tick: ticker.ticks().saturating_add(ticks_for(duration)) }
    }

    /// How long until the deadline passes, to the tick (zero once it has).
    pub(crate) fn remaining(&self) -> Duration {
        let ticks = self.tick.saturating_sub(self.ticker.ticks());
        DEADLINE_TICK.saturating_mul(u32::try_from(ticks).unwrap_or(u32::MAX))
    }
}

/// A thread advancing one engine's epoch every [`DEADLINE_TICK`] while any provider holds its `Arc`, and
/// counting its ticks.
pub(crate) struct Ticker {
    engine: EngineWeak,
    ticks: AtomicU64,
}

impl std::fmt::Debug for Ticker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ticker").field("engine_alive", &self.engine.upgrade().is_some()).finish()
    }
}

/// The tickers that may still be running, one per engine.
static TICKERS: Mutex<Vec<Weak<Ticker>>> = Mutex::new(Vec::new());

impl Ticker {
    fn for_engine(engine: &Engine) -> Arc<Ticker> {
        let mut tickers = TICKERS.lock();
        tickers.retain(|ticker| ticker.strong_count() > 0);
        let existing = tickers
            .iter()
            .filter_map(Weak::upgrade)
            .find(|ticker| ticker.engine.upgrade().is_some_and(|e| Engine::same(&e, engine)));
        if let Some(ticker) = existing {
            return ticker;
        }
        let ticker = Arc::new(Ticker { engine: engine.weak(), ticks: AtomicU64::new(0) });
        tickers.push(Arc::downgrade(&ticker));
        let weak = Arc::downgrade(&ticker);
        std::thread::Builder::new()
            .name("wapc-epoch-ticker".into())
            .spawn(move || Self::run(&weak))
            .map_or_else(|e| wapc::__event!(error, "cannot start the deadline ticker thread: {e}"), drop);
        ticker
    }

    /// How many ticks have passed since the ticker started.
    #[cfg(any(feature = "wasi", feature = "async"))]
    pub(crate) fn ticks(&self) -> u64 {
        self.ticks.load(Ordering::Relaxed)
    }

    fn run(ticker: &Weak<Ticker>) {
        loop {
            std::thread::sleep(DEADLINE_TICK);
            let Some(ticker) = ticker.upgrade() else { return };
            let Some(engine) = ticker.engine.upgrade() else { return };
            ticker.ticks.fetch_add(1, Ordering::Relaxed);
            engine.increment_epoch();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_never_cut_a_deadline_short() {
        assert_eq!(ticks_for(Duration::ZERO), 1);
        assert_eq!(ticks_for(DEADLINE_TICK), 2);
        assert_eq!(ticks_for(DEADLINE_TICK + Duration::from_nanos(1)), 3);
        assert_eq!(ticks_for(Duration::MAX), UNLIMITED_TICKS);
    }

    #[cfg(feature = "wasi")]
    #[test]
    fn tick_deadlines_count_down_in_ticks() {
        let ticker = Arc::new(Ticker { engine: Engine::default().weak(), ticks: AtomicU64::new(10) });
        let deadline = TickDeadline { ticker: Arc::clone(&ticker), tick: 13 };
        assert_eq!(deadline.remaining(), DEADLINE_TICK * 3);
        ticker.ticks.store(13, Ordering::Relaxed);
        assert_eq!(deadline.remaining(), Duration::ZERO);
        ticker.ticks.store(20, Ordering::Relaxed);
        assert_eq!(deadline.remaining(), Duration::ZERO);
    }

    #[test]
    fn one_ticker_serves_every_provider_of_an_engine() {
        let mut config = wasmtime::Config::new();
        config.epoch_interruption(true);
        let engine = Engine::new(&config).unwrap();
        let other = Engine::new(&config).unwrap();
        let a = Ticker::for_engine(&engine);
        let b = Ticker::for_engine(&engine.clone());
        let c = Ticker::for_engine(&other);
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &c));
    }
}
