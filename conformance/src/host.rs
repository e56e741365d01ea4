//! The host a check drives: a [`WapcHost`], or a [`WapcHostAsync`] called from blocking code, behind one face,
//! so that every check runs against blocking and async providers alike.
//!
//! An async host's calls are driven to completion on the calling thread (by [`block_on`]), inside the suite's
//! tokio runtime, which runs the timers and WASI work the providers await. A check's host callback is a
//! blocking closure; for an async host it is wrapped in a future that is ready at once (the providers' own
//! tests cover callbacks that wait).

use std::future::Future;
use std::pin::pin;
use std::sync::{Arc, LazyLock};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::Thread;
use std::time::Duration;

use wapc::errors::Result;
use wapc::{
    HostCallback, WapcHost, WapcHostAsync, WapcHostAsyncBuilder, WapcHostBuilder, WebAssemblyEngineProvider,
    WebAssemblyEngineProviderAsync,
};

/// A provider under test, of either kind.
pub enum Provider {
    /// For a [`WapcHost`].
    Blocking(Box<dyn WebAssemblyEngineProvider>),
    /// For a [`WapcHostAsync`].
    Async(Box<dyn WebAssemblyEngineProviderAsync + Send>),
}

/// A host of either kind, called from blocking code.
#[derive(Debug)]
pub enum Host {
    /// A [`WapcHost`].
    Blocking(WapcHost),
    /// A [`WapcHostAsync`], its calls driven by [`block_on`].
    Async(WapcHostAsync),
}

impl Host {
    /// As [`WapcHost::new`].
    ///
    /// # Errors
    /// Those of [`WapcHost::new`] and [`WapcHostAsync::new`].
    pub fn new(provider: Provider, host_callback: Option<Box<HostCallback>>) -> Result<Self> {
        HostBuilder { host_callback, ..HostBuilder::default() }.build(provider)
    }

    /// As [`WapcHost::id`].
    #[must_use]
    pub fn id(&self) -> u64 {
        match self {
            Host::Blocking(host) => host.id(),
            Host::Async(host) => host.id(),
        }
    }

    /// As [`WapcHost::call`].
    ///
    /// # Errors
    /// Those of [`WapcHost::call`].
    pub fn call(&self, operation: &str, payload: &[u8]) -> Result<Vec<u8>> {
        match self {
            Host::Blocking(host) => host.call(operation, payload),
            Host::Async(host) => block_on(host.call(operation, payload)),
        }
    }

    /// As [`WapcHost::replace_module`].
    ///
    /// # Errors
    /// Those of [`WapcHost::replace_module`].
    pub fn replace_module(&self, module: &[u8]) -> Result<()> {
        match self {
            Host::Blocking(host) => host.replace_module(module),
            Host::Async(host) => block_on(host.replace_module(module)),
        }
    }
}

/// As [`WapcHostBuilder`], for either kind of host.
#[derive(Default)]
#[must_use]
pub struct HostBuilder {
    host_callback: Option<Box<HostCallback>>,
    console_log: Option<Box<wapc::ConsoleLog>>,
    instance_wait: Option<Duration>,
}

impl HostBuilder {
    /// A builder with nothing set.
    pub fn new() -> Self {
        Self::default()
    }

    /// As [`WapcHostBuilder::host_callback`].
    pub fn host_callback(mut self, callback: impl wapc::HostCallbackFn) -> Self {
        self.host_callback = Some(Box::new(callback));
        self
    }

    /// As [`WapcHostBuilder::console_log`].
    pub fn console_log(mut self, handler: impl Fn(u64, &str) + Send + Sync + 'static) -> Self {
        self.console_log = Some(Box::new(handler));
        self
    }

    /// As [`WapcHostBuilder::instance_wait`].
    pub fn instance_wait(mut self, wait: Duration) -> Self {
        self.instance_wait = Some(wait);
        self
    }

    /// Makes the host of the kind `provider` is for.
    ///
    /// # Errors
    /// Those of [`WapcHost::new`] and [`WapcHostAsync::new`].
    pub fn build(self, provider: Provider) -> Result<Host> {
        match provider {
            Provider::Blocking(provider) => {
                let mut builder = WapcHostBuilder::new();
                if let Some(callback) = self.host_callback {
                    builder = builder.host_callback(callback);
                }
                if let Some(handler) = self.console_log {
                    builder = builder.console_log(handler);
                }
                if let Some(wait) = self.instance_wait {
                    builder = builder.instance_wait(wait);
                }
                builder.build(provider).map(Host::Blocking)
            }
            Provider::Async(provider) => {
                let mut builder = WapcHostAsyncBuilder::new();
                if let Some(callback) = self.host_callback {
                    builder = builder.host_callback(move |id, binding, namespace, operation, payload| {
                        Box::pin(std::future::ready(callback(id, &binding, &namespace, &operation, &payload)))
                    });
                }
                if let Some(handler) = self.console_log {
                    builder = builder.console_log(handler);
                }
                if let Some(wait) = self.instance_wait {
                    builder = builder.instance_wait(wait);
                }
                block_on(builder.build(provider)).map(Host::Async)
            }
        }
    }
}

/// The runtime whose timers and blocking pool the async providers use.
static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("cannot start the suite's tokio runtime: {e}"))
});

/// Runs `future` to completion on this thread, inside the suite's runtime. Unlike tokio's `block_on` it may be
/// nested (a host callback calling a host, as the reentrancy checks do) and used on a runtime's worker.
pub fn block_on<F: Future>(future: F) -> F::Output {
    /// Wakes the blocked thread.
    struct Unpark(Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }

    let _runtime = RUNTIME.enter();
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut context = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
        std::thread::park();
    }
}
