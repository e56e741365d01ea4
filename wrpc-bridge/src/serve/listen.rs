//! Taking connections for the socket transports (TCP and Unix).
//!
//! The service accepts connections itself rather than through `wrpc_transport::Server::accept`, which reads a
//! connection's invocation header before it returns: called in a loop, one client that connects and sends nothing
//! would hold up every other. Here each connection reads its header in a task of its own, within
//! [`HANDSHAKE_TIMEOUT`].
//!
//! wRPC writes an invocation's results from a task it detaches, after the handler has returned. Each connection's
//! outgoing half therefore holds a token of the service's [`TaskTracker`] ([`Tracked`]), released only when that task
//! drops it, so [`Service::stop`](super::Service::stop) returns once every answer has been written out.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, UnixListener, tcp, unix};
use tokio::sync::watch;
use tokio_util::task::TaskTracker;
use tokio_util::task::task_tracker::TaskTrackerToken;
use wrpc_transport::frame::Accept;

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

    /// The next connection, split into its halves.
    fn next_connection(&self) -> impl Future<Output = io::Result<(Self::Read, Self::Write)>> + Send;
}

impl Listen for TcpListener {
    type Read = tcp::OwnedReadHalf;
    type Write = tcp::OwnedWriteHalf;

    async fn next_connection(&self) -> io::Result<(Self::Read, Self::Write)> {
        let (stream, _) = self.accept().await?;
        stream.set_nodelay(true)?;
        Ok(stream.into_split())
    }
}

impl Listen for UnixListener {
    type Read = unix::OwnedReadHalf;
    type Write = unix::OwnedWriteHalf;

    async fn next_connection(&self) -> io::Result<(Self::Read, Self::Write)> {
        let (stream, _) = self.accept().await?;
        Ok(stream.into_split())
    }
}

/// wRPC's connection server for a listener's connections.
pub(super) type SocketServer<L> = wrpc_transport::Server<(), <L as Listen>::Read, Tracked<<L as Listen>::Write>>;

/// Accepts connections on `listener` until the service stops, each handed to `server` by a task of its own.
pub(super) async fn accept_loop<L: Listen>(
    listener: L,
    server: Arc<SocketServer<L>>,
    mut stopped: watch::Receiver<bool>,
    tracker: TaskTracker,
) {
    loop {
        let connection = tokio::select! {
            _ = stopped.wait_for(|stop| *stop) => return,
            connection = listener.next_connection() => connection,
        };
        let (read, write) = match connection {
            Ok(halves) => halves,
            Err(e) => {
                log::warn!("wrpc-bridge: accepting a connection failed: {e}");
                tokio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            }
        };
        let accepted = Accepted::new(read, Tracked { inner: write, _in_flight: tracker.token() });
        let (server, mut stopped) = (Arc::clone(&server), stopped.clone());
        tracker.spawn(async move {
            tokio::select! {
                _ = stopped.wait_for(|stop| *stop) => {}
                handed = tokio::time::timeout(HANDSHAKE_TIMEOUT, server.accept(&accepted)) => match handed {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => log::warn!("wrpc-bridge: refused a connection: {e}"),
                    Err(_) => log::warn!("wrpc-bridge: a connection named no function within {HANDSHAKE_TIMEOUT:?}"),
                },
            }
        });
    }
}

/// A connection's outgoing half, keeping the service's tracker open until it is dropped.
pub(super) struct Tracked<W> {
    inner: W,
    _in_flight: TaskTrackerToken,
}

impl<W: AsyncWrite + Unpin> AsyncWrite for Tracked<W> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
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
