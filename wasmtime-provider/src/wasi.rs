//! WASI preview 1 (and its `wasi_unstable` names, for old TinyGo guests) for a provider's stores.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::AsyncWrite;
use wapc::errors::{Error, Result};
use wapc::{OutputCapture, WasiConfig, WasiStdio};
use wasmtime::{Linker, Module};
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::{FsPerms, WasiCtxBuilder};

use crate::store::WapcStore;

/// The import modules of WASI preview 1 and preview 0.
const WASI_MODULES: [&str; 2] = ["wasi_snapshot_preview1", "wasi_unstable"];

/// A fresh context for one store.
pub(crate) fn context(config: &WasiConfig) -> Result<WasiP1Ctx> {
    let mut builder = WasiCtxBuilder::new();
    builder.args(&config.params.argv).envs(&config.params.env_vars).allow_blocking_current_thread(true);
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

/// Links WASI preview 1 and preview 0.
pub(crate) fn add_to_linker(linker: &mut Linker<WapcStore>) -> wasmtime::Result<()> {
    wasmtime_wasi::p1::add_to_linker_sync(linker, |store: &mut WapcStore| &mut store.wasi)?;
    wasmtime_wasi::p0::add_to_linker_sync(linker, |store: &mut WapcStore| &mut store.wasi)
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
