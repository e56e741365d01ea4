//! [`ResourceLimits`]: how far a guest may grow its memories and tables, the same on every engine.

use crate::errors::{Resource, ResourceLimit};

/// The memory cap of an instance when [`ResourceLimits`] are not given: 256 MiB for all of its linear memories
/// together.
///
/// Enough for any ordinary waPC guest (payloads of tens of MiB included), and it stops a `memory.grow` bomb
/// long before it hurts the host. Providers' builders take other limits, or none.
pub const DEFAULT_MAX_MEMORY_BYTES: usize = 256 * 1024 * 1024;

/// The table cap of an instance when [`ResourceLimits`] are not given: a million elements for all of its
/// tables together.
///
/// Guests' tables hold the functions their code calls indirectly: about a hundred in this project's test
/// guests, a few thousand in large Rust, TinyGo and AssemblyScript guests, some hundred thousand in the largest
/// C++ applications ported to WebAssembly. An element costs the host 4 to 8 bytes, so a guest growing its
/// tables as far as this allows commits at most 8 MiB, where `table.grow` without a cap commits gigabytes.
pub const DEFAULT_MAX_TABLE_ELEMENTS: usize = 1_000_000;

/// Limits on the resources one instance may grow to.
///
/// The byte limit covers all linear memories of an instance together and the element limit all of its tables
/// together, sizes declared by the module (what instantiation allocates) included. The number of memories and
/// of tables is bounded too, by [`MAX_MEMORIES`](Self::MAX_MEMORIES) and [`MAX_TABLES`](Self::MAX_TABLES).
///
/// A growth past a limit ends the call with [`Error::ResourceLimit`](crate::errors::Error::ResourceLimit)
/// (rather than `memory.grow` returning -1, which most guest toolchains turn into an opaque abort), and an
/// instantiation past one fails with it; the next call runs on a fresh instance. Every engine provider
/// enforces them through a [`ResourceUsage`](crate::ResourceUsage), which applies [`check`](Self::check).
///
/// ```
/// use wapc::ResourceLimits;
/// use wapc::errors::{Resource, ResourceLimit};
///
/// let limits = ResourceLimits { max_table_elements: Some(10_000), ..ResourceLimits::DEFAULT };
/// assert_eq!(limits.check(Resource::Table, 10_000), Ok(()));
/// assert_eq!(
///     limits.check(Resource::Table, 10_001),
///     Err(ResourceLimit { resource: Resource::Table, requested: 10_001, limit: 10_000 })
/// );
/// assert_eq!(
///     limits.check(Resource::Memories, ResourceLimits::MAX_MEMORIES + 1),
///     Err(ResourceLimit { resource: Resource::Memories, requested: 5, limit: ResourceLimits::MAX_MEMORIES })
/// );
/// ```
///
/// The struct keeps upstream waPC's two fields, so the counts are constants rather than fields: upstream
/// programs build it with a struct literal, which a new field would break. `ResourceLimits::default()` keeps
/// upstream's meaning too (no byte or element cap); [`DEFAULT`](Self::DEFAULT) is what providers apply when
/// given nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ResourceLimits {
    /// The most bytes all linear memories of an instance may hold together; `None` for no limit.
    pub max_memory_size: Option<usize>,
    /// The most elements all tables of an instance may hold together; `None` for no limit.
    pub max_table_elements: Option<usize>,
}

impl ResourceLimits {
    /// The limits applied when none are configured: [`DEFAULT_MAX_MEMORY_BYTES`] of memory and
    /// [`DEFAULT_MAX_TABLE_ELEMENTS`] table elements.
    pub const DEFAULT: ResourceLimits = ResourceLimits {
        max_memory_size: Some(DEFAULT_MAX_MEMORY_BYTES),
        max_table_elements: Some(DEFAULT_MAX_TABLE_ELEMENTS),
    };

    /// The most linear memories an instance may have. Guest toolchains emit one; the rest is room for
    /// multi-memory guests. Each memory costs the host address space (wasmtime reserves gigabytes of it per
    /// memory), which is why the count is bounded beside the bytes.
    pub const MAX_MEMORIES: usize = 4;

    /// The most tables an instance may have. Guest toolchains emit one; their elements are bounded by
    /// [`max_table_elements`](Self::max_table_elements), this bounds the cost of each table beside them.
    pub const MAX_TABLES: usize = 16;

    /// Whether `resource` may grow to `desired`: bytes of all memories together, elements of all tables
    /// together, or a number of memories or tables. [`Resource::Instances`] is always allowed here: the engine's
    /// instance pool, not these limits, bounds it.
    ///
    /// # Errors
    /// The refused growth, when `desired` is past the limit.
    pub fn check(&self, resource: Resource, desired: usize) -> Result<(), ResourceLimit> {
        let limit = match resource {
            Resource::Memory => self.max_memory_size,
            Resource::Table => self.max_table_elements,
            Resource::Memories => Some(Self::MAX_MEMORIES),
            Resource::Tables => Some(Self::MAX_TABLES),
            Resource::Instances => None,
        };
        match limit {
            Some(limit) if desired > limit => Err(ResourceLimit { resource, requested: desired, limit }),
            _ => Ok(()),
        }
    }
}
