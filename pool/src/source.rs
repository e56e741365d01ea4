//! [`Source`]: how a pool makes the host of each instance.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use parking_lot::Mutex;
use wapc::errors::{Error, Result, panic_message};
use wapc::{
    ConsoleLog, HostCallback, HostCallbackAsync, WapcHost, WapcHostAsyncBuilder, WapcHostBuilder,
    WebAssemblyEngineProvider, WebAssemblyEngineProviderAsync,
};

use crate::host::PoolHost;

/// A host factory, as upstream `wapc-pool` takes it.
pub(crate) type HostFactory = dyn Fn() -> Result<WapcHost> + Send + Sync;

/// Where a pool's instances come from.
pub(crate) enum Source {
    /// Providers sharing one compiled module, each made into a host with the pool's callback and log.
    Module {
        /// A provider of the module that is never instantiated itself: the others are shared from it.
        prototype: Mutex<Box<dyn WebAssemblyEngineProvider>>,
        hosts: HostSettings,
    },
    /// Async providers sharing one compiled module, each made into a [`WapcHostAsync`](wapc::WapcHostAsync).
    AsyncModule {
        prototype: Mutex<Box<dyn WebAssemblyEngineProviderAsync + Send>>,
        hosts: HostSettings,
        /// The runtime the pool was built on, where the housekeeper's thread makes instances.
        runtime: tokio::runtime::Handle,
    },
    /// A factory of whole hosts; the pool cannot replace their module.
    Hosts(Box<HostFactory>),
}

/// What every host of a [`Source::Module`] pool is made with.
#[derive(Clone, Default)]
pub(crate) struct HostSettings {
    pub(crate) host_callback: Option<Arc<HostCallback>>,
    /// The callback of async instances; without it, they call [`host_callback`](Self::host_callback).
    pub(crate) host_callback_async: Option<Arc<HostCallbackAsync>>,
    pub(crate) console_log: Option<Arc<ConsoleLog>>,
}

impl Source {
    /// A source sharing `provider`'s compiled module.
    ///
    /// # Errors
    /// [`Error::Provider`] when the provider cannot share its module.
    pub(crate) fn module(provider: Box<dyn WebAssemblyEngineProvider>, hosts: HostSettings) -> Result<Self> {
        provider.share_module().ok_or_else(cannot_share)?;
        Ok(Source::Module { prototype: Mutex::new(provider), hosts })
    }

    /// A source sharing the compiled module of `provider`, an async one, its hosts made on `runtime`.
    ///
    /// # Errors
    /// [`Error::Provider`] when the provider cannot share its module.
    pub(crate) fn async_module(
        provider: Box<dyn WebAssemblyEngineProviderAsync + Send>,
        hosts: HostSettings,
        runtime: tokio::runtime::Handle,
    ) -> Result<Self> {
        provider.share_module().ok_or_else(cannot_share)?;
        Ok(Source::AsyncModule { prototype: Mutex::new(provider), hosts, runtime })
    }

    /// Whether its hosts are async.
    pub(crate) fn is_async(&self) -> bool {
        matches!(self, Source::AsyncModule { .. })
    }

    /// Makes a host with a fresh instance, its start functions run. An async host is made on the pool's
    /// runtime, blocking this thread: only the housekeeper's thread does that.
    pub(crate) fn make(&self) -> Result<PoolHost> {
        match self {
            Source::Module { prototype, hosts } => {
                let provider = prototype.lock().share_module().ok_or_else(cannot_share)?;
                hosts.build(provider).map(PoolHost::Blocking)
            }
            Source::AsyncModule { runtime, .. } => runtime.block_on(self.make_async()),
            Source::Hosts(factory) => catch_unwind(AssertUnwindSafe(factory)).map_or_else(
                |panic| Err(Error::provider(format!("the pool's host factory panicked: {}", panic_message(&*panic)))),
                |host| host.map(PoolHost::Blocking),
            ),
        }
    }

