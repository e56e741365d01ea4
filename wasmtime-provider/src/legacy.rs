//! The constructors of wasmtime-provider 1.x, kept so that programs written for it compile unchanged. The
//! [`WasmtimeEngineProviderBuilder`] does everything they did, and more (deadlines, limits, sharing).

use std::path::Path;

use wapc::WasiParams;
use wapc::errors::Result;
use wasmtime::Engine;

use crate::{WasmtimeEngineProvider, WasmtimeEngineProviderBuilder};

impl WasmtimeEngineProvider {
    /// A provider of the module `bytes`, compiled now on an engine of its own, with WASI `wasi` if given.
    ///
    /// # Errors
    /// Those of [`WasmtimeEngineProviderBuilder::build`].
    #[deprecated(
        since = "0.1.0",
        note = "use `WasmtimeEngineProviderBuilder::new().module_bytes(bytes).build()`, with `.wasi_params(..)`"
    )]
    pub fn new(bytes: &[u8], wasi: Option<WasiParams>) -> Result<Self> {
        builder(bytes, wasi)?.build()
    }

    /// A provider of the module `bytes`, compiled now on `engine`, with WASI `wasi` if given.
    ///
    /// # Errors
    /// Those of [`WasmtimeEngineProviderBuilder::build`].
    #[deprecated(
        since = "0.1.0",
        note = "use `WasmtimeEngineProviderBuilder::new().module_bytes(bytes).engine(engine).build()`"
    )]
    pub fn new_with_engine(bytes: &[u8], engine: Engine, wasi: Option<WasiParams>) -> Result<Self> {
        builder(bytes, wasi)?.engine(engine).build()
    }

    /// A provider of the module `bytes`, with WASI `wasi` if given. `cache_path` is not used: this crate builds
    /// wasmtime without its on-disk compilation cache, so the module is compiled now, as by
    /// [`new`](Self::new). To skip compiling at start-up, save
    /// [`WasmtimeEngineProviderPre::serialize`](crate::WasmtimeEngineProviderPre::serialize)'s bytes once and
    /// load them with
    /// [`precompiled_module_bytes`](WasmtimeEngineProviderBuilder::precompiled_module_bytes).
    ///
    /// # Errors
    /// Those of [`WasmtimeEngineProviderBuilder::build`].
    #[deprecated(
        since = "0.1.0",
        note = "use `WasmtimeEngineProviderBuilder`; for start-up without compiling, `precompiled_module_bytes`"
    )]
    pub fn new_with_cache(bytes: &[u8], wasi: Option<WasiParams>, cache_path: Option<&Path>) -> Result<Self> {
        let _unused = cache_path;
        builder(bytes, wasi)?.build()
    }
}

/// The builder the 1.x constructors stand for.
fn builder(bytes: &[u8], wasi: Option<WasiParams>) -> Result<WasmtimeEngineProviderBuilder<'_>> {
    let builder = WasmtimeEngineProviderBuilder::new().module_bytes(bytes);
    match wasi {
        #[cfg(feature = "wasi")]
        Some(wasi) => Ok(builder.wasi_params(wasi)),
        #[cfg(not(feature = "wasi"))]
        Some(_) => Err(wapc::errors::Error::provider("WASI parameters need the `wasi` feature of wasmtime-provider")),
        None => Ok(builder),
    }
}
