//! [`WapcHostAsync`]: calls into one waPC module whose host calls are awaited, not blocked on.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::{Mutex, MutexGuard};
use tracing::Instrument;

use crate::active_call::{ActiveCall, Request};
use crate::errors::{Error, ExecutionLimit, Result, panic_message};
use crate::host::{abi_length, next_host_id, outcome};
use crate::module_state::{Callback, ModuleState};
use crate::spans;
use crate::{ConsoleLog, HostCallbackAsync, HostCallbackFuture, WebAssemblyEngineProviderAsync};

/// The state an async host shares with its provider: the same [`ModuleState`] a [`WapcHost`](crate::WapcHost)
/// shares, holding the async callback. The name is upstream's.
pub type ModuleStateAsync = ModuleState;

/// A host for one waPC module whose guest's host calls are awaited: `call(...).await` runs an operation of the
/// guest, and while its host callback waits (on a network service, a timer, a lock) no thread is held.
///
/// It behaves as [`WapcHost`](crate::WapcHost) does (typed errors, a fresh instance after an aborted call,
/// [`Error::Reentrant`] for a callback calling its own host, one call at a time per instance), with an
/// [`WebAssemblyEngineProviderAsync`] (wasmtime-provider's `build_async`, wasmi-provider's `build_async`) and
/// upstream's [`HostCallbackAsync`]. Its futures are `Send`. Dropping a call's future cancels the call: the
/// instance it ran in is replaced before the next call.
///
/// ```no_run
/// use wapc::WapcHostAsync;
/// use wasmtime_provider::WasmtimeEngineProviderBuilder;
///
/// # async fn run() -> Result<(), wapc::errors::Error> {
/// let module = std::fs::read("guest.wasm")?;
/// let engine = WasmtimeEngineProviderBuilder::new().module_bytes(&module).build_async()?;
/// let host = WapcHostAsync::new(
///     Box::new(engine),
///     Some(Box::new(|_id, _binding, _namespace, operation, payload| {
///         Box::pin(async move {
///             tokio::time::sleep(std::time::Duration::from_millis(10)).await; // holds no thread
///             Ok(format!("{operation}: {} bytes", payload.len()).into_bytes())
///         })
///     })),
/// )
/// .await?;
/// let response = host.call("echo", b"hello").await?;
/// # Ok(())
/// # }
/// ```
pub struct WapcHostAsync {
    state: Arc<ModuleState>,
    engine: Mutex<Engine>,
    /// How long `call` waits for a busy instance; `None` waits as long as it takes.
    lock_wait: Option<Duration>,
}

/// The provider and whether its instance must be replaced before the next call.
struct Engine {
    provider: Box<dyn WebAssemblyEngineProviderAsync + Send>,
    needs_fresh_instance: bool,
}

impl WapcHostAsync {
    /// Makes a host for the module `engine` was built with, instantiating it and running its start functions.
    /// The guest's host calls go to `host_callback`; without one they fail with an error the guest sees.
    ///
    /// # Errors
    /// Those of [`WebAssemblyEngineProviderAsync::init`]: a missing export, a failing start function.
    pub async fn new(
        engine: Box<dyn WebAssemblyEngineProviderAsync + Send>,
        host_callback: Option<Box<HostCallbackAsync>>,
    ) -> Result<Self> {
        WapcHostAsyncBuilder { host_callback, ..WapcHostAsyncBuilder::default() }.build(engine).await
    }

    /// The host's unique id, the first argument its host callback receives.
    #[must_use]
    pub fn id(&self) -> u64 {
        self.state.id()
    }

    /// Runs `operation` of the guest with `payload` and returns its response.
    ///
    /// # Errors
    /// Those of [`WapcHost::call`](crate::WapcHost::call).
    pub async fn call(&self, operation: &str, payload: &[u8]) -> Result<Vec<u8>> {
        let Some(span) = spans::call(self.state.id(), operation, payload) else {
            return self.call_guest(operation, payload).await;
        };
        let result = self.call_guest(operation, payload).instrument(span.clone()).await;
        spans::record_outcome(&span, &result);
        result
    }

