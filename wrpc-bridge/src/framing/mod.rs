//! Bounded framing: everything the bridge reads from a TCP or Unix socket passes through a [`FrameReader`]
//! first.
//!
//! wRPC over a socket is a stream of frames, each a path (which value of the invocation it belongs to), a data
//! length and the data; a connection that serves opens with an invocation header (a version byte and two names,
//! the instance and the function). wrpc-transport 0.29 reads that stream trusting every length in it: it
//! reserves a name's length before the name arrives, eight bytes per path element before the elements arrive,
//! and zero-fills a frame's whole data length before a byte of it arrives. Six bytes from any client take a
//! process down (`ff ff ff ff 0f` as a path length is a 32 GiB allocation).
//!
//! A [`FrameReader`] sits between the socket and wRPC (on a serving side) or the bridge itself (on a calling side,
//! which takes checked frame data straight from it: [`FrameReader::poll_frame`]) and passes on only what it has
//! checked:
//!
//! - the invocation header, with names no longer than a served one, naming a served function
//!   ([`ServedFunctions`]);
//! - frames on subscribed paths only ([`Paths`]), so no deeper than the WIT allows;
//! - each frame re-cut into sub-frames of at most [`MAX_SUB_FRAME_BYTES`] *that it has already received*, so
//!   wRPC never allocates for bytes that are not there;
//! - at most a configured number of data bytes per invocation (parameters on a serving side, results on a
//!   calling side; [`DEFAULT_MAX_INVOCATION_BYTES`] unless configured).
//!
//! A stream that breaks a rule ends with an [`io::Error`](std::io::Error) of kind `InvalidData` carrying the
//! [`Violation`], logged once with the peer's address; the connection is closed and nothing else notices.

mod paths;
mod reader;

pub use paths::{Paths, ServedFunctions};
pub use reader::{FrameData, FrameReader, ViolationSlot};

/// The most data bytes of one sub-frame a [`FrameReader`] passes on: wRPC allocates what a frame header says,
/// so a sub-frame says only what has arrived, and never more than this.
pub const MAX_SUB_FRAME_BYTES: usize = 64 * 1024;

/// The data bytes one invocation may carry in one direction when nothing else is configured: 16 MiB.
pub const DEFAULT_MAX_INVOCATION_BYTES: usize = 16 * 1024 * 1024;

/// Writes `path` as a frame header begins: its length, then its elements.
pub(crate) fn write_path(out: &mut Vec<u8>, path: &[usize]) {
    crate::transcode::wire::write_len(out, path.len());
    path.iter().for_each(|&index| crate::transcode::wire::write_len(out, index));
}

/// A broken framing rule: the reason a [`FrameReader`] closed a connection.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Violation {
    /// The invocation header names a framing version other than 0.
    #[error("framing version {0} is not supported (only 0 is)")]
    Version(u8),
    /// An instance or function name longer than any served one.
    #[error("a name of {length} bytes, longer than any served ({limit})")]
    NameTooLong {
        /// The length the peer announced.
        length: u64,
        /// The longest served name.
        limit: usize,
    },
    /// An instance or function name that is not UTF-8.
    #[error("a name that is not UTF-8")]
    NameNotUtf8,
    /// The invocation names a function that is not served.
    #[error("`{instance}#{function}` is not served here")]
    NotServed {
        /// The instance named.
        instance: String,
        /// The function named.
        function: String,
    },
    /// A frame path deeper than any subscribed path.
    #[error("a frame path {depth} deep, deeper than any subscribed path ({limit})")]
    PathTooDeep {
        /// The depth the peer announced.
        depth: u64,
        /// The deepest subscribed path.
        limit: usize,
    },
    /// A frame on a path nobody subscribed to.
    #[error("a frame on the path {0:?}, which is not subscribed")]
    NotSubscribed(Vec<usize>),
    /// A LEB128 integer that does not fit in 32 bits.
    #[error("a length or index that overflows 32 bits")]
    Overflow,
    /// More data bytes than one invocation may carry.
    #[error("more than {limit} bytes in one invocation")]
    TooLarge {
        /// The cap.
        limit: usize,
    },
}

impl Violation {
    /// The violation carried by `error`, if a [`FrameReader`] ended a stream with it.
    #[must_use]
    pub fn of(error: &std::io::Error) -> Option<&Violation> {
        error.get_ref().and_then(|inner| inner.downcast_ref::<Violation>())
    }
}

#[cfg(test)]
mod tests;
