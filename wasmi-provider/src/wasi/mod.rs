//! WASI preview 1 on `wasmi_wasi`, with what it lacks and wasmtime has: the `wasi_unstable` (preview 0) names
//! old TinyGo guests import ([`preview0`]), read-only directories ([`read_only`]) and captured stdio.

mod preview0;
mod read_only;

use std::io::{self, Write};

use wapc::errors::{Error, Result};
use wapc::{OutputCapture, WasiConfig, WasiStdio};
use wasmi::Linker;
use wasmi_wasi::wasi_common::pipe::{ReadPipe, WritePipe};
use wasmi_wasi::{Dir, WasiCtx, WasiCtxBuilder, ambient_authority};

use crate::store::WapcStore;
use crate::traps::invalid_module;

/// A fresh context for one store.
pub(crate) fn context(config: &WasiConfig) -> Result<WasiCtx> {
    let mut builder = WasiCtxBuilder::new();
    builder
        .args(&config.params.argv)
        .and_then(|builder| builder.envs(&config.params.env_vars))
        .map_err(|e| Error::provider(format!("invalid WASI arguments or environment: {e}")))?;
    match &config.stdio {
        WasiStdio::Closed => {
            builder.stdin(Box::new(ReadPipe::from(Vec::new()))).stdout(Box::new(WritePipe::new(io::sink())));
            builder.stderr(Box::new(WritePipe::new(io::sink())));
        }
        WasiStdio::Captured { stdout, stderr } => {
            builder.stdin(Box::new(ReadPipe::from(Vec::new())));
            builder.stdout(Box::new(WritePipe::new(Capture(stdout.clone()))));
            builder.stderr(Box::new(WritePipe::new(Capture(stderr.clone()))));
        }
        _ => {
            builder.inherit_stdio();
        }
    }
    let context = builder.build();
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
    preview0::add_to_linker(linker, context_of).map_err(|e| invalid_module(&e))
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
