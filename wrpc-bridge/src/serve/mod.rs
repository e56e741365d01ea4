//! The reverse direction: [`Service`] serves the operations of a [`WapcHost`](wapc::WapcHost) or of a
//! [`Pool`](wapc_pool::Pool) as wRPC functions, so component clients can call legacy waPC modules.
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
//! Streams and futures reach the guest whole: what a client sends pending is collected from its path before the
//! guest is called (within [`params_timeout`](ServiceBuilder::params_timeout) and
//! [`max_invocation_bytes`](ServiceBuilder::max_invocation_bytes)), and results are sent inline (an empty stream
//! pending, its end on its path). Resources are served too: a handle is whatever bytes the guest answers for
//! `own<R>` (from its constructor, `[constructor]bucket` served as the operation `bucket` unless aliased), and
//! comes back to it as those bytes, as `self`, in each method (`bucket.get`). The guest decides what its handles
//! mean; wRPC sends no drop, so a guest that keeps state per handle decides when to forget it.
//!
//! Each invocation is handled in a task of its own; large parameters are decoded on a bounded set of threads. A
//! [`ServedGuest::Host`] answers one invocation at a time, on a thread of the service's; a
//! [`ServedGuest::AsyncHost`] one at a time too, on the invocation's task; a [`ServedGuest::Pool`] as many at once
//! as it has instances, on the pool's threads (or, for a pool of async hosts, on the invocations' tasks), the rest
//! waiting their turn in the pool's queue without holding a thread. Over TCP and Unix sockets each connection also names its function in a task of its own,
//! so a client that connects and sends nothing holds up nobody else; it is dropped after ten seconds.
//!
//! # Limits
//!
//! Everything a client sends is checked before it costs memory (see [`framing`](crate::framing) for sockets),
//! and each limit has a [`ServiceBuilder`] method:
//!
//! | limit | default | past it |
//! |---|---|---|
//! | [`max_invocation_bytes`](ServiceBuilder::max_invocation_bytes): an invocation's parameters on the wire, and what transcoding writes either way | 16 MiB | the connection is closed (logged); an answer that would be larger is not sent |
//! | [`params_timeout`](ServiceBuilder::params_timeout): from the invocation header to the last parameter byte | 30 s | the invocation is dropped (logged) |
//! | [`max_in_flight`](ServiceBuilder::max_in_flight): invocations handled at once, from connection (or NATS message) to answer written | 256 | newcomers wait up to [`admission_wait`](ServiceBuilder::admission_wait) (1 s), then are refused: the connection is closed, a NATS client gets an empty answer |
//! | [`grace_period`](ServiceBuilder::grace_period): how long [`Service::stop`] lets calls in flight finish | 10 s | what is left is cut off |
//!
//! Memory for parameters is at most `max_in_flight x max_invocation_bytes` (4 GiB with the defaults): lower
//! either for a smaller bound. Parameters must be complete when they arrive (nothing may follow them), and a client
//! is told only a guest's own error text: other failures (traps, deadlines, limits) reach it as their kind alone,
//! with the details in the host's log.
//!
//! # Stopping
//!
//! [`Service::stop`] stops gracefully: no new invocations are taken, and it returns once every invocation already
//! received has been answered and its answer written out (over NATS: handed to the server), or once the grace period
//! has passed, cutting off what is left. [`Service::stop_now`] cuts off at once. Dropping a [`Service`] stops taking
//! invocations without waiting; on the service's own runtime, that cuts off the calls in flight.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::net::{TcpListener, UnixListener};
use tokio::runtime::Handle;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use wrpc_transport::Serve;

use crate::address::Address;
use crate::error::{ConfigError, one_line};
use crate::framing::{Paths, ServedFunctions};
use crate::receive::Values;
use crate::runtime::BridgeRuntime;
use crate::trace_context::Carrier;
use crate::transcode::{self, NameCase, Options};
use crate::transport::NatsOptions;
use crate::wit::{Function, Interface, Type};

mod admission;
mod guest;
mod invocation;
mod limits;
mod listen;
mod workers;

