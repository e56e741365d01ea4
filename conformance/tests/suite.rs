//! Runs the conformance suite against every engine provider.

use std::process::ExitCode;

use wapc_conformance::engines::WASMTIME;

fn main() -> ExitCode {
    wapc_conformance::run(&[&*WASMTIME])
}
