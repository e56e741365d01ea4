//! Transcoding errors: what went wrong, and where in the value.

use std::fmt;

/// What went wrong while transcoding.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The wire bytes end before the value is complete: read more bytes and retry.
    Incomplete,
    /// The msgpack value does not fit the WIT type.
    Mismatch {
        /// The WIT type (or form) that was expected.
        expected: String,
        /// What the msgpack held instead, e.g. "the integer 300".
        found: String,
    },
    /// An array has the wrong number of elements for a tuple, a record or the parameters.
    Length {
        /// The number of elements expected.
        expected: usize,
        /// The number of elements found.
        found: usize,
    },
    /// A map key names no field or parameter.
    UnknownField(String),
    /// A field or parameter is missing (only `option` fields may be left out).
    MissingField(String),
    /// A field or parameter is given twice.
    DuplicateField(String),
    /// A str names no case of the enum, variant or result.
    UnknownCase(String),
    /// A str names no flag.
    UnknownFlag(String),
    /// A variant case that carries a payload was given as a bare str.
    MissingPayload(String),
    /// The msgpack is malformed (truncated, a reserved marker, a str that is not UTF-8).
    MalformedMsgpack(&'static str),
    /// Bytes follow the msgpack value.
    TrailingBytes(usize),
    /// The wire bytes are malformed for the type.
    MalformedWire(String),
    /// The guest failed, and the function's results have no `err` case that can carry its text.
    ErrorNotCarried(String),
    /// The value takes more bytes than the cap: its own, or what it transcodes to.
    TooLarge {
        /// The cap, in bytes.
        limit: usize,
    },
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Incomplete => f.write_str("the value is incomplete"),
            Self::Mismatch { expected, found } => write!(f, "expected {expected}, found {found}"),
            Self::Length { expected, found } => write!(f, "expected {expected} elements, found {found}"),
            Self::UnknownField(name) => write!(f, "there is no field `{name}`"),
            Self::MissingField(name) => write!(f, "the field `{name}` is missing"),
            Self::DuplicateField(name) => write!(f, "the field `{name}` is given twice"),
            Self::UnknownCase(name) => write!(f, "there is no case `{name}`"),
            Self::UnknownFlag(name) => write!(f, "there is no flag `{name}`"),
            Self::MissingPayload(case) => {
                write!(f, "the case `{case}` carries a payload: write it as {{\"{case}\": payload}}")
            }
            Self::MalformedMsgpack(what) => write!(f, "malformed msgpack: {what}"),
            Self::TrailingBytes(n) => write!(f, "{n} bytes follow the msgpack value"),
            Self::MalformedWire(what) => write!(f, "malformed wRPC value: {what}"),
            Self::TooLarge { limit } => write!(f, "the value takes more than the cap of {limit} bytes"),
            Self::ErrorNotCarried(text) => {
                write!(f, "the guest failed ({text}), but the function has no `result<_, string>` to carry the error")
            }
        }
    }
}

/// A transcoding error: its [`ErrorKind`] and the path to the offending value, e.g.
/// ``at `params.user.age`: expected u8, found the integer 300``.
///
/// The path is built only when an error unwinds, so the success path pays nothing for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranscodeError(Box<Inner>);

#[derive(Debug, Clone, PartialEq, Eq)]
struct Inner {
    kind: ErrorKind,
    /// Innermost segment first.
    path: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Root(&'static str),
    Field(String),
    Index(usize),
}

impl TranscodeError {
    pub(crate) fn new(kind: ErrorKind) -> Self {
        Self(Box::new(Inner { kind, path: Vec::new() }))
    }

    pub(crate) fn incomplete() -> Self {
        Self::new(ErrorKind::Incomplete)
    }

    pub(crate) fn mismatch(expected: impl fmt::Display, found: impl Into<String>) -> Self {
        Self::new(ErrorKind::Mismatch { expected: expected.to_string(), found: found.into() })
    }

    pub(crate) fn wire(what: impl Into<String>) -> Self {
        Self::new(ErrorKind::MalformedWire(what.into()))
    }

    /// What went wrong.
    #[must_use]
    pub fn kind(&self) -> &ErrorKind {
        &self.0.kind
    }

    /// Whether the wire bytes merely ended too early: read more and retry.
    #[must_use]
    pub fn is_incomplete(&self) -> bool {
        self.0.kind == ErrorKind::Incomplete
    }

    /// The path to the offending value, e.g. `params.user.tags[3]` or `results[0].ok.name`.
    #[must_use]
    pub fn path(&self) -> String {
        let mut path = String::new();
        for segment in self.0.path.iter().rev() {
            match segment {
                Segment::Root(root) => path.push_str(root),
                Segment::Field(name) => {
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(name);
                }
                Segment::Index(i) => {
                    path.push('[');
                    path.push_str(&i.to_string());
                    path.push(']');
                }
            }
        }
        path
    }

    /// Prefixes the path with a field or parameter name.
    pub(crate) fn in_field(self, name: &str) -> Self {
        self.push(|| Segment::Field(name.to_owned()))
    }

    /// Prefixes the path with an element index.
    pub(crate) fn in_index(self, index: usize) -> Self {
        self.push(|| Segment::Index(index))
    }

    /// Prefixes the path with its root, `params` or `results`.
    pub(crate) fn in_root(self, root: &'static str) -> Self {
        self.push(|| Segment::Root(root))
    }

    fn push(mut self, segment: impl FnOnce() -> Segment) -> Self {
        // A retry signal needs no path: skip the allocations.
        if !self.is_incomplete() {
            self.0.path.push(segment());
        }
        self
    }
}

impl fmt::Display for TranscodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.path.is_empty() {
            write!(f, "{}", self.0.kind)
        } else {
            write!(f, "at `{}`: {}", self.path(), self.0.kind)
        }
    }
}

impl std::error::Error for TranscodeError {}