use admission::Admission;
pub use guest::ServedGuest;
use limits::Limits;
pub use limits::{DEFAULT_ADMISSION_WAIT, DEFAULT_GRACE_PERIOD, DEFAULT_MAX_IN_FLIGHT, DEFAULT_PARAMS_TIMEOUT};
use listen::{Listen, SocketServer};
use workers::Workers;

/// How long [`Service::stop`] waits, after cutting off what is left, for the cut-off tasks to end.
const CUT_OFF_WAIT: Duration = Duration::from_millis(250);

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
    guest: ServedGuest,
    exports: Vec<Export>,
    aliases: HashMap<String, String>,
    names: NameCase,
    nats: NatsOptions,
    runtime: Option<Handle>,
    limits: Limits,
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
    shape: Shape,
    options: Options,
    /// The paths the parameters' streams and futures may follow on when sent pending.
    param_paths: Vec<Box<[usize]>>,
}

/// How a served function's values are carried.
enum Shape {
    /// `func(payload: list<u8>) -> result<list<u8>, string>`: bytes pass through.
    Opaque,
    /// Transcoded between the function's WIT types and msgpack.
    Typed(Function),
}

/// The opaque function type.
static OPAQUE: LazyLock<Function> = LazyLock::new(|| transcode::opaque::signature("opaque"));

impl Served {
    /// The types of the function's parameters.
    fn params(&self) -> &[(String, Type)] {
        match &self.shape {
            Shape::Opaque => &OPAQUE.params,
            Shape::Typed(function) => &function.params,
        }
    }

    /// The types of the function's results.
    fn results(&self) -> &[Type] {
        match &self.shape {
            Shape::Opaque => &OPAQUE.results,
            Shape::Typed(function) => &function.results,
        }
    }

    /// The guest's payload for the complete parameters: their bytes for an opaque function, their msgpack for a
    /// typed one.
    fn payload(&self, params: Values) -> anyhow::Result<Bytes> {
        Ok(match &self.shape {
            Shape::Opaque => {
                let (end, payload) = transcode::opaque::decode_params(&params.wire)?;
                let start = end.saturating_sub(payload.len());
                Bytes::from(params.wire).slice(start..end)
            }
            Shape::Typed(function) => {
                Bytes::from(transcode::decode_params(function, &params.wire, &params.received, &self.options)?.1)
            }
        })
    }
}

impl fmt::Display for Served {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{}", self.instance, self.function)
    }
}

