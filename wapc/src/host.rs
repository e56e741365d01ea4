//! [`WapcHost`]: calls into one waPC module through an engine provider.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use parking_lot::{Mutex, MutexGuard};

use crate::active_call::{ActiveCall, Request};
use crate::errors::panic_message;
use crate::errors::{AbiProblem, Error, ExecutionLimit, NO_GUEST_ERROR_TEXT, Result};
use crate::module_state::{Callback, ModuleState};
use crate::spans;
use crate::wapc_functions::GUEST_CALL;
use crate::{ConsoleLog, HostCallback, HostCallbackFn, WebAssemblyEngineProvider};

static NEXT_HOST_ID: AtomicU64 = AtomicU64::new(1);

/// A new host's id, unique among the hosts of both kinds.
pub(crate) fn next_host_id() -> u64 {
    NEXT_HOST_ID.fetch_add(1, Ordering::Relaxed)
}

/// A host for one waPC module: `call` runs an operation of the guest with a payload and returns its response.
///
/// `WapcHost` is `Send + Sync`. One instance runs one call at a time: concurrent callers wait their turn (or
/// use one host per thread). A host callback that calls the same host on the same thread gets
/// [`Error::Reentrant`]; a cycle through other threads ends when the provider's call deadline passes.
///
/// After a call that aborted the guest (a trap, the deadline, a resource limit, an ABI violation, a panicking
/// callback), the next call runs on a fresh instance of the same compiled module.
///
/// ```no_run
/// use wapc::WapcHost;
/// use wasmtime_provider::WasmtimeEngineProviderBuilder;
///
/// # fn main() -> Result<(), wapc::errors::Error> {
/// let module = std::fs::read("guest.wasm")?;
/// let engine = WasmtimeEngineProviderBuilder::new().module_bytes(&module).build()?;
/// let host = WapcHost::new(Box::new(engine), Some(Box::new(|_id, binding, namespace, operation, payload| {
///     println!("guest called {binding}/{namespace}/{operation} with {} bytes", payload.len());
///     Ok(b"from the host".to_vec())
/// })))?;
/// let response = host.call("echo", b"hello")?;
/// # Ok(())
/// # }
/// ```
pub struct WapcHost {
    state: Arc<ModuleState>,
    engine: Mutex<Engine>,
    /// How long `call` waits for a busy instance; `None` waits as long as it takes.
    lock_wait: Option<Duration>,
}

/// The provider and whether its instance must be replaced before the next call.
struct Engine {
    provider: Box<dyn WebAssemblyEngineProvider>,
    needs_fresh_instance: bool,
}

impl WapcHost {
    /// Makes a host for the module `engine` was built with, instantiating it and running its start functions.
    /// The guest's host calls go to `host_callback`; without one they fail with an error the guest sees.
    ///
    /// # Errors
    /// Those of [`WebAssemblyEngineProvider::init`]: a missing export, a failing start function.
    pub fn new(engine: Box<dyn WebAssemblyEngineProvider>, host_callback: Option<Box<HostCallback>>) -> Result<Self> {
        WapcHostBuilder { host_callback, ..WapcHostBuilder::default() }.build(engine)
    }

    /// The host's unique id, the first argument its host callback receives.
    #[must_use]
    pub fn id(&self) -> u64 {
        self.state.id()
    }

    /// The bytes of linear memory the guest's instance has committed, all its memories together, if its
    /// provider tracks them (both of this project's do). Waits for a running call to finish.
    #[must_use]
    pub fn memory_bytes(&self) -> Option<usize> {
        self.engine.lock().provider.memory_bytes()
    }

    /// Another provider of the module this host runs (after [`replace_module`](Self::replace_module), the new
    /// one), sharing its compiled code: see [`WebAssemblyEngineProvider::share_module`]. Waits for a running
    /// call to finish.
    #[must_use]
    pub fn share_module(&self) -> Option<Box<dyn WebAssemblyEngineProvider>> {
        self.engine.lock().provider.share_module()
    }

