//! The checks, grouped by what they exercise, and the helpers they share.

use std::io::Write;
use std::sync::Arc;

use crate::{Host, HostBuilder};
use parking_lot::Mutex;
use wapc::errors::Error;

use crate::{Engine, Options, child};

pub mod abi;
pub mod blocking;
pub mod concurrency;
pub mod lifecycle;
pub mod limits;
pub mod sdk;
pub mod traps;
pub mod wasi;

/// A check: panics when the engine misbehaves.
pub type Check = fn(&dyn Engine);

/// Every check, by name.
#[must_use]
pub fn all() -> Vec<(&'static str, Check)> {
    [
        sdk::CHECKS,
        abi::CHECKS,
        traps::CHECKS,
        limits::CHECKS,
        blocking::CHECKS,
        lifecycle::CHECKS,
        concurrency::CHECKS,
        wasi::CHECKS,
    ]
    .concat()
}

/// What the host callback of [`host`] saw: `(binding, namespace, operation, payload)` per call.
pub type Seen = Arc<Mutex<Vec<(String, String, String, Vec<u8>)>>>;

/// A host for `module` whose callback records each call and answers the payload reversed, or fails with
/// `"refused " + payload` when the binding is `fail` or the payload starts with `fail`.
///
/// # Panics
/// When the host cannot be made.
pub fn host(engine: &dyn Engine, module: &[u8], options: &Options) -> (Host, Seen) {
    let seen = Seen::default();
    let log = Arc::clone(&seen);
    let provider = engine.provider(module, options).unwrap_or_else(|e| panic!("provider: {e}"));
    let host = HostBuilder::new()
        .host_callback(move |_id, binding, namespace, operation, payload| {
            log.lock().push((binding.to_owned(), namespace.to_owned(), operation.to_owned(), payload.to_vec()));
            if binding == "fail" || payload.starts_with(b"fail") {
                Err(format!("refused {}", String::from_utf8_lossy(payload)).into())
            } else {
                Ok(payload.iter().rev().copied().collect())
            }
        })
        .build(provider)
        .unwrap_or_else(|e| panic!("host: {e}"));
    (host, seen)
}

/// Asserts that `ok` on a [`wat_guest`](crate::guests::wat_guest) host still echoes: the host recovered.
///
/// # Panics
/// When it does not.
pub fn assert_recovers(host: &Host) {
    match host.call("ok", b"still alive") {
        Ok(response) => assert_eq!(response, b"still alive"),
        Err(e) => panic!("the call after a failure failed: {e}"),
    }
}

/// Runs `body`, the part of check `check` (its name without the engine) that needs a stdin of its own, in a
/// [child process](crate::child) of the suite; in the parent, writes `stdin` to the child's stdin, keeps it
/// open (nobody writes more) until the child ends, and asserts that the child passed.
///
/// # Panics
/// When the child cannot be run or fails.
pub fn with_stdin(engine: &dyn Engine, check: &str, stdin: &[u8], body: impl FnOnce()) {
    const ROLE: &str = "conformance-stdin";
    if child::role().as_deref() == Some(ROLE) {
        return body();
    }
    let name = format!("{}::{check}", engine.name());
    let mut running = child::spawn(&name, ROLE).unwrap_or_else(|e| panic!("cannot start {name} in a child: {e}"));
    let mut input = running.stdin.take().unwrap_or_else(|| panic!("the child of {name} has no stdin"));
    input.write_all(stdin).unwrap_or_else(|e| panic!("cannot write to the stdin of {name}: {e}"));
    let output = running.wait_with_output().unwrap_or_else(|e| panic!("cannot wait for {name}: {e}"));
    drop(input);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{name} failed in its child ({}):\n{stdout}", output.status);
    assert!(stdout.contains("test result: ok. 1 passed"), "{name} did not run in its child:\n{stdout}");
}

/// The error of a call that had to fail.
///
/// # Panics
/// When it succeeded.
pub fn failure(result: Result<Vec<u8>, Error>) -> Error {
    match result {
        Ok(response) => panic!("expected an error, got a response of {} bytes", response.len()),
        Err(error) => error,
    }
}
