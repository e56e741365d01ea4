//! Running part of a test in a child process of its own, so that its memory is its own: a server under attack, a
//! host running a hostile guest. The child is the test executable itself, started again to run one test in a
//! role; the test asks [`role`] which side it is on.
//!
//! ```no_run
//! use std::io::{BufRead, BufReader};
//! use wapc_conformance::child;
//!
//! // A test, run by the test harness.
//! fn a_server_survives_attacks() {
//!     if child::role().as_deref() == Some("server") {
//!         // ... serve, print the address, wait for "stop" on stdin ...
//!         return;
//!     }
//!     let mut server = child::spawn("a_server_survives_attacks", "server").unwrap();
//!     let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
//!     let address = lines.next().unwrap().unwrap();
//!     let before = child::peak_resident_bytes(server.id()).unwrap();
//!     // ... attack `address`, then compare the peak ...
//! }
//! ```

use std::io;
use std::process::{Child, Command, Stdio};

/// The environment variable naming the role a child test process was started in.
pub const ROLE_VARIABLE: &str = "WAPC_TEST_CHILD";

/// The role this process was started in, when it is a child started by [`spawn`].
#[must_use]
pub fn role() -> Option<String> {
    std::env::var(ROLE_VARIABLE).ok()
}

/// Starts the current test executable again as a child in `role`, running only the test named `test`
/// (`--exact`, `--nocapture`, one test thread), with stdin and stdout piped and stderr inherited.
///
/// # Errors
/// When the executable cannot be found or started.
pub fn spawn(test: &str, role: &str) -> io::Result<Child> {
    Command::new(std::env::current_exe()?)
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(ROLE_VARIABLE, role)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
}

/// The peak resident set size (`VmHWM` in /proc/<pid>/status) of process `pid`, in bytes.
///
/// # Errors
/// When the process's status cannot be read (it has ended, or this is not Linux).
pub fn peak_resident_bytes(pid: u32) -> io::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kib = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().strip_suffix("kB"))
        .and_then(|kib| kib.trim().parse::<u64>().ok())
        .ok_or_else(|| io::Error::other(format!("no VmHWM line in the status of process {pid}")))?;
    Ok(kib * 1024)
}
