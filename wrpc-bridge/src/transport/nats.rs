//! wRPC over NATS, the distributed engine: a subject prefix, an optional queue group, the guest's binding,
//! namespace and operation as headers, and the usual connection options.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_nats::connection::State;
use async_nats::{ConnectOptions, HeaderMap, HeaderValue};
use serde::Deserialize;
use tokio::io::AsyncWriteExt;
use wrpc_transport::Invoke;

use super::{CallContext, Incoming, Request, Transport, TransportFuture, ValuesReader, indexed, send_deferred};
use crate::framing::Paths;

/// The headers each invocation carries.
pub const BINDING_HEADER: &str = "wapc-binding";
/// See [`BINDING_HEADER`].
pub const NAMESPACE_HEADER: &str = "wapc-namespace";
/// See [`BINDING_HEADER`].
pub const OPERATION_HEADER: &str = "wapc-operation";

/// The longest wait between two reconnection attempts after a connection drops.
const MAX_RECONNECT_DELAY: Duration = Duration::from_secs(2);

/// How many messages async-nats buffers per subscription for a slow reader, for the bridge's own connections.
/// async-nats's default, 65,536 messages of up to `max_payload` (1 MiB by default) each, lets one slow reader
/// buffer 64 GiB; a peer's results are read as they come, so a few hundred are plenty.
pub const DEFAULT_SUBSCRIPTION_CAPACITY: usize = 256;

/// How to reach and authenticate to a NATS server, and which subjects to use.
///
/// The field names are those of a `[targets.<name>]` table in the bridge's configuration file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct NatsOptions {
    /// The wRPC subject prefix (`wrpc` servers and clients must agree on it); empty by default.
    #[serde(default)]
    pub prefix: String,
    /// A queue group, so that several servers share the invocations of one function.
    #[serde(default)]
    pub queue_group: Option<String>,
    /// A user name, with [`password`](Self::password).
    #[serde(default)]
    pub user: Option<String>,
    /// The password of [`user`](Self::user).
    #[serde(default)]
    pub password: Option<String>,
    /// A token.
    #[serde(default)]
    pub token: Option<String>,
    /// A credentials (`.creds`) file.
    #[serde(default)]
    pub credentials: Option<PathBuf>,
    /// Requires TLS.
    #[serde(default)]
    pub tls: bool,
    /// A PEM file of root certificates to verify the server with (implies [`tls`](Self::tls)).
    #[serde(default)]
    pub root_certificates: Option<PathBuf>,
}

impl NatsOptions {
    /// A connection to the NATS server at `url` with these options. It reconnects by itself when the
    /// connection drops (waiting at most two seconds between attempts), and buffers at most
    /// [`DEFAULT_SUBSCRIPTION_CAPACITY`] messages per subscription.
    ///
    /// # Errors
    /// An unreadable credentials file, an unreachable server, refused credentials.
    pub async fn connect(&self, url: &str) -> anyhow::Result<async_nats::Client> {
        self.connect_with_capacity(url, DEFAULT_SUBSCRIPTION_CAPACITY).await
    }

    /// [`connect`](Self::connect), buffering at most `subscription_capacity` messages per subscription.
    pub(crate) async fn connect_with_capacity(
        &self,
        url: &str,
        subscription_capacity: usize,
    ) -> anyhow::Result<async_nats::Client> {
        let mut options = ConnectOptions::new()
            .subscription_capacity(subscription_capacity.max(1))
            .reconnect_delay_callback(|attempts| {
                let exponent = u32::try_from(attempts.min(6)).unwrap_or(6);
                (Duration::from_millis(50) * 2u32.pow(exponent)).min(MAX_RECONNECT_DELAY)
            })
            .connection_timeout(Duration::from_secs(5));
        if let (Some(user), Some(password)) = (&self.user, &self.password) {
            options = options.user_and_password(user.clone(), password.clone());
        }
        if let Some(token) = &self.token {
            options = options.token(token.clone());
        }
        if let Some(credentials) = &self.credentials {
            options = options.credentials_file(credentials).await?;
        }
        if self.tls || self.root_certificates.is_some() {
            options = options.require_tls(true);
        }
        if let Some(roots) = &self.root_certificates {
            options = options.add_root_certificates(roots.clone());
        }
        Ok(options.connect(url).await?)
    }

    /// The wRPC client (and server) over `nats` with this prefix and queue group.
    ///
    /// # Errors
    /// When the inbox subscription fails.
    pub async fn wrpc_client(&self, nats: async_nats::Client) -> anyhow::Result<wrpc_transport_nats::Client> {
        let queue_group = self.queue_group.as_deref().map(Arc::from);
        wrpc_transport_nats::Client::new(nats, self.prefix.as_str(), queue_group).await
    }
}

/// Invokes functions of wRPC servers over NATS.
///
/// The connection reconnects by itself when it drops. While it is down, calls fail at once rather than being
/// queued: async-nats would send queued invocations on reconnecting, after their callers were told they failed.
#[derive(Debug, Clone)]
pub struct NatsTransport {
    nats: async_nats::Client,
    client: wrpc_transport_nats::Client,
}

impl NatsTransport {
    /// Connects to the NATS server at `url` with `options`.
    ///
    /// # Errors
    /// Those of [`NatsOptions::connect`].
    pub async fn connect(url: &str, options: &NatsOptions) -> anyhow::Result<Self> {
        let nats = options.connect(url).await?;
        let client = options.wrpc_client(nats.clone()).await?;
        Ok(NatsTransport { nats, client })
    }
}

impl Transport for NatsTransport {
    fn invoke<'a>(
        &'a self,
        context: CallContext<'a>,
        instance: &'a str,
        function: &'a str,
        request: Request,
    ) -> TransportFuture<'a, Incoming> {
        Box::pin(async move {
            if self.nats.connection_state() != State::Connected {
                anyhow::bail!("the connection to the NATS server is down (reconnecting)");
            }
            let mut headers = HeaderMap::new();
            headers.insert(BINDING_HEADER, header_value("binding", context.binding)?);
            headers.insert(NAMESPACE_HEADER, header_value("namespace", context.namespace)?);
            headers.insert(OPERATION_HEADER, header_value("operation", context.operation)?);
            crate::trace_context::inject(&mut headers);
            let paths = Paths::exact(&request.result_paths);
            let (mut params, results) =
                self.client.invoke(Some(headers), instance, function, request.params, paths.subscribed()).await?;
            // The root's end completes the handshake, which the indexed paths wait for.
            params.shutdown().await?;
            send_deferred(&params, request.deferred).await?;
            let reader = |incoming| -> ValuesReader { Box::pin(incoming) };
            let paths = indexed(&results, &request.result_paths, reader)?;
            Ok(Incoming::Streams { root: reader(results), paths })
        })
    }
}

/// The guest's `name` (binding, namespace or operation) as a header value: async-nats panics on line breaks.
fn header_value(name: &str, value: &str) -> anyhow::Result<HeaderValue> {
    value
        .parse()
        .map_err(|_| anyhow::anyhow!("the {name} {value:?} cannot be sent as a NATS header: it holds a line break"))
}
