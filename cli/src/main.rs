//! `wapc`: call, inspect and bench a waPC module from the shell, and serve it to component clients.
//!
//! Exit codes: 0 when the call succeeded; 1 when the guest failed (its error text on stderr); 2 for a usage
//! error; 3 when the guest trapped, ran out of time or fuel, or hit a resource limit (the kind is named); 4 for
//! any other failure on the host's side (the module, I/O, a transport).

mod args;
mod bench;
mod call;
mod engine;
mod failure;
mod inspect;
mod payload;
mod quantity;
mod serve;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use crate::args::{Cli, Command};
use crate::failure::Failure;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.trace);
    let outcome = match cli.command {
        Command::Call(call) => call::run(&call),
        Command::Inspect(inspect) => inspect::run(&inspect),
        Command::Bench(bench) => bench::run(&bench),
        Command::Serve(serve) => serve::run(&serve),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "wapc", &mut std::io::stdout());
            Ok(())
        }
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(error)) => error.exit(),
        Err(failure) => {
            let _ = writeln!(std::io::stderr(), "wapc: {failure}");
            ExitCode::from(failure.code())
        }
    }
}

/// Prints spans and events on stderr when asked (`--trace`, or `RUST_LOG`, which also chooses what).
fn init_tracing(trace: bool) {
    let filter = match std::env::var("RUST_LOG") {
        Ok(directives) => tracing_subscriber::EnvFilter::new(directives),
        Err(_) if trace => tracing_subscriber::EnvFilter::new("info"),
        Err(_) => return,
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .init();
}
