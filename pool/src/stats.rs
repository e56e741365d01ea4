//! [`PoolStats`]: what a pool is doing right now.

/// A snapshot of a pool, from [`Pool::stats`](crate::Pool::stats).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct PoolStats {
    /// Instances that exist or are being made.
    pub live: usize,
    /// Instances running a call, or being made for one, or being dropped.
    pub busy: usize,
    /// Instances waiting for a call.
    pub idle: usize,
    /// Calls waiting for an instance.
    pub waiting: usize,
}
