//! [`Limits`]: what a service allows each client, and how it stops.

use std::time::Duration;

use crate::framing::DEFAULT_MAX_INVOCATION_BYTES;

/// How long a client has, from its invocation header, to send the parameters, when nothing else is configured.
pub const DEFAULT_PARAMS_TIMEOUT: Duration = Duration::from_secs(30);

/// How many invocations a service handles at once when nothing else is configured.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 256;

/// How long a new connection (or NATS invocation) waits for room among the invocations in flight before it is
/// refused, when nothing else is configured.
pub const DEFAULT_ADMISSION_WAIT: Duration = Duration::from_secs(1);

/// How long [`Service::stop`](super::Service::stop) lets the calls in flight finish when nothing else is
/// configured.
pub const DEFAULT_GRACE_PERIOD: Duration = Duration::from_secs(10);

/// A service's limits; each has a [`ServiceBuilder`](super::ServiceBuilder) method.
#[derive(Debug, Clone, Copy)]
pub(super) struct Limits {
    /// The data bytes one invocation's parameters may take on the wire, and the most bytes a transcoding writes.
    pub(super) max_invocation_bytes: usize,
    pub(super) params_timeout: Duration,
    pub(super) max_in_flight: usize,
    pub(super) admission_wait: Duration,
    pub(super) grace_period: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_invocation_bytes: DEFAULT_MAX_INVOCATION_BYTES,
            params_timeout: DEFAULT_PARAMS_TIMEOUT,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            admission_wait: DEFAULT_ADMISSION_WAIT,
            grace_period: DEFAULT_GRACE_PERIOD,
        }
    }
}
