//! The bridge's errors: [`ConfigError`] when it is built, [`CallError`] for one call.
//!
//! A [`CallError`] is what a guest receives, as its host error text, when its `host_call` fails; its messages
//! name the target and the function, so a guest author can tell where a call went.

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::time::Duration;

use crate::transcode::TranscodeError;
use crate::wit::WitError;

/// Why a bridge (or a service) could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// An address that is not `tcp://host:port`, `unix:///path` or `nats://host:port`.
    #[error("`{0}` is not an address: use tcp://host:port, unix:///path or nats://host:port")]
    Address(String),
    /// A configuration file that is not valid TOML of the expected shape.
    #[error("invalid bridge configuration: {0}")]
    Toml(String),
    /// A duration that is not a number followed by `ms`, `s` or `m`.
    #[error("invalid duration {0:?}: write a number followed by ms, s or m, as in \"5s\"")]
    Duration(String),
    /// A file that could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// A target's WIT that could not be loaded.
    #[error("cannot load the WIT of target `{target}`: {source}")]
    Wit {
        /// The target.
        target: String,
        /// Why.
        source: WitError,
    },
    /// A route (or a served operation) naming a function of the WIT that the bridge cannot carry.
    #[error("`{target}` cannot carry the function a route or operation names: {source}")]
    Unsupported {
        /// The target (or service).
        target: String,
        /// Which function, and what it uses.
        source: WitError,
    },
    /// A route naming a target that is not configured.
    #[error("a route names the unknown target `{0}`")]
    UnknownTarget(String),
    /// A route (or a served operation) naming a function the WIT does not have.
    #[error("`{instance}#{function}` is not in the WIT of `{target}`")]
    UnknownFunction {
        /// The target (or service).
        target: String,
        /// The interface.
        instance: String,
        /// The function.
        function: String,
    },
    /// A connection (NATS) or a listener that could not be made.
    #[error("cannot reach {address} for `{target}`: {message}")]
    Connect {
        /// The target (or service).
        target: String,
        /// Where.
        address: String,
        /// Why.
        message: String,
    },
    /// The bridge's tokio runtime could not be started.
    #[error("cannot start the bridge's tokio runtime: {0}")]
    Runtime(io::Error),
}

/// Which function of which target a call went to: the context of every [`CallError`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallSite {
    /// The configured target's name (the waPC binding, by convention).
    pub target: String,
    /// The target's address.
    pub address: String,
    /// The WIT interface (wRPC instance).
    pub instance: String,
    /// The function.
    pub function: String,
}

impl fmt::Display for CallSite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}#{}` on `{}` ({})", self.instance, self.function, self.target, self.address)
    }
}

/// Why one call through the bridge failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CallError {
    /// No route, no convention and no fallback covers the call.
    #[error("no route for {binding}/{namespace}/{operation}: the bridge forwards only the calls it is configured for")]
    NoRoute {
        /// The guest's binding.
        binding: String,
        /// The guest's namespace.
        namespace: String,
        /// The guest's operation.
        operation: String,
    },
    /// The call reaches a function of the target's WIT that the bridge cannot carry (it uses a stream, a
    /// resource, ...).
    #[error("{0}")]
    Unsupported(WitError),
    /// The guest's payload does not fit the function's parameter types.
    #[error("the payload for {site} does not fit its parameters: {source}")]
    Params {
        /// Where the call went.
        site: Box<CallSite>,
        /// What did not fit, and where.
        source: TranscodeError,
    },
    /// Connecting, sending or receiving failed (the peer is not listening, closed the connection early, ...).
    #[error("calling {site} failed: {message}")]
    Transport {
        /// Where the call went.
        site: Box<CallSite>,
        /// What failed.
        message: String,
    },
    /// The call did not complete within the deadline (invoking, sending the parameters and reading the results
    /// together).
    #[error("calling {site} took longer than the deadline of {deadline:?}{}", waiting_for(waiting.as_deref()))]
    Deadline {
        /// Where the call went.
        site: Box<CallSite>,
        /// The deadline.
        deadline: Duration,
        /// What the results were still waiting for, when they had arrived but a stream or future they sent
        /// pending had not: e.g. "the `stream<u8>` on path `[0]`".
        waiting: Option<String>,
    },
    /// The peer sent more result bytes than the configured cap.
    #[error("the results of {site} exceed the cap of {limit} bytes")]
    ResultTooLarge {
        /// Where the call went.
        site: Box<CallSite>,
        /// The cap.
        limit: usize,
    },
    /// The peer's results do not decode as the function's result types.
    #[error("the results of {site} do not fit their types: {source}")]
    Results {
        /// Where the call went.
        site: Box<CallSite>,
        /// What did not fit, and where.
        source: TranscodeError,
    },
    /// The function returned the `err` case of its `result`: its text (the error itself if a string, else
    /// its WAVE text) is the whole message, so the guest sees exactly what the service said.
    #[error("{0}")]
    Remote(String),
    /// The calling thread cannot wait for the call (it is the only thread of the runtime that would run it).
    #[error("{0}")]
    Blocking(&'static str),
}

fn waiting_for(waiting: Option<&str>) -> String {
    waiting.map(|waiting| format!(", waiting for {waiting}")).unwrap_or_default()
}

/// `error` and its causes on one line, each said once. async-nats's errors already end with their source, which
/// `{:#}` would print again ("authorization violation: nats: authorization violation: nats: authorization
/// violation").
pub(crate) fn one_line(error: &anyhow::Error) -> String {
    let mut text = error.to_string();
    for cause in error.chain().skip(1).map(ToString::to_string) {
        if !text.ends_with(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::one_line;

    /// An error that prints its source, as async-nats's do.
    #[derive(Debug, thiserror::Error)]
    #[error("refused: {0}")]
    struct PrintsItsSource(#[source] std::io::Error);

    #[test]
    fn causes_an_error_already_prints_are_said_once() {
        let error = anyhow::Error::new(PrintsItsSource(std::io::Error::other("bad password")));
        assert_eq!(one_line(&error), "refused: bad password");
        assert_eq!(format!("{error:#}"), "refused: bad password: bad password");
    }

    #[test]
    fn every_other_cause_is_said() {
        let error = anyhow::Error::new(std::io::Error::other("connection reset")).context("reading the results");
        assert_eq!(one_line(&error), "reading the results: connection reset");
    }
}