    /// Runs `operation` of the guest with `payload` and returns its response.
    ///
    /// # Errors
    /// [`Error::GuestError`] when the guest reports an error; a trap, deadline, resource-limit or ABI error
    /// when the call was aborted; [`Error::Reentrant`] when called from this host's own callback;
    /// [`Error::PayloadTooLarge`] when the operation or payload is longer than `i32::MAX` bytes.
    pub fn call(&self, operation: &str, payload: &[u8]) -> Result<Vec<u8>> {
        let Some(span) = spans::call(self.state.id(), operation, payload) else {
            return self.call_guest(operation, payload);
        };
        let result = span.in_scope(|| self.call_guest(operation, payload));
        spans::record_outcome(&span, &result);
        result
    }

    fn call_guest(&self, operation: &str, payload: &[u8]) -> Result<Vec<u8>> {
        let op_length = abi_length("the operation name", operation.len())?;
        let msg_length = abi_length("the payload", payload.len())?;
        if ActiveCall::is_running(&self.state) {
            return Err(Error::Reentrant);
        }
        let mut engine = self.lock()?;
        engine.refresh(&self.state)?;
        let call = ActiveCall::new(&self.state, Some(Request { operation, payload }));
        let result =
            engine.run(&call, |provider| provider.call(op_length, msg_length)).and_then(|code| outcome(&call, code));
        if result.as_ref().is_err_and(Error::aborted_call) {
            engine.needs_fresh_instance = true;
            // Free the poisoned instance now; if a fresh one cannot be made, the next call says why.
            let _ = engine.refresh(&self.state);
        }
        result
    }

    /// Replaces the module with `module` (the bytes of a new one), atomically between calls. The old instance
    /// is freed; if the new module fails to load or initialise, the old one stays in service and the error is
    /// returned.
    ///
    /// # Errors
    /// [`Error::InvalidModule`], [`Error::MissingExport`], [`Error::InitFailed`]; [`Error::Reentrant`] when
    /// called from this host's own callback, whose guest is the one to be replaced; [`Error::DeadlineExceeded`]
    /// when a call holds the instance longer than a call may.
    pub fn replace_module(&self, module: &[u8]) -> Result<()> {
        if ActiveCall::is_running(&self.state) {
            return Err(Error::Reentrant);
        }
        let mut engine = self.lock()?;
        engine.run(&ActiveCall::new(&self.state, None), |provider| provider.replace(module))?;
        engine.needs_fresh_instance = false;
        Ok(())
    }

    fn lock(&self) -> Result<MutexGuard<'_, Engine>> {
        match self.lock_wait {
            None => Ok(self.engine.lock()),
            Some(wait) => {
                self.engine.try_lock_for(wait).ok_or_else(|| Error::DeadlineExceeded(ExecutionLimit::WallClock(wait)))
            }
        }
    }
}

impl Engine {
    /// Runs `f` on the provider inside `call`, turning a panic (of the engine, or of WASI code) into an error.
    fn run<R>(
        &mut self,
        call: &ActiveCall<'_>,
        f: impl FnOnce(&mut dyn WebAssemblyEngineProvider) -> Result<R>,
    ) -> Result<R> {
        let provider = &mut *self.provider;
        call.run(|| catch_unwind(AssertUnwindSafe(|| f(provider))))
            .unwrap_or_else(|panic| Err(Error::provider(format!("the engine panicked: {}", panic_message(&*panic)))))
    }

    /// Replaces the instance if the last call aborted.
    #[inline]
    fn refresh(&mut self, state: &ModuleState) -> Result<()> {
        if self.needs_fresh_instance { self.reset(state) } else { Ok(()) }
    }

    #[cold]
    fn reset(&mut self, state: &ModuleState) -> Result<()> {
        self.run(&ActiveCall::new(state, None), |provider| provider.reset())?;
        self.needs_fresh_instance = false;
        Ok(())
    }
}

