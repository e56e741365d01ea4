//! [`Bridge`]: a waPC [`HostCallback`] that turns a guest's host calls into wRPC invocations.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::runtime::Handle;
use tokio::time::Instant;
use tracing::{Instrument, Span};
use wapc::{HostCallback, HostCallbackAsync};

use crate::config::{BridgeConfig, DEFAULT_DEADLINE, DEFAULT_MAX_RESULT_BYTES};
use crate::error::{CallError, CallSite, ConfigError, one_line};
use crate::framing::Violation;
use crate::receive::{ReceiveError, receive};
use crate::routing::{Destination, Route, Router, Signature};
use crate::runtime::BridgeRuntime;
use crate::spans;
use crate::target::Target;
use crate::transcode::{self, Options, Outcome, Received, TranscodeError, WireScanner};
use crate::transport::{CallContext, Request};
use crate::wit::Function;

/// Forwards waPC host calls to wRPC peers. Cheap to clone; clones share targets and runtime.
///
/// ```no_run
/// use wrpc_bridge::{Bridge, Target};
/// use wrpc_bridge::wit::Catalog;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let bridge = Bridge::builder()
///     .target("kv", Target::new("tcp://127.0.0.1:7761")?.wit(Catalog::load("wit/keyvalue".as_ref())?))
///     .build()?;
/// # let engine: Box<dyn wapc::WebAssemblyEngineProvider> = unimplemented!();
/// let host = wapc::WapcHost::new(engine, Some(bridge.host_callback()))?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Bridge {
    inner: Arc<Inner>,
}

struct Inner {
    router: Router,
    deadline: Duration,
    max_result_bytes: usize,
    fallback: Option<Box<HostCallback>>,
    runtime: BridgeRuntime,
}

/// Configures a [`Bridge`].
#[must_use]
pub struct BridgeBuilder {
    targets: Vec<(String, Target)>,
    routes: Vec<Route>,
    deadline: Duration,
    max_result_bytes: usize,
    fallback: Option<Box<HostCallback>>,
    runtime: Option<Handle>,
}

impl Bridge {
    /// A builder with no targets, the default deadline ([`DEFAULT_DEADLINE`]) and result cap
    /// ([`DEFAULT_MAX_RESULT_BYTES`]).
    pub fn builder() -> BridgeBuilder {
        BridgeBuilder {
            targets: Vec::new(),
            routes: Vec::new(),
            deadline: DEFAULT_DEADLINE,
            max_result_bytes: DEFAULT_MAX_RESULT_BYTES,
            fallback: None,
            runtime: None,
        }
    }

    /// A bridge configured by a [`BridgeConfig`] file.
    ///
    /// # Errors
    /// Those of [`BridgeConfig::from_file`] and [`BridgeBuilder::build`].
    pub fn from_config_file(path: impl AsRef<std::path::Path>) -> Result<Self, ConfigError> {
        Self::builder().config(BridgeConfig::from_file(path)?)?.build()
    }

    /// The callback to give [`WapcHost::new`](wapc::WapcHost::new): each guest host call it receives is routed,
    /// transcoded and invoked, and blocks only the calling thread (see [`runtime`](crate::runtime) for how it
    /// waits from inside a tokio runtime).
    #[must_use]
    pub fn host_callback(&self) -> Box<HostCallback> {
        let bridge = self.clone();
        Box::new(move |id, binding, namespace, operation, payload| {
            bridge.call(id, binding, namespace, operation, payload)
        })
    }

    /// Routes and performs one host call: what [`host_callback`](Self::host_callback) does.
    ///
    /// # Errors
    /// A [`CallError`] (as the boxed error a host callback returns), or the fallback's error.
    pub fn call(
        &self,
        id: u64,
        binding: &str,
        namespace: &str,
        operation: &str,
        payload: &[u8],
    ) -> Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>> {
        let inner = &*self.inner;
        match inner.route(id, binding, namespace, operation, payload) {
            Routed::Answered(answer) => answer,
            Routed::Remote(destination, context) => {
                let invoking = inner.invoke(&destination, context, payload);
                Ok(inner.runtime.block_on(invoking).map_err(CallError::from)??)
            }
        }
    }

