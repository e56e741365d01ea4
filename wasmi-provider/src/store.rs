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
    #[cfg(feature = "wasi")]
    pub(crate) wasi: wasmi_wasi::WasiCtx,
    /// Until when the WASI function running in the store may wait; its WASI context shares it.
    #[cfg(feature = "wasi")]
    pub(crate) wait_limit: crate::wasi::waiting::WaitLimit,
}

impl WapcStore {
    /// The data of a new store: limited by `limits`, with the WASI context `wasi` builds.
    pub(crate) fn new(limits: ResourceLimits, #[cfg(feature = "wasi")] wasi: &wapc::WasiConfig) -> Result<Self> {
        #[cfg(feature = "wasi")]
        let wait_limit = crate::wasi::waiting::WaitLimit::default();
        Ok(WapcStore {
            memory: None,
            limiter: Limiter::new(limits),
            #[cfg(feature = "wasi")]
            wasi: crate::wasi::context(wasi, &wait_limit)?,
            #[cfg(feature = "wasi")]
            wait_limit,
        })
    }
}
