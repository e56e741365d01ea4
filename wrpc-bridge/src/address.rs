//! [`Address`]: where a target listens, as `tcp://`, `unix://` or `nats://` URLs.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use crate::error::ConfigError;

/// Where a wRPC peer is reached (or where the bridge serves).
///
/// ```
/// use wrpc_bridge::Address;
///
/// assert_eq!("tcp://127.0.0.1:7761".parse::<Address>().unwrap(), Address::Tcp("127.0.0.1:7761".into()));
/// assert_eq!("unix:///run/kv.sock".parse::<Address>().unwrap(), Address::Unix("/run/kv.sock".into()));
/// assert_eq!("nats://127.0.0.1:4222".parse::<Address>().unwrap(), Address::Nats("nats://127.0.0.1:4222".into()));
/// assert!("http://example.com".parse::<Address>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Address {
    /// wRPC over TCP, one connection per call: `host:port` (the default transport: needs no broker).
    Tcp(String),
    /// wRPC over a Unix domain socket, one connection per call: the socket's path.
    Unix(PathBuf),
    /// wRPC over NATS: the server URL (`nats://host:port`, or `tls://host:port`), as async-nats takes it.
    Nats(String),
}

impl Address {
    /// The transport's name: `tcp`, `unix` or `nats`.
    #[must_use]
    pub fn transport(&self) -> &'static str {
        match self {
            Address::Tcp(_) => "tcp",
            Address::Unix(_) => "unix",
            Address::Nats(_) => "nats",
        }
    }
}

impl FromStr for Address {
    type Err = ConfigError;

    fn from_str(url: &str) -> Result<Self, ConfigError> {
        let invalid = || ConfigError::Address(url.to_owned());
        let (scheme, rest) = url.split_once("://").ok_or_else(invalid)?;
        if rest.is_empty() {
            return Err(invalid());
        }
        match scheme {
            "tcp" => Ok(Address::Tcp(rest.to_owned())),
            "unix" => Ok(Address::Unix(PathBuf::from(rest))),
            "nats" | "tls" => Ok(Address::Nats(url.to_owned())),
            _ => Err(invalid()),
        }
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Address::Tcp(address) => write!(f, "tcp://{address}"),
            Address::Unix(path) => write!(f, "unix://{}", path.display()),
            Address::Nats(url) => f.write_str(url),
        }
    }
}