/// What a finished `__guest_call` returned, read as the waPC ABI says.
pub(crate) fn outcome(call: &ActiveCall<'_>, code: i32) -> Result<Vec<u8>> {
    if code == 0 {
        return Err(Error::GuestError(call.guest_error.take().unwrap_or_else(|| NO_GUEST_ERROR_TEXT.to_owned())));
    }
    if let Some(response) = call.guest_response.take() {
        return Ok(response);
    }
    match call.guest_error.take() {
        Some(error) => Err(Error::GuestError(error)),
        None => Err(Error::AbiViolation { import: GUEST_CALL, problem: AbiProblem::SuccessWithoutResponse }),
    }
}

pub(crate) fn abi_length(what: &'static str, len: usize) -> Result<i32> {
    i32::try_from(len).map_err(|_| Error::PayloadTooLarge { what, len })
}

impl std::fmt::Debug for WapcHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WapcHost").field("state", &self.state).field("lock_wait", &self.lock_wait).finish()
    }
}

/// Makes a [`WapcHost`] with the options [`WapcHost::new`] does not take.
///
/// ```no_run
/// use wapc::WapcHostBuilder;
/// use wasmtime_provider::WasmtimeEngineProviderBuilder;
///
/// # fn main() -> Result<(), wapc::errors::Error> {
/// let module = std::fs::read("guest.wasm")?;
/// let engine = WasmtimeEngineProviderBuilder::new().module_bytes(&module).build()?;
/// let host = WapcHostBuilder::new()
///     .host_callback(|_id, _binding, _namespace, _operation, payload| Ok(payload.to_vec()))
///     .console_log(|id, line| eprintln!("guest {id}: {line}"))
///     .build(Box::new(engine))?;
/// # Ok(())
/// # }
/// ```
#[derive(Default)]
#[must_use]
pub struct WapcHostBuilder {
    host_callback: Option<Box<HostCallback>>,
    console_log: Option<Box<ConsoleLog>>,
    instance_wait: Option<Duration>,
}

impl WapcHostBuilder {
    /// A builder with no host callback and guest logs going to `tracing` (target `wapc::guest`).
    pub fn new() -> Self {
        Self::default()
    }

    /// Handles the guest's host calls: `(host id, binding, namespace, operation, payload)`.
    pub fn host_callback(mut self, callback: impl HostCallbackFn) -> Self {
        self.host_callback = Some(Box::new(callback));
        self
    }

    /// Handles the guest's `__console_log` lines: `(host id, line)`. Without it each line is a `tracing` event
    /// at info level, target `wapc::guest`, with the host id in its field `host` (and, for `log` users such as
    /// `env_logger`, a log record of the same target and level while no tracing subscriber is set).
    pub fn console_log(mut self, handler: impl Fn(u64, &str) + Send + Sync + 'static) -> Self {
        self.console_log = Some(Box::new(handler));
        self
    }

    /// How long a call waits for the instance while another call is running, before failing with
    /// [`Error::DeadlineExceeded`]. Without it a call waits up to the provider's
    /// [`call_deadline`](WebAssemblyEngineProvider::call_deadline) (wasmtime: its deadline; wasmi: the time its
    /// fuel budget stands for), or for as long as it takes when the provider has none. A cycle of host callbacks through other threads back into this host ends after this long.
    pub fn instance_wait(mut self, wait: Duration) -> Self {
        self.instance_wait = Some(wait);
        self
    }

    /// Makes the host, instantiating the module and running its start functions.
    ///
    /// # Errors
    /// Those of [`WapcHost::new`].
    pub fn build(self, engine: Box<dyn WebAssemblyEngineProvider>) -> Result<WapcHost> {
        let state = Arc::new(ModuleState::new(
            next_host_id(),
            self.host_callback.map_or(Callback::None, Callback::Blocking),
            self.console_log,
        ));
        let lock_wait = self.instance_wait.or_else(|| engine.call_deadline());
        let mut engine = Engine { provider: engine, needs_fresh_instance: false };
        let init_state = Arc::clone(&state);
        engine.run(&ActiveCall::new(&state, None), |provider| provider.init(init_state))?;
        Ok(WapcHost { state, engine: Mutex::new(engine), lock_wait })
    }
}

