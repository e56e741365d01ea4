//! The reverse direction: [`Service`] serves a [`WapcHost`]'s operations as wRPC functions, so component
//! clients can call legacy waPC modules.
//!
//! waPC modules cannot list their operations, so a service is told them:
//!
//! - **Opaque**: each operation `op` becomes the function `op` of an instance you name, typed
//!   `func(payload: list<u8>) -> result<list<u8>, string>`; bytes pass through untouched.
//! - **Typed**: each function of a WIT interface calls the operation of the same name (or an
//!   [`alias`](ServiceBuilder::alias)); its parameters reach the guest as MessagePack and the guest's
//!   MessagePack response becomes its results, by the same mapping the bridge uses the other way. A guest error
//!   becomes the `err` of a `result<_, string>` result.
//!
//! Each invocation is handled in a task of its own, and the guest is called on tokio's blocking pool. Over TCP and
//! Unix sockets each connection also names its function in a task of its own, so a client that connects and sends
//! nothing holds up nobody else; it is dropped after ten seconds.
//!
//! [`Service::stop`] stops gracefully: no new invocations are taken, and it returns once every invocation already
//! received has been answered and its answer written out (over NATS: handed to the server). Dropping a
//! [`Service`] stops taking invocations without waiting; on the service's own runtime, that cuts off the calls in
//! flight.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, UnixListener};
use tokio::runtime::Handle;
use tokio::sync::watch;
use tokio_util::task::TaskTracker;
use wapc::WapcHost;
use wrpc_transport::Serve;

use crate::address::Address;
use crate::error::{ConfigError, one_line};
use crate::runtime::BridgeRuntime;
use crate::transcode::{NameCase, Options};
use crate::transport::NatsOptions;
use crate::wit::{Function, Interface};

mod invocation;
mod listen;

use listen::{Listen, SocketServer};

/// How long [`Service::stop`] waits for its last answers to reach the NATS server. It takes this long only while
/// the connection is down: the answers then wait in async-nats's queue for a reconnection.
const NATS_FLUSH_TIMEOUT: Duration = Duration::from_secs(5);

/// Configures a [`Service`].
///
/// ```no_run
/// use std::sync::Arc;
/// use wrpc_bridge::{Address, ServiceBuilder};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let host: Arc<wapc::WapcHost> = unimplemented!();
/// let service = ServiceBuilder::new(host)
///     .opaque("legacy:greeter/api", ["greet", "farewell"])
///     .serve(&"tcp://127.0.0.1:7762".parse::<Address>()?)?;
/// // ...
/// service.stop();
/// # Ok(())
/// # }
/// ```
#[must_use]
pub struct ServiceBuilder {
    host: Arc<WapcHost>,
    exports: Vec<Export>,
    aliases: HashMap<String, String>,
    names: NameCase,
    nats: NatsOptions,
    runtime: Option<Handle>,
}

/// A set of functions to serve.
enum Export {
    Opaque { instance: String, operations: Vec<String> },
    Typed(Interface),
}

/// One served function.
struct Served {
    instance: String,
    function: String,
    operation: String,
    /// `None` for opaque functions.
    signature: Option<Function>,
    options: Options,
}

impl ServiceBuilder {
    /// A service of `host`'s operations, with nothing exported yet.
    pub fn new(host: Arc<WapcHost>) -> Self {
        ServiceBuilder {
            host,
            exports: Vec::new(),
            aliases: HashMap::new(),
            names: NameCase::Kebab,
            nats: NatsOptions::default(),
            runtime: None,
        }
    }

    /// Serves each of `operations` as the opaque function of the same name in `instance`.
    pub fn opaque(
        mut self,
        instance: impl Into<String>,
        operations: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        let operations = operations.into_iter().map(Into::into).collect();
        self.exports.push(Export::Opaque { instance: instance.into(), operations });
        self
    }

    /// Serves every function of `interface`, each calling the operation of the same name.
    pub fn typed(mut self, interface: &Interface) -> Self {
        self.exports.push(Export::Typed(interface.clone()));
        self
    }

    /// Makes the typed function `function` call the operation `operation`.
    pub fn alias(mut self, function: impl Into<String>, operation: impl Into<String>) -> Self {
        self.aliases.insert(function.into(), operation.into());
        self
    }

    /// How record fields and parameters are named in the MessagePack the guest sees (kebab-case by default).
    pub fn names(mut self, names: NameCase) -> Self {
        self.names = names;
        self
    }

    /// NATS settings, for a `nats://` address.
    pub fn nats(mut self, options: NatsOptions) -> Self {
        self.nats = options;
        self
    }

    /// Runs the service on this runtime (multi-thread, with I/O and time enabled) instead of its own.
    pub fn runtime(mut self, runtime: Handle) -> Self {
        self.runtime = Some(runtime);
        self
    }

