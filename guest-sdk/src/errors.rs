//! The error a failed host call returns.

use std::fmt;

/// The host refused a [`host_call`](crate::host_call): its text is the host's error message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostError {
    message: String,
}

impl HostError {
    pub(crate) fn new(message: String) -> Self {
        HostError { message }
    }

    /// The host's error text.
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Upstream `wapc-guest`'s wording, so guests that pass it on behave the same.
        write!(f, "Host error: {}", self.message)
    }
}

impl std::error::Error for HostError {}
