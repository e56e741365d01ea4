//! The wire under the bridge: a small [`Transport`] trait of our own, so the wRPC crates can move without the
//! rest of the bridge noticing, and its implementations for TCP, Unix sockets and NATS.

mod nats;
mod socket;

use std::future::Future;
use std::pin::Pin;

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncWrite};

pub use self::nats::{DEFAULT_SUBSCRIPTION_CAPACITY, NatsOptions, NatsTransport};
pub use self::socket::SocketTransport;

/// The parameters stream of an invocation, already holding the encoded parameters: shut it down to end them.
pub type ParamsWriter = Pin<Box<dyn AsyncWrite + Send>>;

/// The results stream of an invocation.
pub type ResultsReader = Pin<Box<dyn AsyncRead + Send>>;

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

/// A way to invoke wRPC functions.
///
/// An implementation opens an invocation of `instance#function`, sends `params` (the encoded parameters) and
/// returns the parameter stream (which the bridge shuts down) and the result stream (which the bridge reads).
pub trait Transport: std::fmt::Debug + Send + Sync + 'static {
    /// Invokes `instance#function` with `params`.
    fn invoke<'a>(
        &'a self,
        context: CallContext<'a>,
        instance: &'a str,
        function: &'a str,
        params: Bytes,
    ) -> TransportFuture<'a, (ParamsWriter, ResultsReader)>;
}

/// The nested value paths of an invocation: none, since the bridge carries no streams or futures.
const NO_PATHS: [&[Option<usize>]; 0] = [];
