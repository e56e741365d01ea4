//! The wire under the bridge: a small [`Transport`] trait of our own, so the wRPC crates can move without the
//! rest of the bridge noticing, and its implementations for TCP, Unix sockets and NATS.

mod nats;
mod socket;

use std::future::Future;
use std::pin::Pin;

use std::io;
use std::task::{Context, Poll};

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};

use crate::framing::{FrameData, FrameReader};

pub use self::nats::{DEFAULT_SUBSCRIPTION_CAPACITY, NatsOptions, NatsTransport};
pub use self::socket::SocketTransport;

/// One stream of values arriving: the root stream of an invocation's results, or one of its indexed paths.
pub type ValuesReader = Pin<Box<dyn AsyncRead + Send>>;

/// A future a [`Transport`] returns.
pub type TransportFuture<'a, T> = Pin<Box<dyn Future<Output = anyhow::Result<T>> + Send + 'a>>;

/// What a transport knows of a call beside the invocation: the guest's names (NATS sends them as headers), and
/// the limits it reads the results within.
#[derive(Debug, Clone, Copy)]
pub struct CallContext<'a> {
    /// The guest's binding.
    pub binding: &'a str,
    /// The guest's namespace.
    pub namespace: &'a str,
    /// The guest's operation.
    pub operation: &'a str,
    /// The most result bytes the bridge takes: a transport may stop reading (and close the connection) past it.
    pub max_result_bytes: usize,
}

/// What one invocation sends, and where its results may arrive.
#[derive(Debug, Clone)]
pub struct Request {
    /// The encoded parameters, sent on the root path.
    pub params: Bytes,
    /// Bytes to send on indexed paths once the parameters are sent: the empty chunk that ends each empty stream
    /// the parameters send pending.
    pub deferred: Vec<(Box<[usize]>, Bytes)>,
    /// The paths on which the results' streams and futures may follow (none for most functions).
    pub result_paths: Vec<Box<[usize]>>,
}

/// How an invocation's values arrive.
pub enum Incoming {
    /// A stream per path: the root, and each subscribed indexed path (NATS: a subject each).
    Streams {
        /// The root stream: the values themselves.
        root: ValuesReader,
        /// Each subscribed path, with the stream of what arrives on it.
        paths: Vec<(Box<[usize]>, ValuesReader)>,
    },
    /// One stream of frames, each naming its path (TCP and Unix sockets), read straight from the socket.
    Frames {
        /// The frames' source.
        frames: Box<dyn FrameSource>,
        /// The subscribed paths, which [`FrameData::path`] indexes.
        paths: Vec<Box<[usize]>>,
    },
}

impl std::fmt::Debug for Incoming {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Streams { paths, .. } => {
                let paths: Vec<&Box<[usize]>> = paths.iter().map(|(path, _)| path).collect();
                f.debug_struct("Streams").field("paths", &paths).finish_non_exhaustive()
            }
            Self::Frames { paths, .. } => f.debug_struct("Frames").field("paths", paths).finish_non_exhaustive(),
        }
    }
}

/// Where frame data comes from: a calling side's [`FrameReader`].
pub trait FrameSource: Send {
    /// The next frame data, `None` once the frames end (see
    /// [`FrameReader::poll_frame`](crate::framing::FrameReader::poll_frame)).
    ///
    /// # Errors
    /// Those of reading the frames.
    fn poll_frame(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Option<FrameData>>>;
}

impl<R: AsyncRead + Unpin + Send> FrameSource for FrameReader<R> {
    fn poll_frame(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Option<FrameData>>> {
        FrameReader::poll_frame(self, cx)
    }
}

/// A way to invoke wRPC functions.
///
/// An implementation opens an invocation of `instance#function`, sends the request's parameters and then its
/// deferred bytes, ends the parameters, and returns how the results arrive (on the root and each of the request's
/// result paths, in order), which the bridge reads.
pub trait Transport: std::fmt::Debug + Send + Sync + 'static {
    /// Invokes `instance#function` with `request`.
    fn invoke<'a>(
        &'a self,
        context: CallContext<'a>,
        instance: &'a str,
        function: &'a str,
        request: Request,
    ) -> TransportFuture<'a, Incoming>;
}

/// Sends `request`'s deferred bytes, each on its path of `params` (the invocation's parameter stream, whose
/// root is already ended), and ends each path.
pub(crate) async fn send_deferred<W>(params: &W, deferred: Vec<(Box<[usize]>, Bytes)>) -> anyhow::Result<()>
where
    W: wrpc_transport::Index<W> + AsyncWrite + Unpin,
{
    for (path, bytes) in deferred {
        let mut indexed = params.index(&path)?;
        indexed.write_all(&bytes).await?;
        indexed.shutdown().await?;
    }
    Ok(())
}

/// Each of `paths`, with the stream of `incoming`'s values on it, made by `wrap`.
pub(crate) fn indexed<R: wrpc_transport::Index<R>>(
    incoming: &R,
    paths: &[Box<[usize]>],
    wrap: impl Fn(R) -> ValuesReader,
) -> anyhow::Result<Vec<(Box<[usize]>, ValuesReader)>> {
    paths.iter().map(|path| Ok((path.clone(), wrap(incoming.index(path)?)))).collect()
}
