//! [`Lease`]: one call's hold on one instance, given back when the lease drops, whatever happened.

use std::ops::Deref;
use std::sync::Arc;

use wapc::errors::{Error, Result};

use crate::host::PoolHost;
use crate::source::Source;
use crate::state::{Shared, State};
use crate::waiter::Grant;

/// One instance of a pool: a host, and which generation of the pool's module it runs.
pub(crate) struct Instance {
    pub(crate) host: PoolHost,
    pub(crate) generation: u64,
    /// Calls it has served.
    pub(crate) calls: u64,
}

impl Instance {
    pub(crate) fn new(host: PoolHost, generation: u64) -> Self {
        Instance { host, generation, calls: 0 }
    }
}

/// An instance held for one call, or the room to make it. Dropping the lease gives the instance back to the
/// pool (or, if none was made, the room for it), so a call that fails, panics or is abandoned loses nothing.
pub(crate) struct Lease<P: Deref<Target = Shared>> {
    pool: P,
    instance: Option<Instance>,
    /// Where to make the instance from, when the lease came without one.
    make: Option<(Arc<Source>, u64)>,
}

impl<P: Deref<Target = Shared>> Lease<P> {
    /// The lease a grant stands for.
    ///
    /// # Errors
    /// [`Error::PoolClosed`] and [`Error::PoolTimeout`] for grants that refuse the call.
    pub(crate) fn new(pool: P, grant: Grant) -> Result<Self> {
        let (instance, make) = match grant {
            Grant::Ready(instance) => (Some(instance), None),
            Grant::Make(source, generation) => (None, Some((source, generation))),
            Grant::Closed => return Err(Error::PoolClosed { pool: pool.settings.name.clone() }),
            Grant::TimedOut(waited) => return Err(Error::PoolTimeout { pool: pool.settings.name.clone(), waited }),
        };
        Ok(Lease { pool, instance, make })
    }

    /// Whether the instance is (or will be) an async host, which [`call_async`](Self::call_async) runs.
    pub(crate) fn is_async(&self) -> bool {
        match (&self.instance, &self.make) {
            (Some(instance), _) => matches!(instance.host, PoolHost::Async(_)),
            (None, Some((source, _))) => source.is_async(),
            (None, None) => false,
        }
    }

    /// Runs `operation` on the leased instance, a blocking host, making it first if needed.
    ///
    /// # Errors
    /// Those of [`WapcHost::call`](wapc::WapcHost::call), and of making the instance; [`Error::Provider`] for an
    /// async host.
    pub(crate) fn call(&mut self, operation: &str, payload: &[u8]) -> Result<Vec<u8>> {
        if self.is_async() {
            let pool = &self.pool.settings.name;
            return Err(Error::provider(format!("pool `{pool}` runs async hosts: call it with `call_async`")));
        }
        let instance = match (&mut self.instance, self.make.take()) {
            (Some(instance), _) => instance,
            (None, Some((source, generation))) => self.instance.insert(Instance::new(source.make()?, generation)),
            (None, None) => return Err(Error::provider("the pool's lease holds no instance")),
        };
        instance.calls += 1;
        match &instance.host {
            PoolHost::Blocking(host) => host.call(operation, payload),
            PoolHost::Async(host) => Err(Error::provider(format!("host {} is async", host.id()))),
        }
    }

    /// Runs `operation` on the leased instance, an async host, on the caller's task, making it first if
    /// needed.
    ///
    /// # Errors
    /// Those of [`WapcHostAsync::call`](wapc::WapcHostAsync::call), and of making the instance.
    pub(crate) async fn call_async(&mut self, operation: &str, payload: &[u8]) -> Result<Vec<u8>> {
        let instance = match (&mut self.instance, self.make.take()) {
            (Some(instance), _) => instance,
            (None, Some((source, generation))) => {
                self.instance.insert(Instance::new(source.make_async().await?, generation))
            }
            (None, None) => return Err(Error::provider("the pool's lease holds no instance")),
        };
        instance.calls += 1;
        match &instance.host {
            PoolHost::Async(host) => host.call(operation, payload).await,
            PoolHost::Blocking(host) => host.call(operation, payload),
        }
    }
}

impl<P: Deref<Target = Shared>> Drop for Lease<P> {
    fn drop(&mut self) {
        // A worn-out instance is dropped here, outside the pool's lock, before it counts as gone.
        let kept = self.instance.take().filter(|instance| self.pool.settings.recycle.keeps(instance));
        let stale = match kept {
            Some(instance) => self.pool.update(|state| state.put_back(instance)),
            None => {
                self.pool.update(State::forget_one);
                None
            }
        };
        self.pool.retire(stale);
    }
}
