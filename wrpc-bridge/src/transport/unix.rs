//! wRPC over a Unix domain socket: one connection per call.

use std::path::PathBuf;

use bytes::Bytes;
use wrpc_transport::Invoke;

use super::{CallContext, NO_PATHS, ParamsWriter, ResultsReader, Transport, TransportFuture};

/// Invokes functions of the wRPC server listening on a Unix socket.
#[derive(Debug, Clone)]
pub struct UnixTransport {
    client: wrpc_transport::unix::Client<PathBuf>,
}

impl UnixTransport {
    /// A transport to the socket at `path`.
    #[must_use]
    pub fn new(path: impl Into<PathBuf>) -> Self {
        UnixTransport { client: wrpc_transport::unix::Client::from(path.into()) }
    }
}

impl Transport for UnixTransport {
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