impl ServiceBuilder {
    /// A service of `guest`'s operations, with nothing exported yet. `guest` is an `Arc` of a
    /// [`WapcHost`](wapc::WapcHost) or of a [`Pool`](wapc_pool::Pool): see [`ServedGuest`].
    pub fn new(guest: impl Into<ServedGuest>) -> Self {
        ServiceBuilder {
            guest: guest.into(),
            exports: Vec::new(),
            aliases: HashMap::new(),
            names: NameCase::Kebab,
            nats: NatsOptions::default(),
            runtime: None,
            limits: Limits::default(),
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

    /// Serves every function of `interface`, each calling the operation of the same name. Its
    /// [`refused`](Interface::refused) functions are left out, each with a warning in the log (and an
    /// [`alias`](Self::alias) naming one fails [`serve`](Self::serve) with [`ConfigError::Unsupported`]).
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

    /// The most data bytes one invocation's parameters may take on the wire, and the most bytes a transcoding
    /// writes either way: [`DEFAULT_MAX_INVOCATION_BYTES`](crate::framing::DEFAULT_MAX_INVOCATION_BYTES) (16 MiB)
    /// by default.
    pub fn max_invocation_bytes(mut self, bytes: usize) -> Self {
        self.limits.max_invocation_bytes = bytes;
        self
    }

    /// How long a client has, from its invocation header, to send all the parameters
    /// ([`DEFAULT_PARAMS_TIMEOUT`] by default).
    pub fn params_timeout(mut self, timeout: Duration) -> Self {
        self.limits.params_timeout = timeout;
        self
    }

    /// How many invocations are handled at once ([`DEFAULT_MAX_IN_FLIGHT`] by default, at least one); each holds
    /// its place until its answer is written out.
    pub fn max_in_flight(mut self, invocations: usize) -> Self {
        self.limits.max_in_flight = invocations.max(1);
        self
    }

    /// How long a newcomer waits for a place among the invocations in flight before it is refused
    /// ([`DEFAULT_ADMISSION_WAIT`] by default).
    pub fn admission_wait(mut self, wait: Duration) -> Self {
        self.limits.admission_wait = wait;
        self
    }

    /// How long [`Service::stop`] lets the calls in flight finish before it cuts off what is left
    /// ([`DEFAULT_GRACE_PERIOD`] by default).
    pub fn grace_period(mut self, grace: Duration) -> Self {
        self.limits.grace_period = grace;
        self
    }

    /// Starts serving at `address` (`tcp://127.0.0.1:0` picks a free port: see [`Service::address`]).
    ///
    /// # Errors
    /// [`ConfigError::Connect`] when the address cannot be listened on (or the NATS server reached);
    /// [`ConfigError::Unsupported`] when an alias names a function the bridge cannot carry.
    pub fn serve(self, address: &Address) -> Result<Service, ConfigError> {
        let runtime = match self.runtime {
            Some(handle) => BridgeRuntime::handed(handle),
            None => BridgeRuntime::own()?,
        };
        let options = Options { names: self.names, max_output_bytes: self.limits.max_invocation_bytes };
        for export in &self.exports {
            let Export::Typed(interface) = export else { continue };
            for function in interface.refused.keys() {
                let Some(refusal) = interface.refusal(function) else { continue };
                if self.aliases.contains_key(function) {
                    return Err(ConfigError::Unsupported { target: "service".to_owned(), source: refusal });
                }
                wapc::__event!(warn, "wrpc-bridge: the service leaves out {refusal}");
            }
        }
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
                        shape: Shape::Opaque,
                        options,
                        param_paths: Vec::new(),
                    })
                    .collect::<Vec<_>>(),
                Export::Typed(interface) => interface
                    .functions
                    .into_values()
                    .map(|function| Served {
                        instance: interface.id.clone(),
                        operation: self.aliases.get(&function.name).cloned().unwrap_or_else(|| function.name.clone()),
                        function: function.name.clone(),
                        param_paths: function.param_paths(),
                        shape: Shape::Typed(function),
                        options,
                    })
                    .collect(),
            })
            .map(Arc::new)
            .collect();
        let (stop, stopped) = watch::channel(false);
        let shared = Arc::new(Shared {
            // One instance runs one call at a time: more threads would only wait for it. A pool has threads of its own.
            guest: Workers::new(1),
            served_guest: self.guest,
            limits: self.limits,
            decoders: Workers::per_core(),
            stopped,
            cut: CancellationToken::new(),
            tracker: TaskTracker::new(),
            transport: address.transport(),
        });
        let start = Start { shared: Arc::clone(&shared), served };
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
                    // async-nats buffers this many messages per subscription for a slow reader: as many as there
                    // may be invocations in flight, rather than its default of 65,536.
                    let capacity = self.limits.max_in_flight;
                    let connection = self
                        .nats
                        .connect_with_capacity(url, capacity)
                        .await
                        .map_err(|e| connect_error(one_line(&e)))?;
                    nats = Some(connection.clone());
                    let client = self.nats.wrpc_client(connection).await.map_err(|e| connect_error(one_line(&e)))?;
                    start.on_nats(client).await.map_err(|e| connect_error(one_line(&e)))?;
                    Ok(address.clone())
                }
            }
        })??;
        Ok(Service { address: local, stop, shared, nats, runtime })
    }
}

/// A running service.
#[must_use = "a service stops when it is dropped"]
pub struct Service {
    address: Address,
    stop: watch::Sender<bool>,
    shared: Arc<Shared>,
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
    /// answered and its answer written out (over NATS: handed to the server), or once the [grace
    /// period](ServiceBuilder::grace_period) has passed, cutting off the calls and answers still in flight.
    ///
    /// A guest call already running on its thread is not interrupted: it ends by the engine's deadline or fuel
    /// limit, and its answer is dropped.
    pub fn stop(self) {
        self.shut_down(self.shared.limits.grace_period);
    }