    /// Starts serving at `address` (`tcp://127.0.0.1:0` picks a free port: see [`Service::address`]).
    ///
    /// # Errors
    /// [`ConfigError::Connect`] when the address cannot be listened on (or the NATS server reached).
    pub fn serve(self, address: &Address) -> Result<Service, ConfigError> {
        let runtime = match self.runtime {
            Some(handle) => BridgeRuntime::handed(handle),
            None => BridgeRuntime::own()?,
        };
        let options = Options { names: self.names };
        let served: Vec<Arc<Served>> = self
            .exports
            .into_iter()
            .flat_map(|export| match export {
                Export::Opaque { instance, operations } => operations
                    .into_iter()
                    .map(|operation| Served {
                        instance: instance.clone(),
                        function: operation.clone(),
                        operation,
                        signature: None,
                        options,
                    })
                    .collect::<Vec<_>>(),
                Export::Typed(interface) => interface
                    .functions
                    .into_values()
                    .map(|function| Served {
                        instance: interface.id.clone(),
                        operation: self.aliases.get(&function.name).cloned().unwrap_or_else(|| function.name.clone()),
                        function: function.name.clone(),
                        signature: Some(function),
                        options,
                    })
                    .collect(),
            })
            .map(Arc::new)
            .collect();
        let (stop, stopped) = watch::channel(false);
        let tracker = TaskTracker::new();
        let start = Start { host: self.host, served, stopped, tracker: tracker.clone() };
        let connect_error = |message: String| ConfigError::Connect {
            target: "service".to_owned(),
            address: address.to_string(),
            message,
        };
        let mut nats = None;
        let local = runtime.block_on(async {
            match address {
                Address::Tcp(at) => {
                    let listener = TcpListener::bind(at).await.map_err(|e| connect_error(e.to_string()))?;
                    let local = listener.local_addr().map_err(|e| connect_error(e.to_string()))?;
                    start.on_socket(listener).await.map_err(|e| connect_error(one_line(&e)))?;
                    Ok::<_, ConfigError>(Address::Tcp(local.to_string()))
                }
                Address::Unix(path) => {
                    let listener = UnixListener::bind(path).map_err(|e| connect_error(e.to_string()))?;
                    start.on_socket(listener).await.map_err(|e| connect_error(one_line(&e)))?;
                    Ok(address.clone())
                }
                Address::Nats(url) => {
                    let connection = self.nats.connect(url).await.map_err(|e| connect_error(one_line(&e)))?;
                    nats = Some(connection.clone());
                    let client = self.nats.wrpc_client(connection).await.map_err(|e| connect_error(one_line(&e)))?;
                    start.on(Arc::new(client)).await.map_err(|e| connect_error(one_line(&e)))?;
                    Ok(address.clone())
                }
            }
        })??;
        Ok(Service { address: local, stop, tracker, nats, runtime })
    }
}

/// A running service.
#[must_use = "a service stops when it is dropped"]
pub struct Service {
    address: Address,
    stop: watch::Sender<bool>,
    tracker: TaskTracker,
    /// The NATS connection, flushed by [`Service::stop`]: wrpc-transport-nats hands answers to the connection's
    /// queue, and a runtime shut down before the queue is written out loses them.
    nats: Option<async_nats::Client>,
    runtime: BridgeRuntime,
}

impl Service {
    /// Where the service listens (for `tcp://…:0`, with the port it got).
    #[must_use]
    pub fn address(&self) -> &Address {
        &self.address
    }

    /// Stops gracefully: takes no new invocations, and returns once every invocation already received has been
    /// answered and its answer written out (over NATS: handed to the server, waiting at most five seconds for a
    /// connection that is down).
    ///
    /// This waits for the guest calls in flight however long they take; bound them with the engine's deadline
    /// or fuel limit.
    pub fn stop(self) {
        let _ = self.stop.send(true);
        self.tracker.close();
        let (tracker, nats) = (self.tracker.clone(), self.nats.clone());
        let _ = self.runtime.block_on(async move {
            tracker.wait().await;
            if let Some(nats) = nats {
                let failure = match tokio::time::timeout(NATS_FLUSH_TIMEOUT, nats.flush()).await {
                    Ok(flushed) => flushed.err().map(|error| error.to_string()),
                    Err(_) => Some(format!("the connection was down for {NATS_FLUSH_TIMEOUT:?}")),
                };
                if let Some(failure) = failure {
                    log::warn!("wrpc-bridge: the last answers may not have reached the NATS server: {failure}");
                }
            }
        });
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        self.tracker.close();
    }
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service").field("address", &self.address).finish_non_exhaustive()
    }
}

/// What the serving tasks share.
struct Start {
    host: Arc<WapcHost>,
    served: Vec<Arc<Served>>,
    stopped: watch::Receiver<bool>,
    tracker: TaskTracker,
}

impl Start {
    /// Serves on a TCP or Unix socket listener, through wRPC's connection server.
    async fn on_socket<L: Listen>(self, listener: L) -> anyhow::Result<()> {
        let server = Arc::new(SocketServer::<L>::default());
        let (stopped, tracker) = (self.stopped.clone(), self.tracker.clone());
        self.on(Arc::clone(&server)).await?;
        // Started after every function is registered, so no invocation finds its function missing.
        tokio::spawn(listen::accept_loop(listener, server, stopped, tracker));
        Ok(())
    }

    /// Registers every served function with `server` and handles their invocations.
    async fn on<S>(self, server: Arc<S>) -> anyhow::Result<()>
    where
        S: Serve + Send + Sync + 'static,
    {
        for served in &self.served {
            let invocations =
                server.serve(&served.instance, &served.function, Vec::<Box<[Option<usize>]>>::new()).await?;
            let task = invocation::invocation_loop(
                invocations,
                Arc::clone(&self.host),
                Arc::clone(served),
                self.stopped.clone(),
                self.tracker.clone(),
            );
            self.tracker.spawn(task);
        }
        Ok(())
    }
}