    /// Makes a host as [`make`](Self::make) does, an async one without blocking.
    pub(crate) async fn make_async(&self) -> Result<PoolHost> {
        let Source::AsyncModule { prototype, hosts, .. } = self else { return self.make() };
        let provider = prototype.lock().share_module().ok_or_else(cannot_share)?;
        hosts.build_async(provider).await.map(PoolHost::Async)
    }

    /// A source of the module `bytes`, with the same settings, and its first host. The module is compiled
    /// once, and its start functions have run in that host.
    ///
    /// # Errors
    /// Those of [`WapcHost::replace_module`]; [`Error::Provider`] for a pool made from a host factory or of
    /// async hosts (which [`with_module_async`](Self::with_module_async) serves).
    pub(crate) fn with_module(&self, bytes: &[u8]) -> Result<(Source, PoolHost)> {
        let Source::Module { hosts, .. } = self else {
            return Err(match self {
                Source::AsyncModule { .. } => {
                    Error::provider("a pool of async hosts replaces its module with `replace_module_async`")
                }
                _ => Error::provider("a pool made from a host factory cannot replace its module"),
            });
        };
        let PoolHost::Blocking(host) = self.make()? else {
            return Err(Error::provider("the pool made a host of the wrong kind"));
        };
        host.replace_module(bytes)?;
        let prototype = host.share_module().ok_or_else(cannot_share)?;
        Ok((Source::Module { prototype: Mutex::new(prototype), hosts: hosts.clone() }, PoolHost::Blocking(host)))
    }

    /// [`with_module`](Self::with_module) for a pool of async hosts.
    ///
    /// # Errors
    /// Those of [`WapcHostAsync::replace_module`](wapc::WapcHostAsync::replace_module); [`Error::Provider`] for a
    /// pool of blocking hosts.
    pub(crate) async fn with_module_async(&self, bytes: &[u8]) -> Result<(Source, PoolHost)> {
        let Source::AsyncModule { hosts, runtime, .. } = self else { return self.with_module(bytes) };
        let PoolHost::Async(host) = self.make_async().await? else {
            return Err(Error::provider("the pool made a host of the wrong kind"));
        };
        host.replace_module(bytes).await?;
        let prototype = host.share_module().ok_or_else(cannot_share)?;
        let source =
            Source::AsyncModule { prototype: Mutex::new(prototype), hosts: hosts.clone(), runtime: runtime.clone() };
        Ok((source, PoolHost::Async(host)))
    }
}

impl HostSettings {
    fn build(&self, provider: Box<dyn WebAssemblyEngineProvider>) -> Result<WapcHost> {
        let mut builder = WapcHostBuilder::new();
        if let Some(callback) = &self.host_callback {
            let callback = Arc::clone(callback);
            builder = builder.host_callback(move |id, binding, namespace, operation, payload| {
                callback(id, binding, namespace, operation, payload)
            });
        }
        if let Some(log) = &self.console_log {
            let log = Arc::clone(log);
            builder = builder.console_log(move |id, line| log(id, line));
        }
        builder.build(provider)
    }

    async fn build_async(
        &self,
        provider: Box<dyn WebAssemblyEngineProviderAsync + Send>,
    ) -> Result<wapc::WapcHostAsync> {
        let mut builder = WapcHostAsyncBuilder::new();
        if let Some(callback) = &self.host_callback_async {
            let callback = Arc::clone(callback);
            builder = builder.host_callback(move |id, binding, namespace, operation, payload| {
                callback(id, binding, namespace, operation, payload)
            });
        } else if let Some(callback) = &self.host_callback {
            let callback = Arc::clone(callback);
            builder = builder.host_callback(move |id, binding, namespace, operation, payload| {
                Box::pin(std::future::ready(callback(id, &binding, &namespace, &operation, &payload)))
            });
        }
        if let Some(log) = &self.console_log {
            let log = Arc::clone(log);
            builder = builder.console_log(move |id, line| log(id, line));
        }
        builder.build(provider).await
    }
}

fn cannot_share() -> Error {
    Error::provider("this engine provider cannot share its compiled module; build the pool from a host factory")
}