    async fn call_guest(&self, operation: &str, payload: &[u8]) -> Result<Vec<u8>> {
        let op_length = abi_length("the operation name", operation.len())?;
        let msg_length = abi_length("the payload", payload.len())?;
        if ActiveCall::is_running(&self.state) {
            return Err(Error::Reentrant);
        }
        let mut engine = self.lock().await?;
        engine.refresh(&self.state).await?;
        // The instance counts as poisoned until the call ends: a call whose future is dropped half-way leaves
        // it so.
        engine.needs_fresh_instance = true;
        let mut call = ActiveCall::new(&self.state, Some(Request { operation, payload }));
        let result = InCall::new(&mut call, engine.provider.call(op_length, msg_length))
            .await
            .and_then(|code| outcome(&call, code));
        engine.needs_fresh_instance = result.as_ref().is_err_and(Error::aborted_call);
        if engine.needs_fresh_instance {
            // Free the poisoned instance now; if a fresh one cannot be made, the next call says why.
            let _ = engine.refresh(&self.state).await;
        }
        result
    }

    /// Replaces the module with `module`, atomically between calls: see
    /// [`WapcHost::replace_module`](crate::WapcHost::replace_module).
    ///
    /// # Errors
    /// Those of [`WapcHost::replace_module`](crate::WapcHost::replace_module).
    pub async fn replace_module(&self, module: &[u8]) -> Result<()> {
        if ActiveCall::is_running(&self.state) {
            return Err(Error::Reentrant);
        }
        let mut engine = self.lock().await?;
        let mut start = ActiveCall::new(&self.state, None);
        InCall::new(&mut start, engine.provider.replace(module)).await?;
        engine.needs_fresh_instance = false;
        Ok(())
    }

    /// The bytes of linear memory the guest's instance has committed, if its provider tracks them; `None` too
    /// while a call holds the instance (this does not wait for it).
    #[must_use]
    pub fn memory_bytes(&self) -> Option<usize> {
        self.engine.try_lock().ok()?.provider.memory_bytes()
    }

    /// Another provider of the module this host runs, sharing its compiled code (see
    /// [`WebAssemblyEngineProviderAsync::share_module`]); `None` too while a call holds the instance (this does
    /// not wait for it).
    #[must_use]
    pub fn share_module(&self) -> Option<Box<dyn WebAssemblyEngineProviderAsync + Send>> {
        self.engine.try_lock().ok()?.provider.share_module()
    }

    async fn lock(&self) -> Result<MutexGuard<'_, Engine>> {
        match self.lock_wait {
            None => Ok(self.engine.lock().await),
            Some(wait) => tokio::time::timeout(wait, self.engine.lock())
                .await
                .map_err(|_| Error::DeadlineExceeded(ExecutionLimit::WallClock(wait))),
        }
    }
}

impl Engine {
    /// Replaces the instance if the last call aborted (or was dropped).
    async fn refresh(&mut self, state: &ModuleState) -> Result<()> {
        if self.needs_fresh_instance {
            let mut start = ActiveCall::new(state, None);
            InCall::new(&mut start, self.provider.reset()).await?;
            self.needs_fresh_instance = false;
        }
        Ok(())
    }
}

impl std::fmt::Debug for WapcHostAsync {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WapcHostAsync").field("state", &self.state).field("lock_wait", &self.lock_wait).finish()
    }
}

/// A provider's future, polled inside a call: the call is current on the polling thread during each poll, so
/// the [`abi`](crate::abi) functions the guest reaches then find it, whichever thread polls. A panic of the
/// engine (or of WASI code) is an error, as in [`WapcHost`](crate::WapcHost).
struct InCall<'c, 'a, F> {
    call: &'c mut ActiveCall<'a>,
    inner: F,
}

impl<'c, 'a, F> InCall<'c, 'a, F> {
    fn new(call: &'c mut ActiveCall<'a>, inner: F) -> Self {
        InCall { call, inner }
    }
}

