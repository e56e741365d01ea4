//! wRPC over TCP or a Unix domain socket: one connection per call, no broker.
//!
//! The transport speaks the framing itself rather than through wrpc-transport's clients: it writes the invocation
//! (header, parameters, the ends of empty streams) in one write and shuts its half down, then reads the peer's
//! frames through a [`FrameReader`] straight into the bridge, on the calling task: no task, channel or copy per
//! path between the socket and the results, and a peer cannot make the bridge allocate for results it has not
//! sent, nor send more than the call's result cap.

use std::path::PathBuf;
use std::sync::{Arc, LazyLock};

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, UnixStream};

use super::{CallContext, Incoming, Request, Transport, TransportFuture};
use crate::framing::{self, FrameReader, Paths};
use crate::transcode::wire;

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
        (read, mut write): (R, W),
        context: CallContext<'_>,
        instance: &str,
        function: &str,
        request: Request,
    ) -> anyhow::Result<Incoming>
    where
        R: AsyncRead + Send + Unpin + 'static,
        W: AsyncWrite + Send + Unpin + 'static,
    {
        write.write_all(&invocation(instance, function, &request)).await?;
        // The end of the parameters.
        write.shutdown().await?;
        let paths = match request.result_paths.as_slice() {
            [] => Arc::clone(&ROOT_ONLY),
            paths => Arc::new(Paths::exact(paths)),
        };
        let frames = FrameReader::client(read, paths, context.max_result_bytes, Arc::clone(&self.label));
        Ok(Incoming::Frames { frames: Box::new(frames), paths: request.result_paths })
    }
}

/// The bytes of an invocation: the header naming `instance#function`, the parameters on the root, and the request's
/// deferred bytes on their paths.
fn invocation(instance: &str, function: &str, request: &Request) -> Vec<u8> {
    let deferred = request.deferred.iter().map(|(path, bytes)| 5 * (path.len() + 2) + bytes.len()).sum::<usize>();
    let mut out = Vec::with_capacity(16 + instance.len() + function.len() + request.params.len() + deferred);
    out.push(0);
    for name in [instance, function] {
        wire::write_len(&mut out, name.len());
        out.extend_from_slice(name.as_bytes());
    }
    write_frame(&mut out, &[], &request.params);
    for (path, bytes) in &request.deferred {
        write_frame(&mut out, path, bytes);
    }
    out
}

/// Appends a frame carrying `data` on `path`.
fn write_frame(out: &mut Vec<u8>, path: &[usize], data: &[u8]) {
    framing::write_path(out, path);
    wire::write_len(out, data.len());
    out.extend_from_slice(data);
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
