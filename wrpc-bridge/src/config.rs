//! [`BridgeConfig`]: the bridge's configuration file (TOML), as DESIGN.md shows it.
//!
//! ```toml
//! deadline = "5s"
//! max_result_bytes = 16777216
//!
//! [targets.kv]                   # binding "kv"
//! address = "tcp://127.0.0.1:7761"
//! wit = "wit/keyvalue"           # a WIT file or folder; omit for opaque targets
//!
//! [targets.fleet]
//! address = "nats://127.0.0.1:4222"
//! prefix = "prod"
//! credentials = "fleet.creds"
//!
//! [[routes]]                     # only where the convention does not fit
//! binding = "kv"
//! namespace = "keyvalue"
//! operation = "Increment"
//! instance = "wasi:keyvalue/atomics@0.2.0-draft"
//! function = "increment"
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::error::ConfigError;
use crate::routing::Route;
use crate::transport::NatsOptions;

/// The deadline of a call when none is configured.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(5);

/// The cap on one call's result bytes when none is configured: 16 MiB.
pub const DEFAULT_MAX_RESULT_BYTES: usize = 16 * 1024 * 1024;

/// A bridge configuration file. Relative WIT paths are relative to the file's folder.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct BridgeConfig {
    /// One call's deadline (`"250ms"`, `"5s"`, `"1m"`).
    #[serde(default, deserialize_with = "duration::optional")]
    pub deadline: Option<Duration>,
    /// The cap on one call's result bytes.
    #[serde(default)]
    pub max_result_bytes: Option<usize>,
    /// The targets, by name: the waPC binding that reaches each by convention.
    #[serde(default)]
    pub targets: BTreeMap<String, TargetConfig>,
    /// Routes for calls the convention does not cover.
    #[serde(default)]
    pub routes: Vec<Route>,
}

/// One `[targets.<name>]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct TargetConfig {
    /// `tcp://host:port`, `unix:///path` or `nats://host:port`.
    pub address: String,
    /// The WIT file or folder of the target's interfaces; without it the target is opaque (bytes pass through).
    #[serde(default)]
    pub wit: Option<PathBuf>,
    /// How record fields are named in the guest's MessagePack: `kebab` (default), `snake` or `camel`.
    #[serde(default)]
    pub names: Option<String>,
    /// NATS settings (for `nats://` addresses).
    #[serde(flatten)]
    pub nats: NatsOptions,
}

impl BridgeConfig {
    /// Reads a configuration file.
    ///
    /// # Errors
    /// [`ConfigError::Io`] when the file cannot be read, [`ConfigError::Toml`] when it is not a configuration.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io { path: path.to_owned(), source })?;
        let mut config = Self::from_toml(&text)?;
        if let Some(folder) = path.parent() {
            for target in config.targets.values_mut() {
                if let Some(wit) = &mut target.wit
                    && wit.is_relative()
                {
                    *wit = folder.join(&*wit);
                }
            }
        }
        Ok(config)
    }

    /// Parses a configuration from TOML text (WIT paths stay as written).
    ///
    /// # Errors
    /// [`ConfigError::Toml`] when the text is not a configuration.
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::Toml(e.to_string()))
    }
}

/// Durations written as `"250ms"`, `"5s"` or `"1m"`.
pub(crate) mod duration {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer};

    use crate::error::ConfigError;

    /// Parses `text`.
    pub(crate) fn parse(text: &str) -> Result<Duration, ConfigError> {
        let invalid = || ConfigError::Duration(text.to_owned());
        let digits = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(invalid)?;
        let (number, unit) = text.split_at(digits);
        let number: u64 = number.parse().map_err(|_| invalid())?;
        match unit.trim() {
            "ms" => Ok(Duration::from_millis(number)),
            "s" => Ok(Duration::from_secs(number)),
            "m" => number.checked_mul(60).map(Duration::from_secs).ok_or_else(invalid),
            _ => Err(invalid()),
        }
    }

    pub(crate) fn optional<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Duration>, D::Error> {
        let text = String::deserialize(deserializer)?;
        parse(&text).map(Some).map_err(serde::de::Error::custom)
    }
}
