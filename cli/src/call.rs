//! `wapc call`: one call of an operation, its answer on stdout.

use std::io::Write;

use crate::args::CallArgs;
use crate::engine;
use crate::failure::Failure;
use crate::payload;

/// Runs `wapc call`.
pub fn run(args: &CallArgs) -> Result<(), Failure> {
    let payload = payload::read(&args.payload)?;
    let module = engine::module(&args.module)?;
    let host = engine::host(&module, &args.engine)?;
    let answer = host.call(&args.operation, &payload.bytes)?;
    let printed = payload::render(answer, args.output, payload.json)?;
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(&printed)
        .and_then(|()| stdout.flush())
        .map_err(|e| Failure::host(format!("cannot write the answer: {e}")))
}
