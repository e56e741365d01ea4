//! [`ResourceLimits`]: how far a guest may grow its memories and tables, the same on every engine.

use crate::errors::{Resource, ResourceLimit};

/// The memory cap of an instance when [`ResourceLimits`] are not given: 256 MiB per linear memory.
///
/// Enough for any ordinary waPC guest (payloads of tens of MiB included), and it stops a `memory.grow` bomb
/// long before it hurts the host. Providers' builders take other limits, or none.
pub const DEFAULT_MAX_MEMORY_BYTES: usize = 256 * 1024 * 1024;

/// Limits on the resources one instance may grow to.
///
/// A growth past a limit ends the call with [`Error::ResourceLimit`](crate::errors::Error::ResourceLimit)
/// (rather than `memory.grow` returning -1, which most guest toolchains turn into an opaque abort); the next
/// call runs on a fresh instance. Every engine provider enforces them through [`check`](Self::check).
///
/// ```
/// use wapc::ResourceLimits;
/// use wapc::errors::{Resource, ResourceLimit};
///
/// let limits = ResourceLimits { max_memory_size: Some(16 * 1024 * 1024), max_table_elements: Some(10_000) };
/// assert_eq!(limits.check(Resource::Table, 10_000), Ok(()));
/// assert_eq!(
///     limits.check(Resource::Table, 10_001),
///     Err(ResourceLimit { resource: Resource::Table, requested: 10_001, limit: 10_000 })
/// );
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

    /// Whether `resource` may grow to `desired` (bytes for memory, elements for tables).
    ///
    /// # Errors
    /// The refused growth, when `desired` is past the limit.
    pub fn check(&self, resource: Resource, desired: usize) -> Result<(), ResourceLimit> {
        let limit = match resource {
            Resource::Memory => self.max_memory_size,
            Resource::Table => self.max_table_elements,
        };
        match limit {
            Some(limit) if desired > limit => Err(ResourceLimit { resource, requested: desired, limit }),
            _ => Ok(()),
        }
    }
}
