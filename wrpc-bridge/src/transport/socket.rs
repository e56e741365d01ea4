//! wRPC over TCP or a Unix domain socket: one connection per call, no broker.

use std::path::PathBuf;

use bytes::Bytes;
use wrpc_transport::Invoke;

use super::{CallContext, NO_PATHS, ParamsWriter, ResultsReader, Transport, TransportFuture};

/// Invokes functions of a wRPC server listening on a socket: `C` is wrpc-transport's TCP or Unix client.
#[derive(Debug, Clone)]
pub struct SocketTransport<C> {
    client: C,
}

/// A [`SocketTransport`] over TCP.
pub type TcpTransport = SocketTransport<wrpc_transport::tcp::Client<String>>;

/// A [`SocketTransport`] over a Unix domain socket.
pub type UnixTransport = SocketTransport<wrpc_transport::unix::Client<PathBuf>>;

impl TcpTransport {
    /// A transport to `address` (`host:port`).
    #[must_use]
    pub fn new(address: impl Into<String>) -> Self {
        SocketTransport { client: wrpc_transport::tcp::Client::from(address.into()) }
    }
}

impl UnixTransport {
    /// A transport to the socket at `path`.
    #[must_use]
    pub fn new(path: impl Into<PathBuf>) -> Self {
        SocketTransport { client: wrpc_transport::unix::Client::from(path.into()) }
    }
}

impl<C> Transport for SocketTransport<C>
where
    C: Invoke<Context = ()> + std::fmt::Debug + 'static,
{
    fn invoke<'a>(
        &'a self,
        _context: CallContext<'a>,
        instance: &'a str,
        function: &'a str,
        params: Bytes,
    ) -> TransportFuture<'a, (ParamsWriter, ResultsReader)> {
        Box::pin(async move {
            let (params, results) = self.client.invoke((), instance, function, params, NO_PATHS).await?;
            Ok((Box::pin(params) as ParamsWriter, Box::pin(results) as ResultsReader))
        })
    }
}
