//! The store's `wasmi::ResourceLimiter`: [`ResourceLimits`] enforced, and the refused growth kept for the
//! typed error (wasmi reports a refusal only as a `GrowthOperationLimited` trap).

use wapc::ResourceLimits;
use wapc::errors::{Resource, ResourceLimit};
use wasmi_core::LimiterError;

/// How many instances, tables and memories one store may hold: one instance of one module needs one each, and
/// the WebAssembly limits allow a module a few of each.
const MAX_INSTANCES: usize = 1;
const MAX_TABLES: usize = 100;
const MAX_MEMORIES: usize = 100;

/// The store's resource limiter.
#[derive(Debug)]
pub(crate) struct Limiter {
    limits: ResourceLimits,
    /// The growth refused last, taken when the execution's error is mapped.
    refused: Option<ResourceLimit>,
}

impl Limiter {
    pub(crate) fn new(limits: ResourceLimits) -> Self {
        Limiter { limits, refused: None }
    }

    /// Whether a growth was refused since [`take_refused`](Self::take_refused) was last called.
    pub(crate) fn has_refused(&self) -> bool {
        self.refused.is_some()
    }

    /// The growth refused since the last call of this method.
    pub(crate) fn take_refused(&mut self) -> Option<ResourceLimit> {
        self.refused.take()
    }

    fn check(&mut self, resource: Resource, desired: usize) -> Result<bool, LimiterError> {
        self.limits.check(resource, desired).map_err(|refused| {
            self.refused = Some(refused);
            LimiterError::ResourceLimiterDeniedAllocation
        })?;
        Ok(true)
    }
}

impl wasmi::ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> Result<bool, LimiterError> {
        self.check(Resource::Memory, desired)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> Result<bool, LimiterError> {
        self.check(Resource::Table, desired)
    }

    fn instances(&self) -> usize {
        MAX_INSTANCES
    }

    fn tables(&self) -> usize {
        MAX_TABLES
    }

    fn memories(&self) -> usize {
        MAX_MEMORIES
    }
}