impl std::fmt::Debug for WapcHostBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WapcHostBuilder")
            .field("host_callback", &self.host_callback.is_some())
            .field("console_log", &self.console_log.is_some())
            .field("instance_wait", &self.instance_wait)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::{self, Region};

    /// A provider whose "guest" is Rust code driving the ABI functions over a plain byte memory.
    struct ScriptedProvider {
        memory: Vec<u8>,
        script: fn(&mut Vec<u8>, i32, i32) -> Result<i32>,
        resets: Arc<AtomicU64>,
    }

    impl WebAssemblyEngineProvider for ScriptedProvider {
        fn init(&mut self, _host: Arc<ModuleState>) -> Result<()> {
            Ok(())
        }
        fn call(&mut self, op_length: i32, msg_length: i32) -> Result<i32> {
            (self.script)(&mut self.memory, op_length, msg_length)
        }
        fn replace(&mut self, _bytes: &[u8]) -> Result<()> {
            Err(Error::InvalidModule("scripted providers cannot load modules".into()))
        }
        fn reset(&mut self) -> Result<()> {
            self.resets.fetch_add(1, Ordering::Relaxed);
            self.memory.fill(0);
            Ok(())
        }
    }

    fn host(script: fn(&mut Vec<u8>, i32, i32) -> Result<i32>) -> (WapcHost, Arc<AtomicU64>) {
        let resets = Arc::new(AtomicU64::new(0));
        let provider = ScriptedProvider { memory: vec![0; 256], script, resets: Arc::clone(&resets) };
        (WapcHost::new(Box::new(provider), None).unwrap(), resets)
    }

    #[test]
    fn host_is_send_and_sync() {
        fn needs<T: Send + Sync>() {}
        needs::<WapcHost>();
    }

    #[test]
    fn success_returns_the_response() {
        let (host, _) = host(|memory, op_len, msg_len| {
            abi::guest_request(memory.as_mut_slice(), 0, 64)?;
            abi::guest_response(memory.as_slice(), Region::new(64, msg_len))?;
            Ok(i32::from(op_len > 0))
        });
        assert_eq!(host.call("op", b"payload").unwrap(), b"payload");
    }

    #[test]
    fn failure_without_text_gets_the_fixed_message() {
        let (host, _) = host(|_, _, _| Ok(0));
        assert!(matches!(host.call("op", b""), Err(Error::GuestError(text)) if text == NO_GUEST_ERROR_TEXT));
    }

    #[test]
    fn success_without_response_is_an_abi_violation_and_replaces_the_instance() {
        let (host, resets) = host(|_, _, _| Ok(1));
        assert!(matches!(
            host.call("op", b""),
            Err(Error::AbiViolation { import: "__guest_call", problem: AbiProblem::SuccessWithoutResponse })
        ));
        assert_eq!(resets.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn success_with_only_an_error_is_that_error() {
        let (host, resets) = host(|memory, _, _| {
            memory[..4].copy_from_slice(b"oops");
            abi::guest_error(memory.as_slice(), Region::new(0, 4))?;
            Ok(1)
        });
        assert!(matches!(host.call("op", b""), Err(Error::GuestError(text)) if text == "oops"));
        assert_eq!(resets.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn payloads_past_the_abi_limit_are_refused_before_the_guest_runs() {
        let (host, resets) = host(|_, _, _| panic!("the guest must not run"));
        let huge = vec![0u8; i32::MAX as usize + 1];
        assert!(matches!(
            host.call("op", &huge),
            Err(Error::PayloadTooLarge { what: "the payload", len }) if len == huge.len()
        ));
        assert_eq!(resets.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn an_engine_panic_is_an_error_and_the_host_keeps_working() {
        let (host, resets) = host(|_, op_len, _| if op_len == 5 { panic!("engine bug") } else { Ok(0) });
        match host.call("panic", b"") {
            Err(Error::Provider(source)) => assert_eq!(source.to_string(), "the engine panicked: engine bug"),
            other => panic!("expected a provider error, got {other:?}"),
        }
        assert_eq!(resets.load(Ordering::Relaxed), 1);
        assert!(matches!(host.call("op", b""), Err(Error::GuestError(_))));
    }
}
