//! The data each wasmi `Store` of a provider carries.

use wapc::ResourceLimits;
use wapc::errors::Result;
use wasmi::Memory;

use crate::limits::Limiter;

/// What the imports and the limiter need from a store.
pub(crate) struct WapcStore {
    /// The guest's `memory` export, looked up once per instance.
    pub(crate) memory: Option<Memory>,
    pub(crate) limiter: Limiter,
    /// The fuel of the running start-up or call not yet in the store's tank: an async provider runs guest code
    /// in slices of fuel and keeps the rest of the budget here (see [`fuel_left`](crate::fuel::fuel_left)).
    /// Always 0 in a blocking provider's store.
    pub(crate) fuel_reserve: u64,
    #[cfg(feature = "wasi")]
    pub(crate) wasi: wasmi_wasi::WasiCtx,
    /// Until when the WASI function running in the store may wait; its WASI context shares it.
    #[cfg(feature = "wasi")]
    pub(crate) wait_limit: crate::wasi::waiting::WaitLimit,
    /// What the guest of an async provider's store waits for while it is suspended (see
    /// [`suspend`](crate::suspend)). The wrapper keeps the store `Sync`: the future is only `Send`.
    #[cfg(feature = "async")]
    pub(crate) suspended: sync_wrapper::SyncWrapper<Option<crate::suspend::Suspended>>,
}

/// How the guest of a store waits: for its host callbacks and in WASI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Waits {
    /// The guest's thread waits (a blocking provider's store, called with `call`).
    Blocking,
    /// The guest is suspended while it waits (an async provider's store, called with `call_resumable`).
    #[cfg(feature = "async")]
    Suspending,
}

impl WapcStore {
    /// The data of a new store: limited by `limits`, with the WASI context `wasi` builds, its guest waiting as
    /// `waits` says.
    pub(crate) fn new(
        limits: ResourceLimits,
        #[cfg(feature = "wasi")] wasi: &wapc::WasiConfig,
        waits: Waits,
    ) -> Result<Self> {
        #[cfg(feature = "wasi")]
        let wait_limit = crate::wasi::waiting::WaitLimit::new(waits);
        #[cfg(not(feature = "wasi"))]
        let _ = waits;
        Ok(WapcStore {
            memory: None,
            limiter: Limiter::new(limits),
            fuel_reserve: 0,
            #[cfg(feature = "wasi")]
            wasi: crate::wasi::context(wasi, &wait_limit)?,
            #[cfg(feature = "wasi")]
            wait_limit,
            #[cfg(feature = "async")]
            suspended: sync_wrapper::SyncWrapper::new(None),
        })
    }
}
