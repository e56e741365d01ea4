//! WASI preview 1 on `wasmi_wasi`, with what it lacks and wasmtime has: the `wasi_unstable` (preview 0) names
//! old TinyGo guests import ([`preview0`]), read-only directories ([`read_only`]), captured stdio, and waits
//! bounded by the call's budget ([`waiting`]: sleeps through [`sched`], reads of the host's stdin through
//! [`stdin`]).

mod preview0;
mod read_only;
mod sched;
#[cfg(unix)]
mod stdin;
pub(crate) mod waiting;

use std::io::{self, Write};
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use wapc::errors::{Error, Result};
use wapc::{OutputCapture, WasiConfig, WasiStdio};
use wasmi::Linker;
use wasmi_wasi::wasi_common::pipe::WritePipe;
use wasmi_wasi::wasi_common::snapshots::preview_1::wasi_snapshot_preview1;
use wasmi_wasi::wasi_common::sync::{clocks_ctx, random_ctx, stdio};
use wasmi_wasi::wasi_common::table::Table;
use wasmi_wasi::{Dir, WasiCtx, ambient_authority};

use self::sched::BoundedSched;
use self::waiting::{WaitLimit, link_charged};
use crate::store::WapcStore;
use crate::traps::invalid_module;

/// A fresh context for one store, whose waits end at `wait`.
pub(crate) fn context(config: &WasiConfig, wait: &WaitLimit) -> Result<WasiCtx> {
    let mut context = WasiCtx::new(random_ctx(), clocks_ctx(), Box::new(BoundedSched(wait.clone())), Table::new());
    let arguments = config.params.argv.iter().try_for_each(|arg| context.push_arg(arg));
    let environment = config.params.env_vars.iter().try_for_each(|(name, value)| context.push_env(name, value));
    arguments.and(environment).map_err(|e| Error::provider(format!("invalid WASI arguments or environment: {e}")))?;
    // A new context's stdin is empty and its stdout and stderr discard what they get.
    match &config.stdio {
        WasiStdio::Closed => {}
        WasiStdio::Captured { stdout, stderr } => {
            context.set_stdout(Box::new(WritePipe::new(Capture(stdout.clone()))));
            context.set_stderr(Box::new(WritePipe::new(Capture(stderr.clone()))));
        }
        _ => {
            #[cfg(unix)]
            context.set_stdin(Box::new(stdin::Stdin(wait.clone())));
            #[cfg(not(unix))]
            context.set_stdin(Box::new(stdio::stdin()));
            context.set_stdout(Box::new(stdio::stdout()));
            context.set_stderr(Box::new(stdio::stderr()));
        }
    }
    for (guest, host, writable) in config.preopens() {
        let cannot_open = |e: &dyn std::fmt::Display| {
            Error::Io(io::Error::other(format!("cannot preopen host directory {host:?} as {guest:?}: {e}")))
        };
        let dir = Dir::open_ambient_dir(&host, ambient_authority()).map_err(|e| cannot_open(&e))?;
        let dir = Box::new(wasmi_wasi::sync::dir::Dir::from_cap_std(dir));
        let dir: Box<dyn wasmi_wasi::WasiDir> = if writable { dir } else { Box::new(read_only::ReadOnlyDir(dir)) };
        context.push_preopened_dir(dir, &guest).map_err(|e| cannot_open(&e))?;
    }
    Ok(context)
}

/// Links WASI preview 1 and preview 0.
pub(crate) fn add_to_linker(linker: &mut Linker<WapcStore>) -> Result<()> {
    wasmi_wasi::add_to_linker(linker, context_of).map_err(|e| Error::provider(format!("cannot link WASI: {e}")))?;
    charge_preview1_waits(linker).map_err(|e| invalid_module(&e))?;
    preview0::add_to_linker(linker, context_of).map_err(|e| invalid_module(&e))
}

/// Replaces the preview 1 functions that may wait with [charged](waiting) ones.
fn charge_preview1_waits(linker: &mut Linker<WapcStore>) -> Result<(), wasmi::Error> {
    linker.allow_shadowing(true);
    link_charged!(linker, "wasi_snapshot_preview1", wasi_snapshot_preview1, [poll_oneoff, fd_read]);
    linker.allow_shadowing(false);
    Ok(())
}

/// Runs a wasi-common function to completion. Its synchronous implementations never wait asynchronously (they
/// block the thread instead), so one poll finishes them.
fn run_to_completion<F: Future>(call: F) -> Result<F::Output, wasmi::Error> {
    match pin!(call).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => Ok(output),
        Poll::Pending => Err(wasmi::Error::new("a WASI call tried to wait asynchronously")),
    }
}

/// The WASI context of a store.
fn context_of(store: &mut WapcStore) -> &mut WasiCtx {
    &mut store.wasi
}

/// Writes into an [`OutputCapture`]; what is past its capacity is dropped, so the guest never sees an error.
struct Capture(OutputCapture);

impl Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.write(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
