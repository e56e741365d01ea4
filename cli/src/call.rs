//! `wapc call`: one call of an operation, its answer on stdout. A WASI guest's own stdout and stderr go to stderr,
//! after the call, so that stdout holds the answer alone.

use std::io::Write;

use wapc::{OutputCapture, WasiStdio};

use crate::args::CallArgs;
use crate::engine;
use crate::failure::Failure;
use crate::payload;

/// The most of a WASI guest's stdout, and of its stderr, that is kept to show.
const GUEST_OUTPUT_BYTES: usize = 1 << 20;

/// Runs `wapc call`.
pub fn run(args: &CallArgs) -> Result<(), Failure> {
    let payload = payload::read(&args.payload)?;
    let module = engine::module(&args.module)?;
    let (stdout, stderr) = (OutputCapture::new(GUEST_OUTPUT_BYTES), OutputCapture::new(GUEST_OUTPUT_BYTES));
    let stdio = WasiStdio::Captured { stdout: stdout.clone(), stderr: stderr.clone() };
    let called =
        engine::host(&module, &args.engine, stdio).and_then(|host| Ok(host.call(&args.operation, &payload.bytes)?));
    let _ = std::io::stderr().write_all(&[stdout.contents(), stderr.contents()].concat());
    let answer = called?;
    let printed = payload::render(answer, args.output, payload.json)?;
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(&printed)
        .and_then(|()| stdout.flush())
        .map_err(|e| Failure::host(format!("cannot write the answer: {e}")))
}
