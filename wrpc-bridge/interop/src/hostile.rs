//! Hostile clients and peers: the raw bytes of attacks, and the served module or bridge they target, running in a
//! child process of its own so that its memory is its own ([`wapc_conformance::child`]).
//!
//! A [`ServerUnderAttack`] is a `wapc-guest` echo module served by [`ServiceBuilder`] over TCP, a Unix socket or
//! NATS; a [`BridgeUnderAttack`] is a waPC host whose bridge calls a peer the test plays. Each attack is checked
//! the same way: the child has not exited, its peak resident memory grew by less than [`MAX_GROWTH`], and a
//! legitimate call made during the attack succeeds.

use std::io::{BufRead, BufReader, Lines, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use wapc::WapcHost;
use wapc_conformance::child;
use wapc_conformance::guests::GUEST_OURS;
use wasmtime_provider::WasmtimeEngineProviderBuilder;
use wrpc_bridge::transport::NatsOptions;
use wrpc_bridge::wit::Catalog;
use wrpc_bridge::{Address, Bridge, ServiceBuilder, Target};

use crate::peers::legacy_client::legacy::guest::api;
use crate::relay;

/// The opaque instance the server under attack serves `echo` in.
pub const API: &str = "legacy:guest/api@0.1.0";
/// The typed instance it serves `echo-numbers` (`list<u32>`) in.
pub const BULK: &str = "legacy:guest/bulk@0.1.0";
/// The server's cap on invocations in flight: small, so that reaching it is cheap.
pub const MAX_IN_FLIGHT: usize = 16;
/// The server's grace period when it stops.
pub const GRACE: Duration = Duration::from_secs(2);
/// The server's parameter timeout.
pub const PARAMS_TIMEOUT: Duration = Duration::from_secs(20);
/// The bridge's call deadline.
pub const DEADLINE: Duration = Duration::from_secs(2);
/// How much an attack may grow the peak resident memory of its target.
pub const MAX_GROWTH: u64 = 64 << 20;

/// The bytes of wRPC frames, written by hand.
pub mod wire {
    /// An unsigned LEB128 integer.
    #[must_use]
    pub fn leb(mut value: u64) -> Vec<u8> {
        let mut out = Vec::new();
        loop {
            let byte = (value & 0x7f) as u8;
            value >>= 7;
            if value == 0 {
                out.push(byte);
                return out;
            }
            out.push(byte | 0x80);
        }
    }

    /// An invocation header naming `instance#function`.
    #[must_use]
    pub fn header(instance: &str, function: &str) -> Vec<u8> {
        [&[0][..], &leb(instance.len() as u64), instance.as_bytes(), &leb(function.len() as u64), function.as_bytes()]
            .concat()
    }

    /// A frame on `path` carrying `data`.
    #[must_use]
    pub fn frame(path: &[u64], data: &[u8]) -> Vec<u8> {
        let mut out = leb(path.len() as u64);
        path.iter().for_each(|&index| out.extend(leb(index)));
        out.extend(leb(data.len() as u64));
        out.extend_from_slice(data);
        out
    }

    /// An invocation of an opaque function with `payload`, in one root frame.
    #[must_use]
    pub fn opaque_invocation(instance: &str, function: &str, payload: &[u8]) -> Vec<u8> {
        [header(instance, function), frame(&[], &[leb(payload.len() as u64), payload.to_vec()].concat())].concat()
    }
}

/// Where a child serves, as its role says: `server tcp`, `server unix PATH` or `server nats URL`.
fn served_address(role: &str) -> Address {
    let mut words = role.splitn(3, ' ').skip(1);
    match (words.next(), words.next()) {
        (Some("tcp"), _) => Address::Tcp("127.0.0.1:0".to_owned()),
        (Some("unix"), Some(path)) => Address::Unix(PathBuf::from(path)),
        (Some("nats"), Some(url)) => Address::Nats(url.to_owned()),
        _ => panic!("not a server role: {role}"),
    }
}

/// The child's side of a [`ServerUnderAttack`]: serves the echo module, prints its address, and stops when told
/// to on stdin, printing `stopped`.
///
/// # Panics
/// When the service cannot start.
pub fn serve_in_child(role: &str) {
    let engine = WasmtimeEngineProviderBuilder::new().module_bytes(GUEST_OURS).build().unwrap();
    let host = Arc::new(WapcHost::new(Box::new(engine), None).unwrap());
    let catalog = Catalog::load(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/wit/legacy"))).unwrap();
    let service = ServiceBuilder::new(host)
        .opaque(API, ["echo"])
        .typed(catalog.interface(BULK).unwrap())
        .alias("echo-numbers", "echo")
        .max_in_flight(MAX_IN_FLIGHT)
        .grace_period(GRACE)
        .params_timeout(PARAMS_TIMEOUT)
        .nats(NatsOptions::default())
        .serve(&served_address(role))
        .unwrap();
    say(service.address());
    for line in std::io::stdin().lines() {
        if line.unwrap() == "stop" {
            service.stop();
            say("stopped");
            return;
        }
    }
}

/// Marks the lines a child prints for its parent: the test harness prints its own lines to stdout too.
const SAYS: &str = "wapc-child: ";

/// Prints a line for the parent.
fn say(line: impl std::fmt::Display) {
    println!("{SAYS}{line}");
}

/// A child process of this test executable, talking by lines on stdin and stdout.
struct ChildProcess {
    child: Child,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
}

impl ChildProcess {
    fn spawn(test: &str, role: &str) -> Self {
        let mut child = child::spawn(test, role).unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        ChildProcess { child, stdin, stdout }
    }

    /// The child's next line for its parent.
    fn line(&mut self) -> String {
        loop {
            let line = self.stdout.next().expect("the child ended").unwrap();
            // The harness's "test name ... " may come first on the line.
            if let Some((_, said)) = line.split_once(SAYS) {
                return said.to_owned();
            }
        }
    }

    fn tell(&mut self, line: &str) {
        writeln!(self.stdin, "{line}").unwrap();
    }

    fn peak(&self) -> u64 {
        child::peak_resident_bytes(self.child.id()).unwrap()
    }

    fn assert_alive(&mut self, after: &str) {
        assert_eq!(self.child.try_wait().unwrap(), None, "the child exited after {after}");
    }
}

impl Drop for ChildProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A served echo module in a child process, and a client to call it legitimately.
pub struct ServerUnderAttack {
    child: ChildProcess,
    address: Address,
    runtime: tokio::runtime::Runtime,
}

impl ServerUnderAttack {
    /// Starts the server for the test named `test` (which must call [`serve_in_child`] in its child role) on
    /// `transport`: `tcp`, `unix PATH` or `nats URL`.
    ///
    /// # Panics
    /// When it does not start.
    #[must_use]
    pub fn start(test: &str, transport: &str) -> Self {
        let mut child = ChildProcess::spawn(test, &format!("server {transport}"));
        let address = child.line().parse().unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let server = ServerUnderAttack { child, address, runtime };
        // Warm up, so that what a first call allocates once is not counted against an attack.
        assert_eq!(server.echo(b"warm-up").unwrap(), b"warm-up".as_slice());
        server
    }

    /// Where it serves.
    #[must_use]
    pub fn address(&self) -> &Address {
        &self.address
    }

    /// The runtime the checks run on, for attacks that need one.
    #[must_use]
    pub fn runtime(&self) -> &tokio::runtime::Runtime {
        &self.runtime
    }

    /// A legitimate echo call, with a deadline of ten seconds.
    ///
    /// # Errors
    /// When the call fails or takes longer.
    pub fn echo(&self, payload: &[u8]) -> anyhow::Result<Bytes> {
        let payload = Bytes::copy_from_slice(payload);
        let call = async {
            let answer = match &self.address {
                Address::Tcp(address) => {
                    api::echo(&wrpc_transport::tcp::Client::from(address.clone()), (), &payload).await?
                }
                Address::Unix(path) => {
                    api::echo(&wrpc_transport::unix::Client::from(path.clone()), (), &payload).await?
                }
                Address::Nats(url) => {
                    let nats = async_nats::connect(url.as_str()).await?;
                    api::echo(&wrpc_transport_nats::Client::new(nats, "", None).await?, None, &payload).await?
                }
                other => anyhow::bail!("no client for {other}"),
            };
            answer.map_err(anyhow::Error::msg)
        };
        self.runtime.block_on(async { tokio::time::timeout(Duration::from_secs(10), call).await })?
    }

    /// A raw connection to a socket server.
    ///
    /// # Panics
    /// When it cannot connect, or the server is on NATS.
    #[must_use]
    pub fn connect(&self) -> Connection {
        match &self.address {
            Address::Tcp(address) => Connection::Tcp(std::net::TcpStream::connect(address).unwrap()),
            Address::Unix(path) => Connection::Unix(UnixStream::connect(path).unwrap()),
            other => panic!("no raw connection to {other}"),
        }
    }

    /// Runs `attack`, then checks that a legitimate call succeeds, that the server is alive and that its peak
    /// resident memory grew by less than [`MAX_GROWTH`]. Returns what the attack holds (its connections).
    ///
    /// # Panics
    /// When a check fails.
    pub fn survives<T>(&mut self, name: &str, attack: impl FnOnce(&Self) -> T) -> T {
        let before = self.child.peak();
        let held = attack(self);
        std::thread::sleep(Duration::from_millis(300));
        match self.echo(name.as_bytes()) {
            Ok(echoed) => assert_eq!(echoed, name.as_bytes(), "the legitimate call during {name}"),
            Err(e) => panic!("the legitimate call during {name} failed: {e:#}"),
        }
        self.child.assert_alive(name);
        let grown = self.child.peak().saturating_sub(before);
        eprintln!("{name}: the server's peak resident memory grew by {} KiB", grown >> 10);
        assert!(grown < MAX_GROWTH, "{name}: the peak resident memory grew by {} MiB", grown >> 20);
        held
    }

    /// Checks that a legitimate call made while every place is taken is refused promptly: within the admission
    /// wait and a little more, not hanging.
    ///
    /// # Panics
    /// When it succeeds or takes longer than five seconds.
    pub fn refuses_promptly(&mut self) {
        let asked = Instant::now();
        let refused = self.echo(b"one too many");
        assert!(refused.is_err(), "a call beyond the cap on invocations in flight was answered");
        assert!(asked.elapsed() < Duration::from_secs(5), "the refusal took {:?}", asked.elapsed());
        self.child.assert_alive("the cap on invocations in flight");
    }

    /// Stops the server, and returns how long `stop()` took.
    ///
    /// # Panics
    /// When it does not say it stopped.
    pub fn stop(mut self) -> Duration {
        let stopping = Instant::now();
        self.child.tell("stop");
        assert_eq!(self.child.line(), "stopped");
        stopping.elapsed()
    }
}

/// A raw client connection.
#[derive(Debug)]
pub enum Connection {
    /// Over TCP.
    Tcp(std::net::TcpStream),
    /// Over a Unix socket.
    Unix(UnixStream),
}

impl Connection {
    /// Sends `bytes`.
    ///
    /// # Panics
    /// When the server has closed the connection before they were written.
    #[must_use]
    pub fn send(mut self, bytes: &[u8]) -> Self {
        match &mut self {
            Connection::Tcp(stream) => stream.write_all(bytes),
            Connection::Unix(stream) => stream.write_all(bytes),
        }
        .unwrap();
        self
    }

    /// Reads until the server closes the connection (at most ten seconds), and returns what it sent.
    ///
    /// # Panics
    /// When reading fails.
    #[must_use]
    pub fn answer(mut self) -> Vec<u8> {
        let mut answer = Vec::new();
        let read = match &mut self {
            Connection::Tcp(stream) => {
                stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
                stream.read_to_end(&mut answer)
            }
            Connection::Unix(stream) => {
                stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
                stream.read_to_end(&mut answer)
            }
        };
        // A server that closes a connection it has not read to the end resets it.
        if let Err(e) = read {
            assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "reading the answer: {e}");
        }
        answer
    }
}

/// The child's side of a [`BridgeUnderAttack`]: a waPC host whose bridge calls the opaque target at the address its
/// role names (`bridge ADDRESS`), once per `call` line on stdin, printing `ok` or `err <text>` for each.
///
/// # Panics
/// When the bridge cannot be built.
pub fn bridge_in_child(role: &str) {
    let address = role.strip_prefix("bridge ").unwrap();
    let bridge = Bridge::builder().target("peer", Target::new(address).unwrap()).deadline(DEADLINE).build().unwrap();
    let host = relay::host(&bridge);
    say("ready");
    for line in std::io::stdin().lines() {
        if line.unwrap() != "call" {
            return;
        }
        match relay::call(&host, "peer", API, "echo", b"payload") {
            Ok(answer) => say(format_args!("ok {}", answer.len())),
            Err(text) => say(format_args!("err {}", text.replace('\n', " "))),
        }
    }
}

/// A bridge in a child process, calling a peer the test plays.
pub struct BridgeUnderAttack {
    child: ChildProcess,
}

impl BridgeUnderAttack {
    /// Starts the bridge for the test named `test` (which must call [`bridge_in_child`] in its child role),
    /// calling the peer at `address`.
    ///
    /// # Panics
    /// When it does not start.
    #[must_use]
    pub fn start(test: &str, address: &str) -> Self {
        let mut child = ChildProcess::spawn(test, &format!("bridge {address}"));
        assert_eq!(child.line(), "ready");
        BridgeUnderAttack { child }
    }

    /// Has the guest call the peer while `peer` answers it (on another thread), and returns the guest's host
    /// error text, after checking that the bridge is alive and its peak resident memory grew by less than
    /// [`MAX_GROWTH`].
    ///
    /// # Panics
    /// When the call succeeds or a check fails.
    pub fn refuses(&mut self, name: &str, peer: impl FnOnce() + Send + 'static) -> String {
        let before = self.child.peak();
        let playing = std::thread::spawn(peer);
        self.child.tell("call");
        let outcome = self.child.line();
        let _ = playing.join();
        self.child.assert_alive(name);
        let grown = self.child.peak().saturating_sub(before);
        eprintln!("{name}: the bridge's peak resident memory grew by {} KiB", grown >> 10);
        assert!(grown < MAX_GROWTH, "{name}: the bridge's peak resident memory grew by {} MiB", grown >> 20);
        outcome.strip_prefix("err ").unwrap_or_else(|| panic!("{name}: the call succeeded: {outcome}")).to_owned()
    }
}
