//! The data each wasmtime `Store` of a provider carries.

use wasmtime::Memory;

#[cfg(feature = "wasi")]
use crate::deadline::TickDeadline;
#[cfg(feature = "async")]
use crate::deadline::TickLimit;
use crate::limits::Limiter;

/// What the imports and the limiter need from a store.
pub(crate) struct WapcStore {
    /// The guest's `memory` export, looked up once per instance.
    pub(crate) memory: Option<Memory>,
    pub(crate) limiter: Limiter,
    /// The WASI context, which is `Send` and not `Sync`; only ever reached through `&mut`, so the store, and the
    /// provider holding it, can be `Sync`.
    #[cfg(feature = "wasi")]
    pub(crate) wasi: sync_wrapper::SyncWrapper<wasmtime_wasi::p1::WasiP1Ctx>,
    /// When the blocking WASI calls of the running call (or start-up) must end, if the budget says.
    #[cfg(feature = "wasi")]
    pub(crate) wasi_deadline: Option<TickDeadline>,
    /// When the guest of an async store must stop (it yields at every tick until then).
    #[cfg(feature = "async")]
    pub(crate) tick_limit: TickLimit,
}
