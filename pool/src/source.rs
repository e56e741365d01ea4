//! [`Source`]: how a pool makes the host of each instance.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use parking_lot::Mutex;
use wapc::errors::{Error, Result, panic_message};
use wapc::{ConsoleLog, HostCallback, WapcHost, WapcHostBuilder, WebAssemblyEngineProvider};

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
    /// A factory of whole hosts; the pool cannot replace their module.
    Hosts(Box<HostFactory>),
}

/// What every host of a [`Source::Module`] pool is made with.
#[derive(Clone, Default)]
pub(crate) struct HostSettings {
    pub(crate) host_callback: Option<Arc<HostCallback>>,
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

    /// Makes a host with a fresh instance, its start functions run.
    pub(crate) fn make(&self) -> Result<WapcHost> {
        match self {
            Source::Module { prototype, hosts } => {
                let provider = prototype.lock().share_module().ok_or_else(cannot_share)?;
                hosts.build(provider)
            }
            Source::Hosts(factory) => catch_unwind(AssertUnwindSafe(factory)).unwrap_or_else(|panic| {
                Err(Error::provider(format!("the pool's host factory panicked: {}", panic_message(&*panic))))
            }),
        }
    }

    /// A source of the module `bytes`, with the same settings, and its first host. The module is compiled
    /// once, and its start functions have run in that host.
    ///
    /// # Errors
    /// Those of [`WapcHost::replace_module`]; [`Error::Provider`] for a pool made from a host factory.
    pub(crate) fn with_module(&self, bytes: &[u8]) -> Result<(Source, WapcHost)> {
        let Source::Module { hosts, .. } = self else {
            return Err(Error::provider("a pool made from a host factory cannot replace its module"));
        };
        let host = self.make()?;
        host.replace_module(bytes)?;
        let prototype = host.share_module().ok_or_else(cannot_share)?;
        Ok((Source::Module { prototype: Mutex::new(prototype), hosts: hosts.clone() }, host))
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
}

fn cannot_share() -> Error {
    Error::provider("this engine provider cannot share its compiled module; build the pool from a host factory")
}
