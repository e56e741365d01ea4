//! The store's `wasmtime::ResourceLimiter`: [`ResourceLimits`](wapc::ResourceLimits) enforced through a
//! [`ResourceUsage`], with the typed resource-limit error.

use wapc::errors::{Error, ResourceLimit};
use wapc::{ResourceLimits, ResourceUsage};
use wasmtime::Engine;

/// The store's resource limiter: one instance's [`ResourceUsage`].
#[derive(Debug, Clone)]
pub(crate) struct Limiter {
    pub(crate) usage: ResourceUsage,
    /// The elements a table slot of the engine's instance pool holds, when no table in a slot may grow past
    /// the table limit anyway (the builder's pool sizes its slots to the limit).
    ///
    /// wasmtime gives a pooled table the smaller of its declared maximum and its slot as its maximum, and a
    /// growth past a table's maximum is the engine's to refuse (`table.grow` returns -1) and not the limit's.
    /// A growth past the slot is past the table limit, though: reported as such, with the typed error, as it
    /// is without a pool.
    table_slot: Option<usize>,
}

impl Limiter {
    /// The limiter of a new instance of `engine`.
    pub(crate) fn new(limits: ResourceLimits, engine: &Engine) -> Self {
        let table_slot = engine
            .get_pooling_config()
            .map(wasmtime::PoolingAllocationConfig::get_table_elements)
            .filter(|&slot| limits.max_table_elements.is_some_and(|limit| limit <= slot));
        Limiter { usage: ResourceUsage::new(limits), table_slot }
    }
}

/// How many instances a store may hold: a provider makes one instance per store.
const MAX_INSTANCES: usize = 1;

/// A refusal as the error wasmtime carries back to the provider unchanged.
fn refused(limit: ResourceLimit) -> wasmtime::Error {
    wasmtime::Error::new(Error::ResourceLimit(limit))
}

impl wasmtime::ResourceLimiter for Limiter {
    fn memory_growing(&mut self, current: usize, desired: usize, maximum: Option<usize>) -> wasmtime::Result<bool> {
        self.usage.memory_growing(current, desired, maximum).map_err(refused)?;
        Ok(true)
    }

    fn table_growing(&mut self, current: usize, desired: usize, maximum: Option<usize>) -> wasmtime::Result<bool> {
        let maximum = maximum.filter(|&maximum| Some(maximum) != self.table_slot);
        self.usage.table_growing(current, desired, maximum).map_err(refused)?;
        Ok(true)
    }

    // The numbers of memories and tables are left at wasmtime's defaults, far above any module's: the usage
    // counts them itself, to refuse a module with too many with the typed error rather than wasmtime's text.
    fn instances(&self) -> usize {
        MAX_INSTANCES
    }
}
