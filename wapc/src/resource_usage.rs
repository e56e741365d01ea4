//! [`ResourceUsage`]: what one instance holds of what [`ResourceLimits`] bound, kept as the engine grows it.

use crate::ResourceLimits;
use crate::errors::{Resource, ResourceLimit};

/// The memories and tables of one instance, counted as its engine creates and grows them, and checked against
/// [`ResourceLimits`] at each step.
///
/// Engines ask their resource limiter about each linear memory and table, one at a time, giving its current
/// and desired size: at instantiation (from zero to its declared size) and at each `memory.grow` or
/// `table.grow`. A provider keeps one `ResourceUsage` per instance in its limiter, passes every question on,
/// and calls [`instantiated`](Self::instantiated) once the engine has made the instance; the totals and counts
/// the limits speak of are kept here.
///
/// ```
/// use wapc::errors::{Resource, ResourceLimit};
/// use wapc::{ResourceLimits, ResourceUsage};
///
/// const PAGE: usize = 65536;
/// let limits = ResourceLimits { max_memory_size: Some(4 * PAGE), ..ResourceLimits::DEFAULT };
/// let mut usage = ResourceUsage::new(limits);
/// // Instantiation creates two memories of one page each; then the guest grows the second one.
/// usage.memory_growing(0, PAGE, None)?;
/// usage.memory_growing(0, PAGE, None)?;
/// usage.instantiated();
/// usage.memory_growing(PAGE, 3 * PAGE, None)?;
/// assert_eq!(usage.memory_bytes(), 4 * PAGE);
/// // Each memory is below the limit, but together they would pass it.
/// assert_eq!(
///     usage.memory_growing(PAGE, 2 * PAGE, None),
///     Err(ResourceLimit { resource: Resource::Memory, requested: 5 * PAGE, limit: 4 * PAGE })
/// );
/// # Ok::<(), ResourceLimit>(())
/// ```
#[derive(Debug, Clone)]
pub struct ResourceUsage {
    limits: ResourceLimits,
    memories: Tally,
    tables: Tally,
    /// Whether the engine has finished making the instance: from then on no memory or table is created.
    instantiated: bool,
}

/// The number and total size of one kind of resource.
#[derive(Debug, Clone, Copy)]
struct Tally {
    /// How the limits name the number of them.
    count_resource: Resource,
    /// How the limits name their total size.
    size_resource: Resource,
    count: usize,
    total: usize,
}

impl Tally {
    fn new(count_resource: Resource, size_resource: Resource) -> Self {
        Tally { count_resource, size_resource, count: 0, total: 0 }
    }

    /// Counts a growth of one of them from `current` to `desired` (a new one when `creating`), if `limits`
    /// allow it.
    fn grow(
        &mut self,
        limits: &ResourceLimits,
        creating: bool,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> Result<(), ResourceLimit> {
        // The engine refuses a growth past the declared maximum itself (`memory.grow` returns -1): nothing grows.
        if maximum.is_some_and(|maximum| desired > maximum) {
            return Ok(());
        }
        let count = if creating { self.count.saturating_add(1) } else { self.count };
        limits.check(self.count_resource, count)?;
        let total = self.total.saturating_sub(current).saturating_add(desired);
        limits.check(self.size_resource, total)?;
        (self.count, self.total) = (count, total);
        Ok(())
    }
}

impl ResourceUsage {
    /// The usage of a new instance, before its engine makes any memory or table.
    #[must_use]
    pub fn new(limits: ResourceLimits) -> Self {
        ResourceUsage {
            limits,
            memories: Tally::new(Resource::Memories, Resource::Memory),
            tables: Tally::new(Resource::Tables, Resource::Table),
            instantiated: false,
        }
    }

    /// The engine asks whether a linear memory of `current` bytes may grow to `desired` bytes (from 0 when the
    /// memory is being created); `maximum` is the memory's declared maximum, in bytes. Allowed growth is
    /// counted.
    ///
    /// # Errors
    /// The refused growth: past the bytes of all memories together, or past
    /// [`ResourceLimits::MAX_MEMORIES`] for a new memory.
    pub fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> Result<(), ResourceLimit> {
        let creating = self.creating(current);
        self.memories.grow(&self.limits, creating, current, desired, maximum)
    }

    /// The engine asks whether a table of `current` elements may grow to `desired` elements (from 0 when the
    /// table is being created); `maximum` is the table's declared maximum. Allowed growth is counted.
    ///
    /// # Errors
    /// The refused growth: past the elements of all tables together, or past [`ResourceLimits::MAX_TABLES`]
    /// for a new table.
    pub fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> Result<(), ResourceLimit> {
        let creating = self.creating(current);
        self.tables.grow(&self.limits, creating, current, desired, maximum)
    }

    /// The engine has made the instance: every memory and table it will ever have exists, and any later
    /// growth from zero is the guest growing an empty one.
    pub fn instantiated(&mut self) {
        self.instantiated = true;
    }

