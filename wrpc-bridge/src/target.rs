//! [`Target`]: a wRPC peer the bridge calls, with its WIT (or none, for opaque pass-through).

use std::sync::Arc;

use crate::address::Address;
use crate::config::TargetConfig;
use crate::error::{ConfigError, one_line};
use crate::transcode::{NameCase, Options};
use crate::transport::{NatsOptions, NatsTransport, SocketTransport, Transport};
use crate::wit::Catalog;

/// A peer the bridge calls: where it is, and the WIT of its interfaces.
///
/// ```no_run
/// use wrpc_bridge::Target;
/// use wrpc_bridge::wit::Catalog;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let keyvalue = Target::new("tcp://127.0.0.1:7761")?.wit(Catalog::load("wit/keyvalue".as_ref())?);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct Target {
    address: Address,
    wit: Option<Arc<Catalog>>,
    names: NameCase,
    nats: NatsOptions,
    transport: Option<Arc<dyn Transport>>,
}

impl Target {
    /// An opaque target at `address` (`tcp://host:port`, `unix:///path` or `nats://host:port`).
    ///
    /// # Errors
    /// [`ConfigError::Address`] for an address in another form.
    pub fn new(address: &str) -> Result<Self, ConfigError> {
        Ok(Target {
            address: address.parse()?,
            wit: None,
            names: NameCase::Kebab,
            nats: NatsOptions::default(),
            transport: None,
        })
    }

    /// A target reached through a [`Transport`] of your own; `address` only names it in errors.
    pub fn with_transport(address: Address, transport: Arc<dyn Transport>) -> Self {
        Target { address, wit: None, names: NameCase::Kebab, nats: NatsOptions::default(), transport: Some(transport) }
    }

    /// The target's interfaces: calls are transcoded between the guest's MessagePack and their WIT types.
    pub fn wit(mut self, catalog: Catalog) -> Self {
        self.wit = Some(Arc::new(catalog));
        self
    }

    /// How record fields and parameters are named in the guest's MessagePack (kebab-case by default).
    pub fn names(mut self, names: NameCase) -> Self {
        self.names = names;
        self
    }

    /// NATS settings, for a `nats://` address.
    pub fn nats(mut self, options: NatsOptions) -> Self {
        self.nats = options;
        self
    }

    /// A target from its configuration-file table (loading its WIT).
    pub(crate) fn from_config(name: &str, config: TargetConfig) -> Result<Self, ConfigError> {
        let mut target = Target::new(&config.address)?.nats(config.nats);
        if let Some(path) = &config.wit {
            let catalog = Catalog::load(path).map_err(|source| ConfigError::Wit { target: name.to_owned(), source })?;
            target = target.wit(catalog);
        }
        if let Some(names) = &config.names {
            target = target.names(match names.as_str() {
                "kebab" => NameCase::Kebab,
                "snake" => NameCase::Snake,
                "camel" => NameCase::Camel,
                _ => {
                    return Err(ConfigError::Toml(format!(
                        "target `{name}`: names must be `kebab`, `snake` or `camel`, not `{names}`"
                    )));
                }
            });
        }
        Ok(target)
    }

    /// Connects the target's transport (for NATS, a connection; for sockets, nothing yet). Its calls transcode
    /// at most `max_bytes` either way.
    pub(crate) async fn connect(self, name: &str, max_bytes: usize) -> Result<BridgeTarget, ConfigError> {
        let transport: Arc<dyn Transport> = match (self.transport, &self.address) {
            (Some(transport), _) => transport,
            (None, Address::Tcp(address)) => Arc::new(SocketTransport::tcp(address.clone())),
            (None, Address::Unix(path)) => Arc::new(SocketTransport::unix(path.clone())),
            (None, Address::Nats(url)) => Arc::new(NatsTransport::connect(url, &self.nats).await.map_err(|e| {
                ConfigError::Connect { target: name.to_owned(), address: url.clone(), message: one_line(&e) }
            })?),
        };
        Ok(BridgeTarget {
            name: name.to_owned(),
            address: self.address.to_string(),
            transport_name: self.address.transport(),
            transport,
            wit: self.wit,
            options: Options { names: self.names, max_output_bytes: max_bytes },
        })
    }
}

/// A target ready to call.
#[derive(Debug)]
pub(crate) struct BridgeTarget {
    pub(crate) name: String,
    pub(crate) address: String,
    /// `tcp`, `unix` or `nats` (a transport of one's own is named by its address's scheme).
    pub(crate) transport_name: &'static str,
    pub(crate) transport: Arc<dyn Transport>,
    wit: Option<Arc<Catalog>>,
    pub(crate) options: Options,
}

impl BridgeTarget {
    /// The target's WIT, if it is typed.
    pub(crate) fn catalog(&self) -> Option<&Catalog> {
        self.wit.as_deref()
    }
}
