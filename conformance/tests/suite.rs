//! Runs the conformance suite against every engine provider.

use std::process::ExitCode;

use wapc_conformance::engines;

fn main() -> ExitCode {
    wapc_conformance::run(&[&*engines::WASMTIME, &*engines::WASMTIME_ASYNC, &*engines::WASMI, &*engines::WASMI_ASYNC])
}
