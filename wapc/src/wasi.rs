//! WASI settings every engine provider understands.

use std::sync::Arc;

use parking_lot::Mutex;

/// Parameters for WASI preview 1, for modules that import it (TinyGo guests do).
///
/// The fields mean what they mean in upstream waPC: `argv` and `env_vars` are what the guest sees,
/// `preopened_dirs` are host directories opened under the same path, `map_dirs` are `(guest path, host path)`
/// pairs; both kinds are readable and writable. Stdio is inherited from the host process. Providers' builders
/// add closed or captured stdio ([`WasiStdio`]) and read-only directories beside these.
#[derive(Debug, Default, Clone, Eq, PartialEq)]
#[must_use]
pub struct WasiParams {
    /// Command line arguments to expose to WASI.
    pub argv: Vec<String>,
    /// `(guest path, host path)` pairs of directories, readable and writable.
    pub map_dirs: Vec<(String, String)>,
    /// Environment variables and values to expose.
    pub env_vars: Vec<(String, String)>,
    /// Host directories the guest may read and write, under the same path.
    pub preopened_dirs: Vec<String>,
}

impl WasiParams {
    /// Parameters from their four parts.
    pub fn new(
        argv: Vec<String>,
        map_dirs: Vec<(String, String)>,
        env_vars: Vec<(String, String)>,
        preopened_dirs: Vec<String>,
    ) -> Self {
        WasiParams { argv, map_dirs, env_vars, preopened_dirs }
    }

    /// Every directory to preopen, as `(guest path, host path)`: `preopened_dirs` first, then `map_dirs`.
    #[must_use]
    pub fn preopens(&self) -> Vec<(String, String)> {
        let same_path = self.preopened_dirs.iter().map(|dir| (dir.clone(), dir.clone()));
        same_path.chain(self.map_dirs.iter().cloned()).collect()
    }
}

/// Everything that shapes a guest's WASI context, the same on every engine: upstream's [`WasiParams`], where
/// stdio goes, and read-only directories. Engine providers build their WASI contexts from it; their builders
/// fill it in.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct WasiConfig {
    /// Arguments, environment and readable-and-writable directories, with upstream's meaning.
    pub params: WasiParams,
    /// Where the guest's stdio goes.
    pub stdio: WasiStdio,
    /// `(guest path, host path)` pairs of directories the guest may only read.
    pub read_only_dirs: Vec<(String, String)>,
}

impl WasiConfig {
    /// Every directory to preopen as `(guest path, host path, writable)`: those of [`WasiParams::preopens`]
    /// (writable) first, then the read-only ones.
    pub fn preopens(&self) -> impl Iterator<Item = (String, String, bool)> + '_ {
        let writable = self.params.preopens().into_iter().map(|(guest, host)| (guest, host, true));
        writable.chain(self.read_only_dirs.iter().map(|(guest, host)| (guest.clone(), host.clone(), false)))
    }
}

/// Where a WASI guest's stdin, stdout and stderr go.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub enum WasiStdio {
    /// The host process's own stdio (upstream waPC's behaviour, and the default).
    ///
    /// The guest reads the host's stdin, and a read waits until it has data. Under a call limit (a deadline,
    /// a fuel budget) the wait ends with the call's limit, as
    /// [`Error::DeadlineExceeded`](crate::errors::Error::DeadlineExceeded); without one it lasts as long as
    /// stdin stays open and silent, holding the instance, as upstream's does. The engines read stdin on a
    /// thread of their own for guests, so what they read for a guest is not the host's to read any more.
    /// [`Closed`](Self::Closed) or [`Captured`](Self::Captured) give the guest an empty stdin instead: choose
    /// them unless the guest is meant to read the host's.
    #[default]
    Inherit,
    /// Stdin is empty; stdout and stderr are discarded.
    Closed,
    /// Stdin is empty; stdout and stderr are kept in memory.
    Captured {
        /// Receives the guest's stdout.
        stdout: OutputCapture,
        /// Receives the guest's stderr.
        stderr: OutputCapture,
    },
}

/// An in-memory sink for a guest's output stream, bounded in size. Clones share the same buffer.
///
/// ```
/// let stdout = wapc::OutputCapture::new(4);
/// assert_eq!(stdout.write(b"hello"), 4); // the rest does not fit
/// assert_eq!(stdout.contents(), b"hell");
/// ```
#[derive(Debug, Clone)]
pub struct OutputCapture {
    buffer: Arc<Mutex<Vec<u8>>>,
    capacity: usize,
}

impl OutputCapture {
    /// A capture that keeps at most `capacity` bytes.
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        OutputCapture { buffer: Arc::default(), capacity }
    }

    /// Appends as much of `bytes` as fits and returns how many bytes that was.
    pub fn write(&self, bytes: &[u8]) -> usize {
        let mut buffer = self.buffer.lock();
        let accepted = bytes.len().min(self.capacity.saturating_sub(buffer.len()));
        buffer.extend_from_slice(bytes.get(..accepted).unwrap_or_default());
        accepted
    }

    /// Everything written so far.
    #[must_use]
    pub fn contents(&self) -> Vec<u8> {
        self.buffer.lock().clone()
    }

    /// How many more bytes it accepts.
    #[must_use]
    pub fn remaining(&self) -> usize {
        self.capacity.saturating_sub(self.buffer.lock().len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preopens_keep_upstream_order() {
        let params = WasiParams::new(vec![], vec![("/guest".into(), "/host".into())], vec![], vec!["/data".into()]);
        assert_eq!(
            params.preopens(),
            vec![("/data".to_owned(), "/data".to_owned()), ("/guest".to_owned(), "/host".to_owned())]
        );
    }

    #[test]
    fn captures_stop_at_capacity_and_share_their_buffer() {
        let capture = OutputCapture::new(6);
        let clone = capture.clone();
        assert_eq!(capture.write(b"abcd"), 4);
        assert_eq!(clone.write(b"efgh"), 2);
        assert_eq!(capture.write(b"i"), 0);
        assert_eq!(capture.contents(), b"abcdef");
        assert_eq!(capture.remaining(), 0);
    }
}
