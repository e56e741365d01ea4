//! The behaviour suite every engine provider of the `wapc` host passes.
//!
//! An engine takes part by implementing [`Engine`] (how to make a provider of it with given [`Options`]: a
//! blocking one for a [`WapcHost`](wapc::WapcHost) or an async one for a
//! [`WapcHostAsync`](wapc::WapcHostAsync), as a [`Provider`]) and being listed in `tests/suite.rs`, one line
//! each. The checks drive either kind through one [`Host`], so every check runs against async providers too
//! (`wasmtime-async`), with no copy of any check:
//!
//! ```text
//! fn main() -> std::process::ExitCode {
//!     wapc_conformance::run(&[&engines::Wasmtime::new()])
//! }
//! ```
//!
//! Every check runs for every engine, reported as `<engine>::<check>` by a libtest-compatible harness
//! (`cargo test -p wapc-conformance -- wasmtime::abi` filters as usual).
//!
//! # What is checked
//!
//! - [`checks::sdk`]: guests built from source with this project's `wapc-guest` *and* with upstream
//!   `wapc-guest` 1.2: echo, reverse, host-call round trip, host errors, guest errors, console log, empty and
//!   1 MiB payloads, a MessagePack struct, an unknown operation.
//! - [`checks::abi`]: WAT guests for every ABI corner: out-of-bounds and overflowing pointer/length pairs on
//!   each import, invalid UTF-8 in every text, success without a response, the original 6-argument
//!   `__host_call`, missing exports. Each asserts the exact error and that the next call succeeds.
//! - [`checks::traps`]: `unreachable`, stack overflow, an infinite loop under the engine's execution budget,
//!   a `memory.grow` bomb under a memory limit, AssemblyScript's `env.abort`.
//! - [`checks::limits`]: guests that grow several memories or tables at once, declare more of them or larger
//!   ones than the limits allow, or grow a table without end: each refused with the same typed error on every
//!   engine.
//! - [`checks::blocking`]: WASI sleeps and reads of an inherited stdin that nobody writes to (in a [`child`]
//!   process whose stdin is a pipe the suite holds open), in preview 1 and preview 0: within the call's limit
//!   they complete, past it they end with the deadline error.
//! - [`checks::lifecycle`]: start functions (`_start` + `proc_exit(0)`, `_initialize`, `wapc_init`, once
//!   each, in order), `replace_module` (and bad replacements that leave the old module serving), precompiled
//!   modules.
//! - [`checks::concurrency`]: 8 threads x 10,000 calls on one host, same-thread reentrancy, a cycle through
//!   another thread, a panicking callback, calls from inside tokio runtimes.
//! - [`checks::wasi`]: a TinyGo-style guest on `wasi_unstable`, captured stdio, read-only and writable
//!   directories.
//!
//! # Engine-specific behaviour
//!
//! The checks are the same for every engine; only the execution budget differs in kind, and [`Engine::limit`]
//! says which: a wall-clock deadline on wasmtime (which counts time in host callbacks), a fuel budget on
//! interpreters (which counts guest instructions only). The cycle check ends through
//! [`WapcHostBuilder::instance_wait`](wapc::WapcHostBuilder::instance_wait), which needs no engine support.
//! Inside a current-thread tokio runtime, an engine whose WASI blocks on tokio (wasmtime) fails a WASI call
//! with [`Error::Provider`](wapc::errors::Error::Provider) where one that does not succeeds: the check accepts
//! either, and requires the host to survive.

use std::process::ExitCode;

use wapc::errors::{ExecutionLimit, Result};
use wapc::{ResourceLimits, WasiParams, WasiStdio};

pub mod checks;
pub mod child;
pub mod engines;
pub mod guests;
pub mod host;
pub mod soak;

pub use host::{Host, HostBuilder, Provider};

/// An engine under test: how to make a provider of it for a module.
pub trait Engine: Send + Sync {
    /// The engine's name, the first part of each check's name.
    fn name(&self) -> &'static str;

    /// A provider of `module` configured by `options`.
    ///
    /// # Errors
    /// Whatever the engine's builder returns.
    fn provider(&self, module: &[u8], options: &Options) -> Result<Provider>;

    /// A provider of `module` loaded from the engine's precompiled (serialised) form, if it has one; otherwise
    /// the engine's shared-compilation path.
    ///
    /// # Errors
    /// Whatever the engine's builder returns.
    fn precompiled_provider(&self, module: &[u8]) -> Result<Provider>;

    /// The budget a runaway call reports when [`Options::limited`] is set.
    fn limit(&self) -> ExecutionLimit;
}

/// How a check wants its provider configured.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// A small execution budget per call: enough for ordinary calls, and ending an infinite loop quickly.
    pub limited: bool,
    /// Memory and table limits (the engine's default, [`ResourceLimits::DEFAULT`], when `None`).
    pub limits: Option<ResourceLimits>,
    /// WASI parameters, with upstream waPC's meaning.
    pub wasi: WasiParams,
    /// Where the guest's stdio goes.
    pub stdio: WasiStdio,
    /// `(host path, guest path)` pairs of read-only directories.
    pub read_only_dirs: Vec<(String, String)>,
}

/// Runs every check against every engine with a libtest-compatible harness (filters, `--list`,
/// `--test-threads`) and returns its exit code.
#[must_use]
pub fn run(engines: &[&'static dyn Engine]) -> ExitCode {
    let arguments = libtest_mimic::Arguments::from_args();
    let trials = engines
        .iter()
        .flat_map(|&engine| {
            checks::all().into_iter().map(move |(name, check)| {
                libtest_mimic::Trial::test(format!("{}::{name}", engine.name()), move || {
                    check(engine);
                    Ok(())
                })
            })
        })
        .collect();
    libtest_mimic::run(&arguments, trials).exit_code()
}
