//! The store's `wasmi::ResourceLimiter`: [`ResourceLimits`] enforced through a [`ResourceUsage`], and the refused
//! growth kept for the typed error (wasmi reports a refusal only as a `GrowthOperationLimited` trap).

use wapc::errors::ResourceLimit;
use wapc::{ResourceLimits, ResourceUsage};
use wasmi_core::LimiterError;

/// How many instances a store may hold: a provider makes one instance per store.
const MAX_INSTANCES: usize = 1;

/// The store's resource limiter.
#[derive(Debug)]
pub(crate) struct Limiter {
    usage: ResourceUsage,
    /// The growth refused last, taken when the execution's error is mapped.
    refused: Option<ResourceLimit>,
}

impl Limiter {
    pub(crate) fn new(limits: ResourceLimits) -> Self {
        Limiter { usage: ResourceUsage::new(limits), refused: None }
    }

    /// The engine has made the instance (see [`ResourceUsage::instantiated`]).
    pub(crate) fn instantiated(&mut self) {
        self.usage.instantiated();
    }

    /// The bytes of all linear memories together.
    pub(crate) fn memory_bytes(&self) -> usize {
        self.usage.memory_bytes()
    }

    /// Whether a growth was refused since [`take_refused`](Self::take_refused) was last called.
    pub(crate) fn has_refused(&self) -> bool {
        self.refused.is_some()
    }

    /// The growth refused since the last call of this method.
    pub(crate) fn take_refused(&mut self) -> Option<ResourceLimit> {
        self.refused.take()
    }

    /// Keeps a refusal for the typed error and turns it into wasmi's.
    fn allowed(&mut self, growth: Result<(), ResourceLimit>) -> Result<bool, LimiterError> {
        growth.map_err(|refused| {
            self.refused = Some(refused);
            LimiterError::ResourceLimiterDeniedAllocation
        })?;
        Ok(true)
    }
}

impl wasmi::ResourceLimiter for Limiter {
    fn memory_growing(&mut self, current: usize, desired: usize, maximum: Option<usize>) -> Result<bool, LimiterError> {
        let growth = self.usage.memory_growing(current, desired, maximum);
        self.allowed(growth)
    }

    fn table_growing(&mut self, current: usize, desired: usize, maximum: Option<usize>) -> Result<bool, LimiterError> {
        let growth = self.usage.table_growing(current, desired, maximum);
        self.allowed(growth)
    }

    fn instances(&self) -> usize {
        MAX_INSTANCES
    }

    // The usage counts memories and tables itself, to refuse a module with too many with the typed error;
    // wasmi's own count, checked before any is created, must not refuse first.
    fn tables(&self) -> usize {
        usize::MAX
    }

    fn memories(&self) -> usize {
        usize::MAX
    }
}