    /// The callback to give an async host ([`HostCallbackAsync`]): like [`host_callback`](Self::host_callback),
    /// except that each host call awaits its wRPC invocation on the caller's runtime (which must have I/O and
    /// time enabled), holding no thread while it waits. A [`fallback`](crate::BridgeBuilder::fallback) runs
    /// synchronously, on the caller's task.
    #[must_use]
    pub fn host_callback_async(&self) -> Box<HostCallbackAsync> {
        let bridge = self.clone();
        Box::new(move |id, binding, namespace, operation, payload| {
            let bridge = bridge.clone();
            Box::pin(async move { bridge.call_async(id, &binding, &namespace, &operation, &payload).await })
        })
    }

    /// Routes and performs one host call, awaiting the invocation: what
    /// [`host_callback_async`](Self::host_callback_async) does.
    ///
    /// # Errors
    /// Those of [`call`](Self::call).
    pub async fn call_async(
        &self,
        id: u64,
        binding: &str,
        namespace: &str,
        operation: &str,
        payload: &[u8],
    ) -> Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>> {
        let inner = &*self.inner;
        match inner.route(id, binding, namespace, operation, payload) {
            Routed::Answered(answer) => answer,
            Routed::Remote(destination, context) => Ok(inner.invoke(&destination, context, payload).await?),
        }
    }
}

/// Where a host call goes: a function of a target, or, when no route matches, the fallback's answer.
enum Routed<'a> {
    Remote(Destination<'a>, CallContext<'a>),
    Answered(Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>>),
}

