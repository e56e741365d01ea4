//! The store's `wasmtime::ResourceLimiter`: [`ResourceLimits`](wapc::ResourceLimits) enforced through a
//! [`ResourceUsage`], with the typed resource-limit error.

use wapc::ResourceUsage;
use wapc::errors::{Error, ResourceLimit};

/// The store's resource limiter: one instance's [`ResourceUsage`].
#[derive(Debug, Clone)]
pub(crate) struct Limiter(pub(crate) ResourceUsage);

/// How many instances a store may hold: a provider makes one instance per store.
const MAX_INSTANCES: usize = 1;

/// A refusal as the error wasmtime carries back to the provider unchanged.
fn refused(limit: ResourceLimit) -> wasmtime::Error {
    wasmtime::Error::new(Error::ResourceLimit(limit))
}

impl wasmtime::ResourceLimiter for Limiter {
    fn memory_growing(&mut self, current: usize, desired: usize, maximum: Option<usize>) -> wasmtime::Result<bool> {
        self.0.memory_growing(current, desired, maximum).map_err(refused)?;
        Ok(true)
    }

    fn table_growing(&mut self, current: usize, desired: usize, maximum: Option<usize>) -> wasmtime::Result<bool> {
        self.0.table_growing(current, desired, maximum).map_err(refused)?;
        Ok(true)
    }

    // The numbers of memories and tables are left at wasmtime's defaults, far above any module's: the usage
    // counts them itself, to refuse a module with too many with the typed error rather than wasmtime's text.
    fn instances(&self) -> usize {
        MAX_INSTANCES
    }
}
