//! [`PoolHost`]: what an instance of a pool runs, a blocking host or an async one.

use wapc::{WapcHost, WapcHostAsync};

/// The host of one instance: a [`WapcHost`] for pools built with
/// [`build`](crate::PoolBuilder::build) or [`build_from_hosts`](crate::PoolBuilder::build_from_hosts), a
/// [`WapcHostAsync`] for pools built with [`build_async`](crate::PoolBuilder::build_async).
pub(crate) enum PoolHost {
    Blocking(WapcHost),
    Async(WapcHostAsync),
}

impl PoolHost {
    /// The bytes of linear memory the instance has committed, if its provider tracks them.
    pub(crate) fn memory_bytes(&self) -> Option<usize> {
        match self {
            PoolHost::Blocking(host) => host.memory_bytes(),
            PoolHost::Async(host) => host.memory_bytes(),
        }
    }
}
