//! Memory and table limits, enforced by a `wasmtime::ResourceLimiter` that fails the call with the typed
//! resource-limit error.

use wapc::errors::{Error, Resource, ResourceLimit};

/// The memory cap of an instance when [`ResourceLimits`] are not given: 256 MiB per linear memory.
///
/// Enough for any ordinary waPC guest (payloads of tens of MiB included), and it stops a `memory.grow` bomb
/// long before it hurts the host. Call
/// [`enable_resource_limits`](crate::WasmtimeEngineProviderBuilder::enable_resource_limits) to choose another
/// cap, or none.
pub const DEFAULT_MAX_MEMORY_BYTES: usize = 256 * 1024 * 1024;

/// Limits on the resources one instance may grow to.
///
/// A growth past a limit ends the call with
/// [`Error::ResourceLimit`](wapc::errors::Error::ResourceLimit) (rather than `memory.grow` returning -1, which
/// most guest toolchains turn into an opaque abort); the next call runs on a fresh instance.
///
/// ```
/// use wasmtime_provider::{ResourceLimits, WasmtimeEngineProviderBuilder};
///
/// let builder = WasmtimeEngineProviderBuilder::new().enable_resource_limits(ResourceLimits {
///     max_memory_size: Some(16 * 1024 * 1024),
///     max_table_elements: Some(10_000),
/// });
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ResourceLimits {
    /// The largest size, in bytes, each linear memory may grow to; `None` for no limit.
    pub max_memory_size: Option<usize>,
    /// The most elements each table may grow to; `None` for no limit.
    pub max_table_elements: Option<usize>,
}

impl ResourceLimits {
    /// The limits applied when none are configured: [`DEFAULT_MAX_MEMORY_BYTES`] of memory, tables unlimited.
    pub const DEFAULT: ResourceLimits =
        ResourceLimits { max_memory_size: Some(DEFAULT_MAX_MEMORY_BYTES), max_table_elements: None };
}

/// The store's resource limiter.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limiter(pub(crate) ResourceLimits);

impl Limiter {
    fn check(resource: Resource, desired: usize, limit: Option<usize>) -> wasmtime::Result<bool> {
        match limit {
            Some(limit) if desired > limit => {
                Err(wasmtime::Error::new(Error::ResourceLimit(ResourceLimit { resource, requested: desired, limit })))
            }
            _ => Ok(true),
        }
    }
}

impl wasmtime::ResourceLimiter for Limiter {
    fn memory_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        Self::check(Resource::Memory, desired, self.0.max_memory_size)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        Self::check(Resource::Table, desired, self.0.max_table_elements)
    }
}
