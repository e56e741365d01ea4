//! The store's `wasmtime::ResourceLimiter`: [`ResourceLimits`] enforced with the typed resource-limit error.

use wapc::ResourceLimits;
use wapc::errors::{Error, Resource};

/// The store's resource limiter.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limiter(pub(crate) ResourceLimits);

impl Limiter {
    fn check(&self, resource: Resource, desired: usize) -> wasmtime::Result<bool> {
        self.0.check(resource, desired).map_err(|refused| wasmtime::Error::new(Error::ResourceLimit(refused)))?;
        Ok(true)
    }
}

impl wasmtime::ResourceLimiter for Limiter {
    fn memory_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        self.check(Resource::Memory, desired)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        self.check(Resource::Table, desired)
    }
}
