//! wRPC over TCP: one connection per call, no broker.

use bytes::Bytes;
use wrpc_transport::Invoke;

use super::{CallContext, NO_PATHS, ParamsWriter, ResultsReader, Transport, TransportFuture};

/// Invokes functions of the wRPC server listening at a TCP address.
#[derive(Debug, Clone)]
pub struct TcpTransport {
    client: wrpc_transport::tcp::Client<String>,
}

impl TcpTransport {
    /// A transport to `address` (`host:port`).
    #[must_use]
    pub fn new(address: impl Into<String>) -> Self {
        TcpTransport { client: wrpc_transport::tcp::Client::from(address.into()) }
    }
}

impl Transport for TcpTransport {
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