impl<R, F: Future<Output = Result<R>> + Unpin> Future for InCall<'_, '_, F> {
    type Output = Result<R>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<R>> {
        let this = self.get_mut();
        let inner = &mut this.inner;
        this.call.run(|| catch_unwind(AssertUnwindSafe(|| Pin::new(inner).poll(cx)))).unwrap_or_else(|panic| {
            Poll::Ready(Err(Error::provider(format!("the engine panicked: {}", panic_message(&*panic)))))
        })
    }
}

/// Makes a [`WapcHostAsync`] with the options [`WapcHostAsync::new`] does not take.
///
/// ```no_run
/// use wapc::WapcHostAsyncBuilder;
/// use wasmtime_provider::WasmtimeEngineProviderBuilder;
///
/// # async fn run() -> Result<(), wapc::errors::Error> {
/// let module = std::fs::read("guest.wasm")?;
/// let engine = WasmtimeEngineProviderBuilder::new().module_bytes(&module).build_async()?;
/// let host = WapcHostAsyncBuilder::new()
///     .host_callback(|_id, _binding, _namespace, _operation, payload| Box::pin(async move { Ok(payload) }))
///     .console_log(|id, line| eprintln!("guest {id}: {line}"))
///     .build(Box::new(engine))
///     .await?;
/// # Ok(())
/// # }
/// ```
#[derive(Default)]
#[must_use]
pub struct WapcHostAsyncBuilder {
    host_callback: Option<Box<HostCallbackAsync>>,
    console_log: Option<Box<ConsoleLog>>,
    instance_wait: Option<Duration>,
}

impl WapcHostAsyncBuilder {
    /// A builder with no host callback and guest logs going to `tracing` (target `wapc::guest`).
    pub fn new() -> Self {
        Self::default()
    }

    /// Handles the guest's host calls: `(host id, binding, namespace, operation, payload)` to a future of the
    /// answer.
    pub fn host_callback(
        mut self,
        callback: impl Fn(u64, String, String, String, Vec<u8>) -> HostCallbackFuture + Send + Sync + 'static,
    ) -> Self {
        self.host_callback = Some(Box::new(callback));
        self
    }

    /// Handles the guest's `__console_log` lines: see
    /// [`WapcHostBuilder::console_log`](crate::WapcHostBuilder::console_log).
    pub fn console_log(mut self, handler: impl Fn(u64, &str) + Send + Sync + 'static) -> Self {
        self.console_log = Some(Box::new(handler));
        self
    }

    /// How long a call waits for the instance while another call holds it: see
    /// [`WapcHostBuilder::instance_wait`](crate::WapcHostBuilder::instance_wait). The wait is a tokio timer, so
    /// a host with one (given here, or the provider's call deadline) is called on a tokio runtime with time
    /// enabled.
    pub fn instance_wait(mut self, wait: Duration) -> Self {
        self.instance_wait = Some(wait);
        self
    }

    /// Makes the host, instantiating the module and running its start functions.
    ///
    /// # Errors
    /// Those of [`WapcHostAsync::new`].
    pub async fn build(self, engine: Box<dyn WebAssemblyEngineProviderAsync + Send>) -> Result<WapcHostAsync> {
        let callback = self.host_callback.map_or(Callback::None, Callback::Awaiting);
        let state = Arc::new(ModuleState::new(next_host_id(), callback, self.console_log));
        let lock_wait = self.instance_wait.or_else(|| engine.call_deadline());
        let mut engine = Engine { provider: engine, needs_fresh_instance: false };
        let mut start = ActiveCall::new(&state, None);
        InCall::new(&mut start, engine.provider.init(Arc::clone(&state))).await?;
        Ok(WapcHostAsync { state, engine: Mutex::new(engine), lock_wait })
    }
}

