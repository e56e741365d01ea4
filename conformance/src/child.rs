//! Child test processes, for tests that need a process of their own: to measure its memory, or to give it a
//! stdin of the test's choosing.
//!
//! A test starts the current test executable again with [`spawn`], running only itself, in a role the child
//! reads back with [`role`] to do its part; the parent waits for it and judges the outcome. Linux only
//! ([`peak_resident_bytes`] reads `/proc`).
//!
//! ```no_run
//! use wapc_conformance::child;
//!
//! // A `#[test]` function:
//! fn guest_cannot_exhaust_memory() {
//!     if child::role().as_deref() == Some("hostile") {
//!         // ... run the hostile guest, then print what the parent should check
//!         return;
//!     }
//!     let child = child::spawn("guest_cannot_exhaust_memory", "hostile").unwrap();
//!     let output = child.wait_with_output().unwrap();
//!     assert!(output.status.success());
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
/// The child's stdin stays open while the returned [`Child`] holds it: take it out of `Child::stdin` first to
/// keep it open while waiting, since [`Child::wait`] closes it.
///
/// # Errors
/// When the current executable cannot be found or started.
pub fn spawn(test: &str, role: &str) -> io::Result<Child> {
    Command::new(std::env::current_exe()?)
        .args([test, "--exact", "--nocapture", "--test-threads", "1"])
        .env(ROLE_VARIABLE, role)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
}

/// The peak resident set size (`VmHWM` in `/proc/<pid>/status`) of process `pid`, in bytes.
///
/// # Errors
/// When the status file cannot be read (the process is gone, or this is not Linux) or has no `VmHWM` line in
/// kB.
pub fn peak_resident_bytes(pid: u32) -> io::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kib = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().strip_suffix("kB"))
        .and_then(|kib| kib.trim().parse::<u64>().ok())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, format!("no VmHWM in kB in /proc/{pid}/status")))?;
    Ok(kib.saturating_mul(1024))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_not_a_child_and_has_a_peak() {
        assert_eq!(role(), None);
        let peak = peak_resident_bytes(std::process::id()).unwrap();
        assert!(peak > 0 && peak.is_multiple_of(1024), "{peak}");
        assert_eq!(peak_resident_bytes(u32::MAX).unwrap_err().kind(), io::ErrorKind::NotFound);
    }
}