    /// Stops at once: takes no new invocations and cuts off those in flight.
    pub fn stop_now(self) {
        self.shut_down(Duration::ZERO);
    }

    fn shut_down(&self, grace: Duration) {
        let _ = self.stop.send(true);
        let shared = &self.shared;
        shared.tracker.close();
        let deadline = Instant::now() + grace;
        let nats = self.nats.clone();
        let _ = self.runtime.block_on(async move {
            if tokio::time::timeout(grace, shared.tracker.wait()).await.is_err() {
                wapc::__event!(
                    warn,
                    "wrpc-bridge: cut off the calls and answers still in flight after the grace period of {grace:?}"
                );
                shared.cut.cancel();
                let _ = tokio::time::timeout(CUT_OFF_WAIT, shared.tracker.wait()).await;
            }
            if let Some(nats) = nats {
                let left = deadline.saturating_duration_since(Instant::now()).max(CUT_OFF_WAIT);
                let failure = match tokio::time::timeout(left, nats.flush()).await {
                    Ok(flushed) => flushed.err().map(|error| error.to_string()),
                    Err(_) => Some(format!("the connection was down for {left:?}")),
                };
                if let Some(failure) = failure {
                    wapc::__event!(
                        warn,
                        "wrpc-bridge: the last answers may not have reached the NATS server: {failure}"
                    );
                }
            }
        });
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        self.shared.tracker.close();
    }
}

impl fmt::Debug for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Service").field("address", &self.address).finish_non_exhaustive()
    }
}

/// What every invocation of a service shares.
struct Shared {
    served_guest: ServedGuest,
    limits: Limits,
    /// Threads for decoding large parameters.
    decoders: Workers,
    /// The thread that calls a [`ServedGuest::Host`].
    guest: Workers,
    /// Set when the service stops taking invocations.
    stopped: watch::Receiver<bool>,
    /// Cancelled when the service cuts off what is still in flight.
    cut: CancellationToken,
    /// Every task of the service, and every connection's outgoing half.
    tracker: TaskTracker,
    /// `tcp`, `unix` or `nats`, for spans.
    transport: &'static str,
}

/// A service about to start.
struct Start {
    shared: Arc<Shared>,
    served: Vec<Arc<Served>>,
}

impl Start {
    /// Serves on a TCP or Unix socket listener, through wRPC's connection server.
    async fn on_socket<L: Listen>(self, listener: L) -> anyhow::Result<()> {
        let server = Arc::new(SocketServer::<L>::default());
        let functions = self.served.iter().fold(ServedFunctions::default(), |functions, served| {
            functions.with(&served.instance, &served.function, Paths::exact(&served.param_paths))
        });
        let admission = Admission::new(self.shared.limits.max_in_flight, self.shared.limits.admission_wait);
        let shared = Arc::clone(&self.shared);
        self.on(Arc::clone(&server), None).await?;
        // Started after every function is registered, so no invocation finds its function missing.
        tokio::spawn(listen::accept_loop(listener, server, Arc::new(functions), admission, shared));
        Ok(())
    }

    /// Serves over NATS: each invocation takes its own place among those in flight.
    async fn on_nats(self, client: wrpc_transport_nats::Client) -> anyhow::Result<()> {
        let admission = Admission::new(self.shared.limits.max_in_flight, self.shared.limits.admission_wait);
        self.on(Arc::new(client), Some(admission)).await
    }

    /// Registers every served function with `server` and handles their invocations.
    async fn on<S>(self, server: Arc<S>, admission: Option<Admission>) -> anyhow::Result<()>
    where
        S: Serve + Send + Sync + 'static,
        S::Context: Carrier,
    {
        for served in &self.served {
            let paths = Paths::exact(&served.param_paths);
            let invocations = server.serve(&served.instance, &served.function, paths.subscribed().to_vec()).await?;
            let task = invocation::invocation_loop(
                invocations,
                Arc::clone(&self.shared),
                Arc::clone(served),
                admission.clone(),
            );
            self.shared.tracker.spawn(task);
        }
        Ok(())
    }
}
