//! [`Failure`]: why a command failed, in one line that says what to do, and its exit code.

use std::fmt;

use wapc::errors::Error;

/// Why a command failed.
#[derive(Debug)]
pub enum Failure {
    /// The command line is wrong: clap prints it (exit code 2).
    Usage(clap::Error),
    /// The guest answered with an error: its text (exit code 1).
    Guest(String),
    /// The guest trapped, ran out of time or fuel, or hit a resource limit (exit code 3).
    Runaway(String),
    /// Anything else on the host's side: the module, I/O, a transport (exit code 4).
    Host(String),
}

impl Failure {
    /// The process's exit code for it.
    pub fn code(&self) -> u8 {
        match self {
            Failure::Guest(_) => 1,
            Failure::Usage(_) => 2,
            Failure::Runaway(_) => 3,
            Failure::Host(_) => 4,
        }
    }

    /// A usage error of `kind`, as clap reports its own.
    pub fn usage(kind: clap::error::ErrorKind, message: impl fmt::Display) -> Self {
        use clap::CommandFactory as _;
        Failure::Usage(crate::args::Cli::command().error(kind, message))
    }

    /// A host-side failure.
    pub fn host(message: impl fmt::Display) -> Self {
        Failure::Host(message.to_string())
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Usage(error) => write!(f, "{error}"),
            Failure::Guest(text) => write!(f, "the guest failed: {text}"),
            Failure::Runaway(text) | Failure::Host(text) => f.write_str(text),
        }
    }
}

/// A failed call, by kind: the guest's own error, a runaway guest (named), or the host's side.
impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        match error {
            Error::GuestError(text) => Failure::Guest(text),
            Error::Trap(trap) => {
                // The engine's message may carry a backtrace: its first line says what happened.
                let what = trap.message.lines().next().unwrap_or_default();
                Failure::Runaway(format!("the guest trapped ({}): {what}", trap.kind))
            }
            Error::DeadlineExceeded(limit) => {
                Failure::Runaway(format!("the guest ran out of time or fuel: {limit}; raise --deadline or --fuel"))
            }
            Error::ResourceLimit(limit) => {
                Failure::Runaway(format!("the guest hit a resource limit: {limit}; raise --max-memory if it is memory"))
            }
            Error::InitFailed { function, source } => match Failure::from(*source) {
                Failure::Runaway(text) => Failure::Runaway(format!("while starting the module (`{function}`), {text}")),
                other => Failure::Host(format!("the module failed to start in `{function}`: {other}")),
            },
            Error::MissingExport(export) => {
                Failure::host(format!("the module does not export `{export}`: it is not a waPC guest"))
            }
            Error::InvalidModule(why) => Failure::host(format!("the module cannot be loaded: {why}")),
            Error::HostCallback(source) => Failure::host(format!("a host call failed: {source}")),
            other => Failure::host(other),
        }
    }
}
