//! Taking connections for the socket transports (TCP and Unix).
//!
//! The service accepts connections itself rather than through `wrpc_transport::Server::accept`, which reads a
//! connection's invocation header before it returns: called in a loop, one client that connects and sends nothing
//! would hold up every other. Here each connection first takes a place among the invocations in flight
//! ([`Admission`]), then reads its header in a task of its own, within [`HANDSHAKE_TIMEOUT`], through a
//! [`FrameReader`] that checks everything the client sends.
//!
//! wRPC writes an invocation's results from a task it detaches, after the handler has returned. Each connection's
//! outgoing half therefore holds its place and a token of the service's tracker ([`Tracked`]), released only when
//! that task drops it, so [`Service::stop`](super::Service::stop) returns once every answer has been written out;
//! and it fails its writes once the service cuts off what is left, so a client that never reads its answer cannot
//! hold the service up.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, UnixListener, tcp, unix};
use tokio::sync::OwnedSemaphorePermit;
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};
use tokio_util::task::task_tracker::TaskTrackerToken;
use wrpc_transport::frame::{Accept, AcceptError};

use super::Shared;
use super::admission::Admission;
use crate::framing::{FrameReader, ServedFunctions, Violation};

/// How long a new connection may take to name the function it invokes.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long to wait before accepting again after accepting failed (for example with too many open files).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// A listener on a socket transport.
pub(super) trait Listen: Send + Sync + 'static {
    /// A connection's incoming half.
    type Read: AsyncRead + Send + Sync + Unpin + 'static;
    /// A connection's outgoing half.
    type Write: AsyncWrite + Send + Sync + Unpin + 'static;

    /// The next connection, split into its halves, and who it is from (for logs).
    fn next_connection(&self) -> impl Future<Output = io::Result<(Self::Read, Self::Write, String)>> + Send;
}

impl Listen for TcpListener {
    type Read = tcp::OwnedReadHalf;
    type Write = tcp::OwnedWriteHalf;

    async fn next_connection(&self) -> io::Result<(Self::Read, Self::Write, String)> {
        let (stream, peer) = self.accept().await?;
        stream.set_nodelay(true)?;
        let (read, write) = stream.into_split();
        Ok((read, write, format!("from {peer}")))
    }
}

impl Listen for UnixListener {
    type Read = unix::OwnedReadHalf;
    type Write = unix::OwnedWriteHalf;

    async fn next_connection(&self) -> io::Result<(Self::Read, Self::Write, String)> {
        let (stream, _) = self.accept().await?;
        let (read, write) = stream.into_split();
        Ok((read, write, "from a Unix socket client".to_owned()))
    }
}

/// wRPC's connection server for a listener's connections.
pub(super) type SocketServer<L> =
    wrpc_transport::Server<(), FrameReader<<L as Listen>::Read>, Tracked<<L as Listen>::Write>>;

/// Accepts connections on `listener` until the service stops, each handed to `server` by a task of its own once it
/// has a place among the invocations in flight. The headers must name one of `functions`.
pub(super) async fn accept_loop<L: Listen>(
    listener: L,
    server: Arc<SocketServer<L>>,
    functions: Arc<ServedFunctions>,
    admission: Admission,
    shared: Arc<Shared>,
) {
    let mut stopped = shared.stopped.clone();
    loop {
        let connection = tokio::select! {
            _ = stopped.wait_for(|stop| *stop) => return,
            connection = listener.next_connection() => connection,
        };
        let (read, write, peer) = match connection {
            Ok(connection) => connection,
            Err(e) => {
                wapc::__event!(warn, "wrpc-bridge: accepting a connection failed: {e}");
                tokio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            }
        };
        let (server, functions, admission, shared) =
            (Arc::clone(&server), Arc::clone(&functions), admission.clone(), Arc::clone(&shared));
        shared.tracker.clone().spawn(async move {
            let Some(place) = admission.admit().await else { return };
            let max_bytes = shared.limits.max_invocation_bytes;
            let read = FrameReader::server(read, functions, max_bytes, peer);
            let write = Tracked::new(write, shared.tracker.token(), place, shared.cut.clone());
            let accepted = Accepted::new(read, write);
            let mut stopped = shared.stopped.clone();
            tokio::select! {
                _ = stopped.wait_for(|stop| *stop) => {}
                handed = tokio::time::timeout(HANDSHAKE_TIMEOUT, server.accept(&accepted)) => match handed {
                    Ok(Ok(())) => {}
                    // The reader has said why.
                    Ok(Err(AcceptError::IO(e))) if Violation::of(&e).is_some() => {}
                    Ok(Err(e)) => wapc::__event!(warn, "wrpc-bridge: refused a connection: {e}"),
                    Err(_) => wapc::__event!(warn, "wrpc-bridge: a connection named no function within {HANDSHAKE_TIMEOUT:?}"),
                },
            }
        });
    }
}

/// A connection's outgoing half: holds the connection's place and keeps the service's tracker open until it is
/// dropped, and fails every write once the service cuts off what is left.
pub(super) struct Tracked<W> {
    inner: W,
    cut: Pin<Box<WaitForCancellationFutureOwned>>,
    _in_flight: (TaskTrackerToken, OwnedSemaphorePermit),
}

impl<W> Tracked<W> {
    fn new(inner: W, token: TaskTrackerToken, place: OwnedSemaphorePermit, cut: CancellationToken) -> Self {
        Tracked { inner, cut: Box::pin(cut.cancelled_owned()), _in_flight: (token, place) }
    }

    /// Fails once the service has cut off; otherwise registers to be woken when it does.
    fn check(&mut self, cx: &mut Context<'_>) -> io::Result<()> {
        match self.cut.as_mut().poll(cx) {
            Poll::Ready(()) => Err(io::Error::new(io::ErrorKind::BrokenPipe, "the service stopped")),
            Poll::Pending => Ok(()),
        }
    }
}

impl<W: AsyncWrite + Unpin> AsyncWrite for Tracked<W> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.check(cx)?;
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.check(cx)?;
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.check(cx)?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.check(cx)?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// One connection, for `wrpc_transport::Server::accept` to read the invocation header of.
struct Accepted<R, W>(Mutex<Option<(R, W)>>);

impl<R, W> Accepted<R, W> {
    fn new(read: R, write: W) -> Self {
        Accepted(Mutex::new(Some((read, write))))
    }
}

impl<R, W> Accept for &Accepted<R, W>
where
    R: AsyncRead + Send + Sync + Unpin + 'static,
    W: AsyncWrite + Send + Sync + Unpin + 'static,
{
    type Context = ();
    type Outgoing = W;
    type Incoming = R;

    async fn accept(&self) -> io::Result<((), W, R)> {
        let taken = self.0.lock().ok().and_then(|mut connection| connection.take());
        let (read, write) = taken.ok_or(io::ErrorKind::NotConnected)?;
        Ok(((), write, read))
    }
}