impl Inner {
    /// Routes a host call: to its destination, or to the fallback (or [`CallError::NoRoute`]) at once.
    fn route<'a>(
        &'a self,
        id: u64,
        binding: &'a str,
        namespace: &'a str,
        operation: &'a str,
        payload: &[u8],
    ) -> Routed<'a> {
        if let Some(destination) = self.router.resolve(binding, namespace, operation) {
            let context = CallContext { binding, namespace, operation, max_result_bytes: self.max_result_bytes };
            return Routed::Remote(destination, context);
        }
        if let Some(refusal) = self.router.refusal(binding, namespace, operation) {
            return Routed::Answered(Err(Box::new(CallError::Unsupported(refusal))));
        }
        Routed::Answered(match &self.fallback {
            Some(fallback) => fallback(id, binding, namespace, operation, payload),
            None => Err(Box::new(CallError::NoRoute {
                binding: binding.to_owned(),
                namespace: namespace.to_owned(),
                operation: operation.to_owned(),
            })),
        })
    }

    /// Transcodes the payload, invokes the function within the deadline and transcodes its results, in a
    /// `wrpc.invoke` span ([`spans`](crate::spans)). It must run on a runtime with I/O and time.
    async fn invoke(
        &self,
        destination: &Destination<'_>,
        context: CallContext<'_>,
        payload: &[u8],
    ) -> Result<Vec<u8>, CallError> {
        let target = destination.target;
        let span = spans::invoke(&target.name, destination.instance, &destination.function, target.transport_name);
        let result = self.exchange(destination, context, payload, &span).instrument(span.clone()).await;
        spans::record_outcome(&span, outcome(&result));
        result
    }

    /// What [`invoke`](Self::invoke) does inside its span.
    async fn exchange(
        &self,
        destination: &Destination<'_>,
        context: CallContext<'_>,
        payload: &[u8],
        span: &Span,
    ) -> Result<Vec<u8>, CallError> {
        let deadline = Instant::now() + self.deadline;
        let target = destination.target;
        let site = || {
            Box::new(CallSite {
                target: target.name.clone(),
                address: target.address.clone(),
                instance: destination.instance.to_owned(),
                function: destination.function.clone().into_owned(),
            })
        };
        let (request, result_types) = match destination.signature {
            Signature::Typed(function) => (
                typed_request(function, payload, &target.options)
                    .map_err(|source| CallError::Params { site: site(), source })?,
                function.results.as_slice(),
            ),
            Signature::Opaque => {
                let mut params = Vec::with_capacity(payload.len() + 16);
                transcode::opaque::encode_params(payload, &mut params);
                let request = Request { params: Bytes::from(params), deferred: Vec::new(), result_paths: Vec::new() };
                (request, transcode::opaque::result_types())
            }
        };
        let sent = request.params.len() + request.deferred.iter().map(|(_, bytes)| bytes.len()).sum::<usize>();
        spans::record_bytes(span, "params_bytes", sent);
        let (instance, function) = (destination.instance, destination.function.as_ref());
        let invoking = target.transport.invoke(context, instance, function, request);
        let incoming = match tokio::time::timeout_at(deadline, invoking).await {
            Ok(Ok(incoming)) => incoming,
            Ok(Err(e)) => return Err(CallError::Transport { site: site(), message: one_line(&e) }),
            Err(_elapsed) => return Err(CallError::Deadline { site: site(), deadline: self.deadline, waiting: None }),
        };
        let scanner = WireScanner::results(result_types, self.max_result_bytes);
        let values = receive(incoming, scanner, self.max_result_bytes, deadline).await.map_err(|e| match e {
            ReceiveError::TooLarge => CallError::ResultTooLarge { site: site(), limit: self.max_result_bytes },
            ReceiveError::Io(e) => match Violation::of(&e) {
                Some(Violation::TooLarge { .. }) => {
                    CallError::ResultTooLarge { site: site(), limit: self.max_result_bytes }
                }
                _ => CallError::Transport { site: site(), message: e.to_string() },
            },
            ReceiveError::Malformed { path: None, error, wire } => {
                let source = match self.decode(destination, &wire, &[]) {
                    Err(decoded) if !decoded.is_incomplete() => decoded,
                    _ => error.in_root("results"),
                };
                CallError::Results { site: site(), source }
            }
            ReceiveError::Malformed { path: Some(path), error, .. } => {
                CallError::Transport { site: site(), message: format!("on the results' path {path:?}: {error}") }
            }
            ReceiveError::Ended { path: None, after } => CallError::Transport {
                site: site(),
                message: format!("the peer ended its results after {after} bytes, before they were complete"),
            },
            ReceiveError::Ended { path: Some(path), after } => CallError::Transport {
                site: site(),
                message: format!(
                    "the peer ended the results' path {path:?} after {after} bytes, before it was complete"
                ),
            },
            ReceiveError::Deadline { waiting } => CallError::Deadline {
                site: site(),
                deadline: self.deadline,
                waiting: waiting.map(|(path, ty)| format!("the {ty} on path {path:?}")),
            },
        })?;
        let received = values.wire.len() + values.received.iter().map(|received| received.wire.len()).sum::<usize>();
        spans::record_bytes(span, "results_bytes", received);
        let (consumed, outcome) = self
            .decode(destination, &values.wire, &values.received)
            .map_err(|source| CallError::Results { site: site(), source })?;
        if consumed != values.wire.len() {
            let extra = values.wire.len().saturating_sub(consumed);
            return Err(CallError::Transport {
                site: site(),
                message: format!("the peer sent {extra} bytes after its results"),
            });
        }
        match outcome {
            Outcome::Ok(response) => Ok(response),
            Outcome::Err(text) => Err(CallError::Remote(text)),
        }
    }

    /// Decodes complete results.
    fn decode(
        &self,
        destination: &Destination<'_>,
        wire: &[u8],
        received: &[Received],
    ) -> Result<(usize, Outcome), TranscodeError> {
        match destination.signature {
            Signature::Typed(function) => {
                transcode::decode_results(function, wire, received, &destination.target.options)
            }
            Signature::Opaque => transcode::opaque::decode_results(wire),
        }
    }
}

/// How a call ended, for its span.
fn outcome(result: &Result<Vec<u8>, CallError>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(CallError::Remote(_)) => "remote error",
        Err(CallError::Params { .. }) => "params do not fit",
        Err(CallError::Results { .. }) => "results do not fit",
        Err(CallError::ResultTooLarge { .. }) => "results too large",
        Err(CallError::Deadline { .. }) => "deadline exceeded",
        Err(_) => "transport failed",
    }
}

