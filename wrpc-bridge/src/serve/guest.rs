//! [`ServedGuest`]: what a service calls, one host or a pool of instances.

use std::sync::Arc;

use wapc::{WapcHost, WapcHostAsync};
use wapc_pool::Pool;

/// The guest a [`Service`](super::Service) serves: one [`WapcHost`] or [`WapcHostAsync`], which answers one
/// invocation at a time, or a [`Pool`] of instances of one module (blocking or async hosts), which answers as many
/// at once as it has instances. Each converts into it, so [`ServiceBuilder::new`](super::ServiceBuilder::new)
/// takes an `Arc` of any.
///
/// ```no_run
/// use std::sync::Arc;
/// use wapc_pool::Pool;
/// use wrpc_bridge::{Address, ServiceBuilder};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let engine: Box<dyn wapc::WebAssemblyEngineProvider> = unimplemented!();
/// // `engine`: a provider of the module, such as wasmtime-provider's.
/// let pool = Pool::builder().max_instances(16).build(engine)?;
/// let service = ServiceBuilder::new(Arc::new(pool))
///     .opaque("legacy:greeter/api", ["greet"])
///     .serve(&"tcp://127.0.0.1:7762".parse::<Address>()?)?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub enum ServedGuest {
    /// One instance: invocations take turns, the guest running on a thread of the service's.
    Host(Arc<WapcHost>),
    /// One instance whose guest awaits its host calls: invocations take turns, the guest running on the
    /// invocation's task and holding no thread while it waits.
    AsyncHost(Arc<WapcHostAsync>),
    /// Instances of one module: invocations run at once, up to the pool's size, and queue beyond it.
    Pool(Arc<Pool>),
}

impl From<Arc<WapcHost>> for ServedGuest {
    fn from(host: Arc<WapcHost>) -> Self {
        ServedGuest::Host(host)
    }
}

impl From<Arc<WapcHostAsync>> for ServedGuest {
    fn from(host: Arc<WapcHostAsync>) -> Self {
        ServedGuest::AsyncHost(host)
    }
}

impl From<Arc<Pool>> for ServedGuest {
    fn from(pool: Arc<Pool>) -> Self {
        ServedGuest::Pool(pool)
    }
}
