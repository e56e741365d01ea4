//! [`WasmiEngineProviderAsyncPre`] and [`WasmiEngineProviderAsync`]: the provider of
//! [`WapcHostAsync`](wapc::WapcHostAsync)s, whose guests are suspended while their host calls are awaited.

use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use wapc::errors::{Error, ExecutionLimit, Result};
use wapc::wapc_functions::GUEST_CALL;
use wapc::{ModuleStateAsync, WebAssemblyEngineProviderAsync};
use wasmi::{Engine, Func, Module, ResumableCall, Store, TrapCode, TypedFunc, Val};

use crate::fuel::{Budget, Phase, next_slice};
use crate::provider::{Exports, WasmiEngineProviderPre, start_outcome};
use crate::store::WapcStore;
use crate::suspend::{self, Suspend};
use crate::traps::execution_error;

/// A module compiled and linked for async hosts, from which providers are made cheaply: build it once with
/// [`build_async_pre`](crate::WasmiEngineProviderBuilder::build_async_pre) and
/// [`rehydrate`](Self::rehydrate) a provider per host. Clones share the compiled code.
#[derive(Clone, Debug)]
pub struct WasmiEngineProviderAsyncPre {
    pre: WasmiEngineProviderPre,
}

impl WasmiEngineProviderAsyncPre {
    pub(crate) fn new(pre: WasmiEngineProviderPre) -> Self {
        WasmiEngineProviderAsyncPre { pre }
    }

    /// A provider for one host.
    ///
    /// # Errors
    /// [`Error::Provider`](wapc::errors::Error::Provider) when fuel limits are configured on an engine that does
    /// not meter fuel.
    pub fn rehydrate(&self) -> Result<WasmiEngineProviderAsync> {
        Ok(WasmiEngineProviderAsync { pre: self.pre.clone(), budget: self.pre.budget()?, instance: None })
    }

    /// The engine the module is compiled for.
    #[must_use]
    pub fn engine(&self) -> &Engine {
        self.pre.engine()
    }

    /// The compiled module.
    #[must_use]
    pub fn module(&self) -> &Module {
        self.pre.module()
    }
}

/// Runs waPC modules on wasmi for a [`WapcHostAsync`](wapc::WapcHostAsync): the guest runs as a wasmi
/// resumable call, which is suspended while a host callback's future is pending, so a guest waiting on its host
/// holds no thread. Make one with [`build_async`](crate::WasmiEngineProviderBuilder::build_async).
///
/// ```no_run
/// use wapc::WapcHostAsync;
/// use wasmi_provider::{FuelLimits, WasmiEngineProviderBuilder};
///
/// # async fn run() -> Result<(), wapc::errors::Error> {
/// let module = std::fs::read("guest.wasm")?;
/// let engine = WasmiEngineProviderBuilder::new()
///     .module_bytes(&module)
///     .enable_fuel_limits(FuelLimits { wapc_init: 100_000_000, wapc_func: 10_000_000 })
///     .build_async()?;
/// let host = WapcHostAsync::new(Box::new(engine), None).await?;
/// let answer = host.call("greet", b"world").await?;
/// # Ok(())
/// # }
/// ```
///
/// # Yielding, fuel and waiting
///
/// - Guest code runs in slices of [`FUEL_PER_SLICE`](crate::FUEL_PER_SLICE) when the engine meters fuel (an
///   engine the builder makes always does): after each slice the guest yields to the executor, so a long call
///   shares its worker with other tasks. The [`FuelLimits`](crate::FuelLimits) stay exact: the slices of a
///   call together never spend more than its budget, and a call that needs more fails with
///   [`Error::DeadlineExceeded`](wapc::errors::Error::DeadlineExceeded)`(`[`ExecutionLimit::Fuel`]`)` as on a
///   blocking provider. On an engine without fuel metering, guest code runs until it ends or waits.
/// - Fuel counts no time spent awaiting a host callback, as on a blocking provider: a call waiting on a slow
///   callback is not stopped by its budget (wrap the call in a timeout for that).
/// - WASI never blocks the executor's thread. A sleep (`poll_oneoff` on one relative clock) suspends the guest
///   on a tokio timer (so call on a tokio runtime with time enabled), charged at
///   [`WAITING_FUEL_PER_SECOND`](crate::WAITING_FUEL_PER_SECOND) like a blocking provider's waits; any other
///   wait (stdin without data, a poll of files that are not ready or of several clocks) fails the call with
///   [`WasiWouldBlock`](crate::WasiWouldBlock).
/// - A host call whose answer is ready at once is answered without suspending the guest. One that has to wait
///   where wasmi cannot suspend (in a wasm `start` function, or tail-called by the function the host called)
///   fails the call with [`Error::Provider`](wapc::errors::Error::Provider).
///
/// A clone shares the compiled module and settings and makes a fresh instance of its own on
/// [`init`](WebAssemblyEngineProviderAsync::init).
pub struct WasmiEngineProviderAsync {
    pre: WasmiEngineProviderPre,
    budget: Budget,
    instance: Option<AsyncInstance>,
}

/// One instance, in a store of its own, called with wasmi's resumable calls.
struct AsyncInstance {
    store: Store<WapcStore>,
    guest_call: TypedFunc<(i32, i32), i32>,
}