/// The invocation of `function` with the guest's msgpack `payload`: its parameters, the ends of the empty streams
/// they send pending, and the paths its results' streams and futures may follow on.
fn typed_request(function: &Function, payload: &[u8], options: &Options) -> Result<Request, TranscodeError> {
    let mut params = Vec::with_capacity(payload.len() + 16);
    transcode::encode_params(function, payload, options, &mut params)?;
    let mut deferred = Vec::new();
    if function.params.iter().any(|(_, ty)| ty.holds_async()) {
        let scanner = WireScanner::params(&function.params, usize::MAX);
        for path in transcode::stream_ends(scanner, &params).map_err(|e| e.in_root("params"))? {
            deferred.push((path, Bytes::from_static(&[0])));
        }
    }
    Ok(Request { params: Bytes::from(params), deferred, result_paths: function.result_paths() })
}

impl BridgeBuilder {
    /// Adds a target under `name`: by convention, guests reach it with `binding` `name`.
    pub fn target(mut self, name: impl Into<String>, target: Target) -> Self {
        self.targets.push((name.into(), target));
        self
    }

    /// Adds a route for a call the convention does not cover.
    pub fn route(mut self, route: Route) -> Self {
        self.routes.push(route);
        self
    }

    /// One call's deadline, covering invoking, sending the parameters and reading the results.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// The cap on one call's result bytes on the wire, and on what a call's parameters and results transcode to.
    pub fn max_result_bytes(mut self, max_result_bytes: usize) -> Self {
        self.max_result_bytes = max_result_bytes;
        self
    }

    /// The callback for calls no route or convention covers (by default they are refused).
    pub fn fallback(
        mut self,
        fallback: impl Fn(u64, &str, &str, &str, &[u8]) -> Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>>
        + Send
        + Sync
        + 'static,
    ) -> Self {
        self.fallback = Some(Box::new(fallback));
        self
    }

    /// Runs the bridge's I/O on this runtime (multi-thread, with I/O and time enabled) instead of a runtime of
    /// its own.
    pub fn runtime(mut self, runtime: Handle) -> Self {
        self.runtime = Some(runtime);
        self
    }

    /// Adds everything a configuration file says (loading the targets' WIT).
    ///
    /// # Errors
    /// [`ConfigError`] for a bad address or WIT.
    pub fn config(mut self, config: BridgeConfig) -> Result<Self, ConfigError> {
        if let Some(deadline) = config.deadline {
            self.deadline = deadline;
        }
        if let Some(max) = config.max_result_bytes {
            self.max_result_bytes = max;
        }
        for (name, target) in config.targets {
            let target = Target::from_config(&name, target)?;
            self.targets.push((name, target));
        }
        self.routes.extend(config.routes);
        Ok(self)
    }

    /// Connects the targets (NATS targets connect now; socket targets connect per call) and checks the
    /// routes.
    ///
    /// # Errors
    /// [`ConfigError`] for an unreachable NATS server, refused credentials, or a route that names an unknown
    /// target or function.
    pub fn build(self) -> Result<Bridge, ConfigError> {
        let runtime = match self.runtime {
            Some(handle) => BridgeRuntime::handed(handle),
            None => BridgeRuntime::own()?,
        };
        let connect = async {
            let mut targets = HashMap::with_capacity(self.targets.len());
            for (name, target) in self.targets {
                let target = target.connect(&name, self.max_result_bytes).await?;
                targets.insert(name, target);
            }
            Ok::<_, ConfigError>(targets)
        };
        let targets = runtime.block_on(connect)??;
        let router = Router::new(targets, self.routes)?;
        let inner = Inner {
            router,
            deadline: self.deadline,
            max_result_bytes: self.max_result_bytes,
            fallback: self.fallback,
            runtime,
        };
        Ok(Bridge { inner: Arc::new(inner) })
    }
}

impl std::fmt::Debug for Bridge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bridge")
            .field("router", &self.inner.router)
            .field("deadline", &self.inner.deadline)
            .field("max_result_bytes", &self.inner.max_result_bytes)
            .field("fallback", &self.inner.fallback.is_some())
            .finish_non_exhaustive()
    }
}