impl std::fmt::Debug for WapcHostAsyncBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WapcHostAsyncBuilder")
            .field("host_callback", &self.host_callback.is_some())
            .field("console_log", &self.console_log.is_some())
            .field("instance_wait", &self.instance_wait)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU64, Ordering};

    use super::*;
    use crate::abi::{self, Region};

    /// A provider whose "guest" is Rust code: it takes the request, makes one host call with the operation as
    /// the callback's operation and the payload as its payload, and answers what the host answered.
    struct ScriptedProvider {
        memory: Vec<u8>,
        resets: Arc<AtomicU64>,
    }

    #[async_trait::async_trait]
    impl WebAssemblyEngineProviderAsync for ScriptedProvider {
        async fn init(&mut self, _host: Arc<ModuleStateAsync>) -> Result<()> {
            Ok(())
        }
        async fn call(&mut self, op_length: i32, msg_length: i32) -> Result<i32> {
            abi::guest_request(self.memory.as_mut_slice(), 0, 64)?;
            let (operation, payload) = (Region::new(0, op_length), Region::new(64, msg_length));
            let code =
                abi::host_call_async(self.memory.as_slice(), Region::EMPTY, Region::EMPTY, operation, payload)?.await?;
            if code == 0 {
                let len = abi::host_error_len()?;
                abi::host_error(self.memory.as_mut_slice(), 128)?;
                abi::guest_error(self.memory.as_slice(), Region::new(128, len))?;
                return Ok(0);
            }
            let len = abi::host_response_len()?;
            abi::host_response(self.memory.as_mut_slice(), 128)?;
            abi::guest_response(self.memory.as_slice(), Region::new(128, len))?;
            Ok(1)
        }
        async fn replace(&mut self, _bytes: &[u8]) -> Result<()> {
            Err(Error::InvalidModule("scripted providers cannot load modules".into()))
        }
        async fn reset(&mut self) -> Result<()> {
            self.resets.fetch_add(1, Ordering::Relaxed);
            self.memory.fill(0);
            Ok(())
        }
    }

    /// Where the callbacks of three concurrent calls wait for each other.
    static MEETING: std::sync::LazyLock<tokio::sync::Barrier> =
        std::sync::LazyLock::new(|| tokio::sync::Barrier::new(3));

    /// The host under test, for the callback below to call back into.
    static REENTERED: OnceLock<Arc<WapcHostAsync>> = OnceLock::new();

    async fn host() -> (Arc<WapcHostAsync>, Arc<AtomicU64>) {
        let resets = Arc::new(AtomicU64::new(0));
        let provider = ScriptedProvider { memory: vec![0; 256], resets: Arc::clone(&resets) };
        let host = WapcHostAsyncBuilder::new()
            .host_callback(|_id, _binding, _namespace, operation, payload| {
                Box::pin(async move {
                    match operation.as_str() {
                        "sleep" => tokio::time::sleep(Duration::from_millis(20)).await,
                        "meet" => {
                            MEETING.wait().await;
                        }
                        "fail" => return Err("refused".into()),
                        "panic" => panic!("callback exploded"),
                        "reenter" => {
                            let host = REENTERED.get().ok_or("no host to reenter")?;
                            return Ok(format!("{:?}", host.call("echo", b"").await).into_bytes());
                        }
                        _ => {}
                    }
                    Ok(payload.into_iter().rev().collect())
                })
            })
            .build(Box::new(provider))
            .await
            .unwrap();
        (Arc::new(host), resets)
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap()
    }

    #[test]
    fn the_host_and_its_futures_are_send() {
        fn send<T: Send>(_: &T) {}
        fn send_sync<T: Send + Sync>() {}
        send_sync::<WapcHostAsync>();
        let (host, _) = runtime().block_on(host());
        send(&host.call("op", b""));
        send(&host.replace_module(b""));
        send(
            &WapcHostAsyncBuilder::new()
                .build(Box::new(ScriptedProvider { memory: Vec::new(), resets: <_>::default() })),
        );
    }

    #[test]
    fn an_awaiting_callback_answers_the_guest() {
        runtime().block_on(async {
            let (host, resets) = host().await;
            assert_eq!(host.call("sleep", b"abc").await.unwrap(), b"cba");
            assert!(matches!(host.call("fail", b"").await, Err(Error::GuestError(text)) if text == "refused"));
            assert_eq!(resets.load(Ordering::Relaxed), 0);
        });
    }

    #[test]
    fn calls_awaiting_their_callbacks_interleave_on_one_thread_across_hosts() {
        runtime().block_on(async {
            let hosts = [host().await.0, host().await.0, host().await.0];
            // Each callback waits until all three have started: calls run one after another would never end.
            let calls = futures::future::join_all(hosts.iter().map(|host| host.call("meet", b"xy")));
            let answers =
                tokio::time::timeout(Duration::from_secs(10), calls).await.expect("the calls did not overlap");
            for answer in answers {
                assert_eq!(answer.unwrap(), b"yx");
            }
        });
    }

    #[test]
    fn a_dropped_call_replaces_the_instance_and_the_host_keeps_working() {
        runtime().block_on(async {
            let (host, resets) = host().await;
            let cancelled = tokio::time::timeout(Duration::from_millis(5), host.call("sleep", b"abc")).await;
            assert!(cancelled.is_err(), "the call should still have been waiting");
            assert_eq!(host.call("echo", b"abc").await.unwrap(), b"cba");
            assert_eq!(resets.load(Ordering::Relaxed), 1);
        });
    }

    #[test]
    fn a_panicking_callback_aborts_the_call_only() {
        runtime().block_on(async {
            let (host, resets) = host().await;
            match host.call("panic", b"").await {
                Err(Error::HostCallback(source)) => {
                    assert_eq!(source.to_string(), "the host callback panicked: callback exploded");
                }
                other => panic!("expected a host callback error, got {other:?}"),
            }
            assert_eq!(resets.load(Ordering::Relaxed), 1);
            assert_eq!(host.call("echo", b"ok").await.unwrap(), b"ko");
        });
    }

    #[test]
    fn a_callback_calling_its_own_host_is_refused() {
        runtime().block_on(async {
            let (host, _) = host().await;
            assert!(REENTERED.set(Arc::clone(&host)).is_ok());
            assert_eq!(host.call("reenter", b"").await.unwrap(), b"Err(Reentrant)");
        });
    }

    /// A provider written upstream's way: it reaches the host through `ModuleHostAsync`, relaying the request
    /// to the host callback and answering what that answered.
    struct UpstreamStyleProvider(Option<Arc<ModuleStateAsync>>);

    #[async_trait::async_trait]
    impl WebAssemblyEngineProviderAsync for UpstreamStyleProvider {
        async fn init(&mut self, host: Arc<ModuleStateAsync>) -> Result<()> {
            self.0 = Some(host);
            Ok(())
        }
        async fn call(&mut self, _op_length: i32, _msg_length: i32) -> Result<i32> {
            use crate::ModuleHostAsync;
            let host = self.0.clone().unwrap();
            let request = host.get_guest_request().await.unwrap();
            host.do_console_log(&request.operation).await;
            let relayed = host.do_host_call("b", "ns", &request.operation, &request.msg).await;
            if relayed.map_err(|e| Error::provider(e.to_string()))? == 1 {
                host.set_guest_response(host.get_host_response().await.unwrap()).await;
                Ok(1)
            } else {
                host.set_guest_error(host.get_host_error().await.unwrap()).await;
                Ok(0)
            }
        }
        async fn replace(&mut self, _bytes: &[u8]) -> Result<()> {
            Ok(())
        }
        async fn reset(&mut self) -> Result<()> {
            Ok(())
        }
    }

    #[test]
    fn upstream_style_providers_reach_the_host_through_module_host_async() {
        runtime().block_on(async {
            let logged = Arc::new(parking_lot::Mutex::new(Vec::new()));
            let log = Arc::clone(&logged);
            let host = WapcHostAsyncBuilder::new()
                .host_callback(|_, binding, namespace, operation, payload| {
                    Box::pin(async move {
                        tokio::time::sleep(Duration::from_millis(1)).await;
                        match operation.as_str() {
                            "fail" => Err(format!("{binding}/{namespace} refused").into()),
                            _ => Ok(payload.into_iter().rev().collect()),
                        }
                    })
                })
                .console_log(move |_, line| log.lock().push(line.to_owned()))
                .build(Box::new(UpstreamStyleProvider(None)))
                .await
                .unwrap();
            assert_eq!(host.call("reverse", b"abc").await.unwrap(), b"cba");
            assert!(matches!(host.call("fail", b"").await, Err(Error::GuestError(text)) if text == "b/ns refused"));
            assert_eq!(*logged.lock(), ["reverse", "fail"]);
        });
    }
}