// What a call's future holds while the guest is suspended (the store, wasmi's handle on the suspended call, the
// guest's results, and what it waits for, kept in the store) must be `Send`, for the provider's futures to be.
const _: fn() = || {
    fn send<T: Send>() {}
    send::<Store<WapcStore>>();
    send::<ResumableCall>();
    send::<Val>();
    send::<suspend::Suspended>();
};

impl AsyncInstance {
    /// Instantiates `pre` and runs its start functions within `budget`.
    async fn new(pre: &WasmiEngineProviderPre, budget: Budget) -> Result<Self> {
        // The wasm `start` function runs within instantiation, which wasmi cannot suspend: it gets the whole
        // start-up budget at once.
        let mut store = pre.new_store(budget)?;
        let instance = pre.instantiate(&mut store, budget)?;
        let Exports { guest_call, starts } = Exports::of(instance, &mut store)?;
        next_slice(&mut store, 0);
        let limit = budget.limit(Phase::Init);
        for (function, start) in starts {
            start_outcome(function, run(&mut store, *start.func(), &[], &mut [], limit).await)?;
        }
        Ok(AsyncInstance { store, guest_call })
    }

    async fn call(&mut self, budget: Budget, op_length: i32, msg_length: i32) -> Result<i32> {
        budget.arm_sliced(&mut self.store, Phase::Call);
        let (inputs, mut outputs) = ([Val::I32(op_length), Val::I32(msg_length)], [Val::I32(0)]);
        run(&mut self.store, *self.guest_call.func(), &inputs, &mut outputs, budget.limit(Phase::Call)).await?;
        let [result] = outputs;
        // Cannot fail: `guest_call` was checked to return an i32.
        result.i32().ok_or_else(|| Error::provider(format!("`{GUEST_CALL}` returned no i32")))
    }
}

/// Runs `func` with `inputs` to its end, writing its results to `outputs`: in slices of fuel with a yield to
/// the executor between them, and awaiting what the guest is suspended on whenever it is. Running out of fuel
/// (`limit`) and every other failure end the run with the typed error a blocking call would have.
async fn run(
    store: &mut Store<WapcStore>,
    func: Func,
    inputs: &[Val],
    outputs: &mut [Val],
    limit: ExecutionLimit,
) -> Result<()> {
    let mut call = func.call_resumable(&mut *store, inputs, outputs);
    loop {
        call = match call {
            Ok(ResumableCall::Finished) => return Ok(()),
            Ok(ResumableCall::OutOfFuel(paused)) => {
                if !next_slice(store, paused.required_fuel()) {
                    return Err(execution_error(TrapCode::OutOfFuel.into(), limit, &mut store.data_mut().limiter));
                }
                yield_now().await;
                paused.resume(&mut *store, outputs)
            }
            Ok(ResumableCall::HostTrap(paused)) => {
                if paused.host_error().downcast_ref::<Suspend>().is_none() {
                    let error = paused.into_host_error();
                    return Err(execution_error(error, limit, &mut store.data_mut().limiter));
                }
                let answer = suspend::take(store.data_mut())?.answer().await?;
                paused.resume(&mut *store, &[Val::I32(answer)], outputs)
            }
            Err(error) => return Err(execution_error(error, limit, &mut store.data_mut().limiter)),
        };
    }
}

/// Lets the executor run its other tasks before this one goes on (a hand-written `yield_now`, for any
/// executor).
async fn yield_now() {
    let mut yielded = false;
    std::future::poll_fn(|cx| {
        if yielded {
            return Poll::Ready(());
        }
        yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    })
    .await;
}

#[async_trait::async_trait]
impl WebAssemblyEngineProviderAsync for WasmiEngineProviderAsync {
    async fn init(&mut self, _host: Arc<ModuleStateAsync>) -> Result<()> {
        self.instance = Some(AsyncInstance::new(&self.pre, self.budget).await?);
        Ok(())
    }

    async fn call(&mut self, op_length: i32, msg_length: i32) -> Result<i32> {
        let instance = self
            .instance
            .as_mut()
            .ok_or_else(|| Error::provider("the provider has no instance: `init` was not called"))?;
        instance.call(self.budget, op_length, msg_length).await
    }

    async fn replace(&mut self, bytes: &[u8]) -> Result<()> {
        let pre = self.pre.replacement(bytes)?;
        let instance = AsyncInstance::new(&pre, self.budget).await?;
        self.pre = pre;
        self.instance = Some(instance);
        Ok(())
    }

    async fn reset(&mut self) -> Result<()> {
        self.instance = None;
        self.instance = Some(AsyncInstance::new(&self.pre, self.budget).await?);
        Ok(())
    }

    fn call_deadline(&self) -> Option<Duration> {
        self.budget.call_time()
    }

    fn share_module(&self) -> Option<Box<dyn WebAssemblyEngineProviderAsync + Send>> {
        Some(Box::new(self.clone()))
    }

    fn memory_bytes(&self) -> Option<usize> {
        self.instance.as_ref().map(|instance| instance.store.data().limiter.memory_bytes())
    }
}

impl Clone for WasmiEngineProviderAsync {
    fn clone(&self) -> Self {
        WasmiEngineProviderAsync { pre: self.pre.clone(), budget: self.budget, instance: None }
    }
}

impl std::fmt::Debug for WasmiEngineProviderAsync {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmiEngineProviderAsync")
            .field("pre", &self.pre)
            .field("budget", &self.budget)
            .field("instantiated", &self.instance.is_some())
            .finish()
    }
}
