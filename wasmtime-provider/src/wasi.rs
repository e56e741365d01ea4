//! WASI preview 1 (and its `wasi_unstable` names, for old TinyGo guests) for a provider's stores.
//!
//! The WASI functions that wait on something outside the guest (`poll_oneoff`, for clocks and stdin, and
//! `fd_read`, for stdin) are linked through `link_bounded!`: epoch interruption stops guest code, not a host
//! function that sleeps or waits to read, so they end the call themselves when its deadline passes.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::AsyncWrite;
use wapc::errors::{Error, Result};
use wapc::wapc_functions::MEMORY;
use wapc::{OutputCapture, WasiConfig, WasiStdio};
use wasmtime::{AsContextMut, Caller, Extern, Linker, Module, Trap};
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::p1::wasi_snapshot_preview1::WasiSnapshotPreview1;
use wasmtime_wasi::runtime::in_tokio;
use wasmtime_wasi::{FsPerms, WasiCtxBuilder};
use wiggle::GuestMemory;

use crate::deadline::TickDeadline;
use crate::imports::HostCalls;
use crate::store::WapcStore;

/// The import modules of WASI preview 1 and preview 0.
const WASI_MODULES: [&str; 2] = ["wasi_snapshot_preview1", "wasi_unstable"];

/// A fresh context for one store.
pub(crate) fn context(config: &WasiConfig) -> Result<WasiP1Ctx> {
    let mut builder = WasiCtxBuilder::new();
    // Not `allow_blocking_current_thread`: with it, wasmtime-wasi sleeps and does file I/O on the calling thread,
    // where no deadline can end them; without it they are futures, which `bounded` stops waiting for.
    builder.args(&config.params.argv).envs(&config.params.env_vars);
    match &config.stdio {
        WasiStdio::Closed => {}
        WasiStdio::Captured { stdout, stderr } => {
            builder.stdout(Capture(stdout.clone())).stderr(Capture(stderr.clone()));
        }
        _ => {
            builder.inherit_stdio();
        }
    }
    for (guest, host, writable) in config.preopens() {
        let perms = if writable { FsPerms::ReadWrite } else { FsPerms::ReadOnly };
        builder.preopened_dir(&host, &guest, perms).map_err(|e| {
            Error::Io(io::Error::other(format!("cannot preopen host directory {host:?} as {guest:?}: {e:#}")))
        })?;
    }
    Ok(builder.build_p1())
}

/// Defines `functions` of WASI module `module` (each taking four `i32`s and returning one) as calls of
/// `snapshot`'s implementation that end the call when its deadline passes.
macro_rules! link_bounded {
    ($linker:ident, $module:literal, $snapshot:path, [$($function:ident),*]) => {{
        use $snapshot as snapshot;
        $(
            $linker.func_wrap(
                $module,
                stringify!($function),
                |mut caller: Caller<'_, WapcStore>, a: i32, b: i32, c: i32, d: i32| -> wasmtime::Result<i32> {
                    let deadline = caller.data().wasi_deadline.as_ref().map(TickDeadline::remaining);
                    let fuel = caller.as_context_mut().hostcall_fuel();
                    let export = caller.get_export(MEMORY);
                    let (mut memory, store) = match &export {
                        Some(Extern::Memory(memory)) => {
                            let (memory, store) = memory.data_and_store_mut(&mut caller);
                            (GuestMemory::Unshared(memory), store)
                        }
                        Some(Extern::SharedMemory(memory)) => (GuestMemory::Shared(memory.data()), caller.data_mut()),
                        _ => wasmtime::bail!("WASI needs the guest to export `memory`"),
                    };
                    WasiSnapshotPreview1::set_hostcall_fuel(store.wasi.get_mut(), fuel);
                    bounded(deadline, snapshot::$function(store.wasi.get_mut(), &mut memory, a, b, c, d))?
                },
            )?;
        )*
    }};
}

/// Links WASI preview 1 and preview 0. Blocking stores get the functions that wait bounded by the call's
/// deadline; async stores get wasmtime-wasi's async functions, which suspend the guest while they wait (the
/// provider ends a call whose deadline passes then).
pub(crate) fn add_to_linker(linker: &mut Linker<WapcStore>, host_calls: HostCalls) -> wasmtime::Result<()> {
    match host_calls {
        HostCalls::Blocking => add_blocking_to_linker(linker),
        #[cfg(feature = "async")]
        HostCalls::Awaiting => {
            wasmtime_wasi::p1::add_to_linker_async(linker, |store: &mut WapcStore| store.wasi.get_mut())?;
            wasmtime_wasi::p0::add_to_linker_async(linker, |store: &mut WapcStore| store.wasi.get_mut())
        }
    }
}

fn add_blocking_to_linker(linker: &mut Linker<WapcStore>) -> wasmtime::Result<()> {
    wasmtime_wasi::p1::add_to_linker_sync(linker, |store: &mut WapcStore| store.wasi.get_mut())?;
    wasmtime_wasi::p0::add_to_linker_sync(linker, |store: &mut WapcStore| store.wasi.get_mut())?;
    linker.allow_shadowing(true);
    link_bounded!(linker, "wasi_snapshot_preview1", wasmtime_wasi::p1::wasi_snapshot_preview1, [poll_oneoff, fd_read]);
    link_bounded!(linker, "wasi_unstable", wasmtime_wasi::p0::wasi_unstable, [poll_oneoff, fd_read]);
    linker.allow_shadowing(false);
    Ok(())
}

/// Runs a WASI function that may wait, for at most `deadline` when there is one (as upstream, for as long as
/// it waits, when there is not). Past the deadline the call ends as epoch interruption ends guest code: with
/// an interrupt trap, which the provider reports as the deadline exceeded.
fn bounded<F: Future>(deadline: Option<Duration>, function: F) -> wasmtime::Result<F::Output> {
    match deadline {
        None => Ok(in_tokio(function)),
        // The timer is made inside the runtime `in_tokio` enters.
        Some(deadline) => in_tokio(async { tokio::time::timeout(deadline, function).await })
            .map_err(|_| wasmtime::Error::new(Trap::Interrupt)),
    }
}

/// Whether `module` imports any WASI function.
pub(crate) fn imports_wasi(module: &Module) -> bool {
    module.imports().any(|import| WASI_MODULES.contains(&import.module()))
}

/// Runs guest code that may call WASI. wasmtime-wasi's synchronous functions block on the ambient tokio
/// runtime, which panics on a runtime worker thread; on a multi-thread runtime the worker is handed over with
/// `block_in_place` first. (On a current-thread runtime that cannot be done: a WASI call there fails the call
/// with an error, and the host survives.)
pub(crate) fn run_blocking<R>(uses_wasi: bool, f: impl FnOnce() -> R) -> R {
    if uses_wasi
        && let Ok(runtime) = tokio::runtime::Handle::try_current()
        && runtime.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread
    {
        return tokio::task::block_in_place(f);
    }
    f()
}

/// An [`OutputCapture`] as a WASI output stream.
struct Capture(OutputCapture);

impl IsTerminal for Capture {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for Capture {
    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(CaptureWriter(self.0.clone()))
    }
}

/// Writes into an [`OutputCapture`]; what is past its capacity is dropped, so the guest never sees an error.
struct CaptureWriter(OutputCapture);

impl AsyncWrite for CaptureWriter {
    fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, bytes: &[u8]) -> Poll<io::Result<usize>> {
        self.0.write(bytes);
        Poll::Ready(Ok(bytes.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
