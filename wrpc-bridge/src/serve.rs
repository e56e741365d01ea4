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
//! [`Service::stop`] stops gracefully: no new invocations are taken, and those in flight finish.

use std::collections::HashMap;
use std::sync::Arc;

use futures::{Stream, StreamExt};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, UnixListener};
use tokio::runtime::Handle;
use tokio::sync::watch;
use tokio_util::task::TaskTracker;
use wapc::WapcHost;
use wrpc_transport::Serve;

use crate::address::Address;
use crate::error::ConfigError;
use crate::runtime::BridgeRuntime;
use crate::transcode::{self, NameCase, Options};
use crate::transport::NatsOptions;
use crate::wit::{Function, Interface};

/// The most parameter bytes one invocation may send.
const MAX_PARAMS_BYTES: usize = 64 * 1024 * 1024;

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
        let local = runtime.block_on(async {
            match address {
                Address::Tcp(at) => {
                    let listener = TcpListener::bind(at).await.map_err(|e| connect_error(e.to_string()))?;
                    let local = listener.local_addr().map_err(|e| connect_error(e.to_string()))?;
                    start.on_tcp(listener).await.map_err(|e| connect_error(format!("{e:#}")))?;
                    Ok::<_, ConfigError>(Address::Tcp(local.to_string()))
                }
                Address::Unix(path) => {
                    let listener = UnixListener::bind(path).map_err(|e| connect_error(e.to_string()))?;
                    start.on_unix(listener).await.map_err(|e| connect_error(format!("{e:#}")))?;
                    Ok(address.clone())
                }
                Address::Nats(url) => {
                    let nats = self.nats.connect(url).await.map_err(|e| connect_error(format!("{e:#}")))?;
                    let client = self.nats.wrpc_client(nats).await.map_err(|e| connect_error(format!("{e:#}")))?;
                    start.on(Arc::new(client)).await.map_err(|e| connect_error(format!("{e:#}")))?;
                    Ok(address.clone())
                }
            }
        })??;
        Ok(Service { address: local, stop, tracker, runtime })
    }
}

/// A running service.
#[must_use = "a service stops when it is dropped"]
pub struct Service {
    address: Address,
    stop: watch::Sender<bool>,
    tracker: TaskTracker,
    runtime: BridgeRuntime,
}

impl Service {
    /// Where the service listens (for `tcp://…:0`, with the port it got).
    #[must_use]
    pub fn address(&self) -> &Address {
        &self.address
    }

    /// Stops gracefully: takes no new invocations, and returns once those in flight have finished.
    pub fn stop(self) {
        let _ = self.stop.send(true);
        self.tracker.close();
        let tracker = self.tracker.clone();
        let _ = self.runtime.block_on(async move { tracker.wait().await });
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

/// Registers the functions with a wRPC connection server over `$listener`, then accepts connections until the
/// service stops. (A macro, not a generic function: the accept future is `Send` only for concrete listeners.)
macro_rules! accept_loop {
    ($start:expr, $listener:expr) => {{
        let listener = $listener;
        let server = Arc::new(wrpc_transport::Server::default());
        let mut stopped = $start.stopped.clone();
        let accepting = Arc::clone(&server);
        $start.on(server).await?;
        // Started after every function is registered, so no invocation finds its function missing.
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = stopped.wait_for(|stop| *stop) => return,
                    accepted = accepting.accept(&listener) => if let Err(e) = accepted {
                        log::warn!("wrpc-bridge: refused a connection: {e}");
                    },
                }
            }
        });
        Ok(())
    }};
}

/// What the serving tasks share.
struct Start {
    host: Arc<WapcHost>,
    served: Vec<Arc<Served>>,
    stopped: watch::Receiver<bool>,
    tracker: TaskTracker,
}

impl Start {
    /// Serves on a TCP listener, through wRPC's connection server.
    async fn on_tcp(self, listener: TcpListener) -> anyhow::Result<()> {
        accept_loop!(self, listener)
    }

    /// Serves on a Unix socket listener, through wRPC's connection server.
    async fn on_unix(self, listener: UnixListener) -> anyhow::Result<()> {
        accept_loop!(self, listener)
    }

    /// Registers every served function with `server` and handles their invocations.
    async fn on<S>(self, server: Arc<S>) -> anyhow::Result<()>
    where
        S: Serve + Send + Sync + 'static,
    {
        for served in &self.served {
            let invocations =
                server.serve(&served.instance, &served.function, Vec::<Box<[Option<usize>]>>::new()).await?;
            let task = invocation_loop(
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

/// Takes a function's invocations until the service stops, handling each in a task of its own.
async fn invocation_loop<C, O, I>(
    invocations: impl Stream<Item = anyhow::Result<(C, O, I)>> + Send + 'static,
    host: Arc<WapcHost>,
    served: Arc<Served>,
    mut stopped: watch::Receiver<bool>,
    tracker: TaskTracker,
) where
    O: AsyncWrite + Send + Unpin + 'static,
    I: AsyncRead + Send + Unpin + 'static,
{
    let mut invocations = std::pin::pin!(invocations);
    loop {
        tokio::select! {
            biased;
            _ = stopped.wait_for(|stop| *stop) => return,
            next = invocations.next() => match next {
                None => return,
                Some(Err(e)) => log::warn!("wrpc-bridge: a failed invocation of {}#{}: {e:#}", served.instance, served.function),
                Some(Ok((_, results, params))) => {
                    let (host, served) = (Arc::clone(&host), Arc::clone(&served));
                    tracker.spawn(async move {
                        if let Err(e) = handle(&host, &served, params, results).await {
                            log::warn!("wrpc-bridge: {}#{} failed: {e:#}", served.instance, served.function);
                        }
                    });
                }
            },
        }
    }
}

/// One invocation: reads the parameters, calls the guest, writes the results.
async fn handle<I, O>(host: &Arc<WapcHost>, served: &Served, mut params: I, mut results: O) -> anyhow::Result<()>
where
    I: AsyncRead + Unpin,
    O: AsyncWrite + Unpin,
{
    let mut buffer = Vec::new();
    let payload = loop {
        let decoded = match &served.signature {
            Some(function) => transcode::decode_params(function, &buffer, &served.options),
            None => transcode::opaque::decode_params(&buffer).map(|(used, payload)| (used, payload.to_vec())),
        };
        match decoded {
            Ok((_, payload)) => break payload,
            Err(e) if e.is_incomplete() && buffer.len() < MAX_PARAMS_BYTES => {
                if params.read_buf(&mut buffer).await? == 0 {
                    anyhow::bail!("the client ended its parameters before they were complete");
                }
            }
            Err(e) => return Err(e.into()),
        }
    };
    let host = Arc::clone(host);
    let operation = served.operation.clone();
    let response = tokio::task::spawn_blocking(move || host.call(&operation, &payload)).await?;
    let response = response.map_err(|error| match error {
        wapc::errors::Error::GuestError(text) => text,
        other => other.to_string(),
    });
    let mut encoded = Vec::new();
    match &served.signature {
        Some(function) => {
            let response = response.as_ref().map(Vec::as_slice).map_err(String::as_str);
            transcode::encode_results(function, response, &served.options, &mut encoded)?;
        }
        None => {
            let response = response.as_ref().map(Vec::as_slice).map_err(String::as_str);
            transcode::opaque::encode_results(response, &mut encoded);
        }
    }
    results.write_all(&encoded).await?;
    results.flush().await?;
    results.shutdown().await?;
    Ok(())
}