    /// The bytes of all linear memories together.
    #[must_use]
    pub fn memory_bytes(&self) -> usize {
        self.memories.total
    }

    /// The elements of all tables together.
    #[must_use]
    pub fn table_elements(&self) -> usize {
        self.tables.total
    }

    /// Whether a growth from `current` makes a new memory or table. Engines create them all, from zero, before
    /// the instance runs any code but a wasm `start` function; such a function growing a memory or table
    /// created empty is counted as one more, which errs on the strict side.
    fn creating(&self, current: usize) -> bool {
        !self.instantiated && current == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: usize = 65536;

    #[test]
    fn memories_are_limited_together_and_initial_sizes_count() {
        let limits = ResourceLimits { max_memory_size: Some(10 * PAGE), max_table_elements: None };
        let mut usage = ResourceUsage::new(limits);
        usage.memory_growing(0, 4 * PAGE, None).unwrap();
        assert_eq!(
            usage.memory_growing(0, 7 * PAGE, None),
            Err(ResourceLimit { resource: Resource::Memory, requested: 11 * PAGE, limit: 10 * PAGE })
        );
        usage.memory_growing(0, 6 * PAGE, None).unwrap();
        usage.instantiated();
        assert_eq!(usage.memory_bytes(), 10 * PAGE);
        assert_eq!(
            usage.memory_growing(4 * PAGE, 5 * PAGE, None),
            Err(ResourceLimit { resource: Resource::Memory, requested: 11 * PAGE, limit: 10 * PAGE })
        );
        assert_eq!(usage.memory_bytes(), 10 * PAGE, "a refused growth is not counted");
    }

    #[test]
    fn tables_are_limited_together() {
        let limits = ResourceLimits { max_memory_size: None, max_table_elements: Some(100) };
        let mut usage = ResourceUsage::new(limits);
        usage.table_growing(0, 0, None).unwrap();
        usage.table_growing(0, 10, None).unwrap();
        usage.instantiated();
        usage.table_growing(0, 60, None).unwrap();
        assert_eq!(
            usage.table_growing(10, 41, None),
            Err(ResourceLimit { resource: Resource::Table, requested: 101, limit: 100 })
        );
        usage.table_growing(10, 40, None).unwrap();
        assert_eq!(usage.table_elements(), 100);
    }

    #[test]
    fn counts_are_limited_at_creation_only() {
        let mut usage = ResourceUsage::new(ResourceLimits::DEFAULT);
        for _ in 0..ResourceLimits::MAX_MEMORIES {
            usage.memory_growing(0, 0, None).unwrap();
        }
        assert_eq!(
            usage.memory_growing(0, PAGE, None),
            Err(ResourceLimit {
                resource: Resource::Memories,
                requested: ResourceLimits::MAX_MEMORIES + 1,
                limit: ResourceLimits::MAX_MEMORIES,
            })
        );
        for _ in 0..ResourceLimits::MAX_TABLES {
            usage.table_growing(0, 1, None).unwrap();
        }
        assert_eq!(
            usage.table_growing(0, 0, None),
            Err(ResourceLimit {
                resource: Resource::Tables,
                requested: ResourceLimits::MAX_TABLES + 1,
                limit: ResourceLimits::MAX_TABLES,
            })
        );
        usage.instantiated();
        // After instantiation a growth from zero is an empty memory growing, not a new one.
        usage.memory_growing(0, PAGE, None).unwrap();
        assert_eq!(usage.memory_bytes(), PAGE);
    }

    #[test]
    fn growth_past_the_declared_maximum_is_left_to_the_engine_and_not_counted() {
        let limits = ResourceLimits { max_memory_size: Some(2 * PAGE), max_table_elements: Some(5) };
        let mut usage = ResourceUsage::new(limits);
        usage.memory_growing(0, PAGE, Some(PAGE)).unwrap();
        usage.instantiated();
        for _ in 0..3 {
            assert_eq!(usage.memory_growing(PAGE, 100 * PAGE, Some(PAGE)), Ok(()));
        }
        assert_eq!(usage.memory_bytes(), PAGE);
        assert_eq!(usage.table_growing(0, 6, Some(3)), Ok(()));
        assert_eq!(usage.table_elements(), 0);
    }

    #[test]
    fn unlimited_sizes_still_have_bounded_counts() {
        let mut usage = ResourceUsage::new(ResourceLimits::default());
        usage.memory_growing(0, usize::MAX, None).unwrap();
        usage.memory_growing(0, usize::MAX, None).unwrap();
        assert_eq!(usage.memory_bytes(), usize::MAX);
        for _ in 2..ResourceLimits::MAX_MEMORIES {
            usage.memory_growing(0, 0, None).unwrap();
        }
        assert!(usage.memory_growing(0, 0, None).is_err());
    }
}
