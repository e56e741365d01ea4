//! wRPC over TCP or a Unix domain socket: one connection per call, no broker.
//!
//! The transport connects itself rather than through wrpc-transport's clients, so that the peer's answer is
//! read through a [`FrameReader`]: a peer cannot make the bridge allocate for results it has not sent, nor send
//! more than the call's result cap.

use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, LazyLock};
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, ReadBuf};
use tokio::net::{TcpStream, UnixStream};

use super::{CallContext, Incoming, Request, Transport, TransportFuture, ValuesReader, indexed, send_deferred};
use crate::framing::{FrameReader, Paths, ViolationSlot};

/// Invokes functions of a wRPC server listening on a TCP or Unix socket.
#[derive(Debug, Clone)]
pub struct SocketTransport {
    endpoint: Endpoint,
    /// Names the connections in logs: "to tcp://127.0.0.1:7761".
    label: Arc<str>,
}

#[derive(Debug, Clone)]
enum Endpoint {
    Tcp(String),
    Unix(PathBuf),
}

/// The result paths of an invocation whose results hold no streams or futures: only the root.
static ROOT_ONLY: LazyLock<Arc<Paths>> = LazyLock::new(|| Arc::new(Paths::root_only()));

impl SocketTransport {
    /// A transport to `address` (`host:port`) over TCP.
    #[must_use]
    pub fn tcp(address: impl Into<String>) -> Self {
        let address = address.into();
        SocketTransport { label: format!("to tcp://{address}").into(), endpoint: Endpoint::Tcp(address) }
    }

    /// A transport to the Unix socket at `path`.
    #[must_use]
    pub fn unix(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        SocketTransport { label: format!("to unix://{}", path.display()).into(), endpoint: Endpoint::Unix(path) }
    }

    async fn invoke_on<R, W>(
        &self,
        (read, write): (R, W),
        context: CallContext<'_>,
        instance: &str,
        function: &str,
        request: Request,
    ) -> anyhow::Result<Incoming>
    where
        R: AsyncRead + Send + Unpin + 'static,
        W: tokio::io::AsyncWrite + Send + Unpin + 'static,
    {
        let paths = match request.result_paths.as_slice() {
            [] => Arc::clone(&ROOT_ONLY),
            paths => Arc::new(Paths::exact(paths)),
        };
        let read = FrameReader::client(read, Arc::clone(&paths), context.max_result_bytes, Arc::clone(&self.label));
        let violation = read.violation();
        let (params, results) =
            wrpc_transport::frame::invoke(write, read, instance, function, request.params, paths.subscribed()).await?;
        send_deferred(&params, request.deferred).await?;
        // The connection's write half is shut down once every handle on the parameters is dropped.
        drop(params);
        let reader = |incoming| -> ValuesReader { Box::pin(Results { incoming, violation: violation.clone() }) };
        let paths = indexed(&results, &request.result_paths, reader)?;
        Ok(Incoming { root: reader(results), paths })
    }
}

impl Transport for SocketTransport {
    fn invoke<'a>(
        &'a self,
        context: CallContext<'a>,
        instance: &'a str,
        function: &'a str,
        request: Request,
    ) -> TransportFuture<'a, Incoming> {
        Box::pin(async move {
            match &self.endpoint {
                Endpoint::Tcp(address) => {
                    // Nagle's algorithm stays on: the invocation goes out in one write and the rest is the
                    // closing FIN, so there is nothing for it to delay, and turning it off measured slower.
                    let stream = TcpStream::connect(address).await?;
                    self.invoke_on(stream.into_split(), context, instance, function, request).await
                }
                Endpoint::Unix(path) => {
                    let stream = UnixStream::connect(path).await?;
                    self.invoke_on(stream.into_split(), context, instance, function, request).await
                }
            }
        })
    }
}

/// One of wRPC's result streams (the root or an indexed path), ending with the framing [`Violation`](crate::framing::Violation) that closed the
/// connection, if one did: wRPC itself reports only the end of the stream.
struct Results {
    incoming: wrpc_transport::frame::Incoming,
    violation: ViolationSlot,
}

impl AsyncRead for Results {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let (before, room) = (buf.filled().len(), buf.remaining());
        ready!(Pin::new(&mut self.incoming).poll_read(cx, buf))?;
        match self.violation.get() {
            Some(violation) if room > 0 && buf.filled().len() == before => {
                Poll::Ready(Err(io::Error::new(io::ErrorKind::InvalidData, violation.clone())))
            }
            _ => Poll::Ready(Ok(())),
        }
    }
}
