//! wasmtime's pooling instance allocator: the builder's sizing of it from the resource limits, and the typed
//! error for a pool with no room left.

use wapc::errors::{Error, Resource, ResourceLimit, Result};
use wapc::{DEFAULT_MAX_TABLE_ELEMENTS, ResourceLimits};
use wasmtime::{Engine, PoolConcurrencyLimitError, PoolingAllocationConfig};

/// The pooling allocator for `instances` instances alive at once, each with room for as many memories and
/// tables as the providers allow, so that an instance the limits admit always finds a slot.
///
/// Every memory slot can hold all of `limits.max_memory_size` (one memory may have all the bytes the limit
/// grants the instance's memories together), at most 4 GiB: a pool's memory may not pass wasmtime's memory
/// reservation, which is 4 GiB on 64-bit hosts, and no 32-bit memory can grow further anyway. Every table slot
/// holds `limits.max_table_elements`, or [`DEFAULT_MAX_TABLE_ELEMENTS`] when tables are not limited: a pool
/// needs a size for its slots.
///
/// # Errors
/// [`Error::Provider`] for room for no instance, or for more slots than wasmtime counts.
pub(crate) fn config(instances: u32, limits: &ResourceLimits) -> Result<PoolingAllocationConfig> {
    if instances == 0 {
        return Err(Error::provider("the pooling allocator needs room for at least one instance"));
    }
    let per_instance = |count: usize| u32::try_from(count).map_err(|e| Error::provider(e.to_string()));
    let total = |count: u32| {
        count.checked_mul(instances).ok_or_else(|| {
            Error::provider(format!("a pool of {instances} instances has more slots than wasmtime counts"))
        })
    };
    let (memories, tables) = (per_instance(ResourceLimits::MAX_MEMORIES)?, per_instance(ResourceLimits::MAX_TABLES)?);
    let largest_memory = usize::try_from(1_u64 << 32).unwrap_or(usize::MAX);
    let mut pool = PoolingAllocationConfig::new();
    pool.total_core_instances(instances)
        .total_memories(total(memories)?)
        .total_tables(total(tables)?)
        .max_memories_per_module(memories)
        .max_tables_per_module(tables)
        .max_memory_size(limits.max_memory_size.map_or(largest_memory, |bytes| bytes.min(largest_memory)))
        .table_elements(limits.max_table_elements.unwrap_or(DEFAULT_MAX_TABLE_ELEMENTS));
    Ok(pool)
}

/// The typed error for an instantiation that `engine`'s pool had no room for, if `error` is that.
///
/// A pool with a memory and a table slot for every memory and table each of its instances may have (as
/// [`config`] sizes it; a module with more is refused when it is loaded) runs out of instances first: its
/// refusal is [`Resource::Instances`]. In another pool a memory or table slot may be what ran out while
/// instances were left; that stays wasmtime's error, as [`Error::Provider`].
pub(crate) fn pool_full(engine: &Engine, error: &wasmtime::Error) -> Option<Error> {
    if !error.is::<PoolConcurrencyLimitError>() {
        return None;
    }
    let pool = engine.get_pooling_config()?;
    let instances = pool.get_total_core_instances();
    let room_for_all =
        |total: u32, per_instance: u32| u64::from(total) >= u64::from(per_instance) * u64::from(instances);
    if !(room_for_all(pool.get_total_memories(), pool.get_max_memories_per_module())
        && room_for_all(pool.get_total_tables(), pool.get_max_tables_per_module()))
    {
        return None;
    }
    let limit = usize::try_from(instances).ok()?;
    Some(Error::ResourceLimit(ResourceLimit {
        resource: Resource::Instances,
        requested: limit.saturating_add(1),
        limit,
    }))
}
