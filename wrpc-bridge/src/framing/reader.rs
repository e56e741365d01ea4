//! [`FrameReader`]: the checking, re-framing reader in front of wRPC's frame parser.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll, ready};

use bytes::{Buf, BufMut, Bytes, BytesMut};
use tokio::io::{AsyncRead, ReadBuf};

use super::{MAX_SUB_FRAME_BYTES, Paths, ServedFunctions, Violation};
use crate::transcode::wire::{self, WireReader};

/// How many bytes a reader asks its socket for at a time, except inside a large frame.
const SMALL_READ: usize = 8 * 1024;

/// Reads a wRPC frame stream from `R` and passes on only what it has checked (see the [module
/// docs](super)): give it to wRPC in place of the socket's read half.
///
/// A serving side's reader ([`server`](Self::server)) expects the invocation header first; a calling side's
/// ([`client`](Self::client)) expects frames only. Data bytes are counted against the invocation's cap as soon
/// as a frame header announces them, so an oversized frame is refused before its data is read.
///
/// ```
/// use std::sync::Arc;
/// use tokio::io::AsyncReadExt;
/// use wrpc_bridge::framing::{FrameReader, Paths, Violation};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// // A root frame announcing 4 GiB of data, from a peer allowed 16 MiB.
/// let wire: &[u8] = &[0x00, 0xff, 0xff, 0xff, 0xff, 0x0f];
/// let mut reader = FrameReader::client(wire, Arc::new(Paths::root_only()), 16 << 20, "to a peer");
/// let error = reader.read_to_end(&mut Vec::new()).await.unwrap_err();
/// assert_eq!(Violation::of(&error), Some(&Violation::TooLarge { limit: 16 << 20 }));
/// # }
/// ```
#[derive(Debug)]
pub struct FrameReader<R> {
    inner: R,
    /// Bytes received and not passed on yet.
    input: BytesMut,
    /// Header bytes ready to be read (the invocation header's, re-encoded, and sub-frames'), from `headers_read`.
    headers: Vec<u8>,
    headers_read: usize,
    /// Data bytes at the front of `input` whose sub-frame header has been passed on.
    data: usize,
    state: State,
    /// The data bytes the invocation may still carry, and its cap.
    budget: usize,
    limit: usize,
    /// Names the connection in logs: "from 127.0.0.1:50124", "to tcp://127.0.0.1:7761".
    connection: Arc<str>,
    violation: ViolationSlot,
}

#[derive(Debug)]
enum State {
    /// A serving side, before the invocation header's version byte.
    Version(Arc<ServedFunctions>),
    /// Before the instance name.
    Instance(Arc<ServedFunctions>),
    /// Before the function name.
    Function { served: Arc<ServedFunctions>, instance: String },
    /// Between frames.
    Frames(Arc<Paths>),
    /// Inside a frame on the path encoded as `prefix` (when re-framing) or subscribed as `index` (when giving
    /// frame data), `remaining` data bytes still to come.
    Data { paths: Arc<Paths>, prefix: Bytes, index: Option<usize>, remaining: usize },
}

/// What parsing the buffered input came to.
enum Step {
    /// Something was passed on, or the state moved: look again.
    Progress,
    /// More bytes must be buffered to go on.
    NeedMore,
    /// A rule was broken.
    Broken(Violation),
}

/// Where a [`FrameReader`] records the [`Violation`] it closed its stream for, for whoever holds the stream's
/// other end to learn why it ended.
#[derive(Debug, Clone, Default)]
pub struct ViolationSlot(Arc<OnceLock<Violation>>);

impl ViolationSlot {
    /// The violation, if the stream was closed for one.
    #[must_use]
    pub fn get(&self) -> Option<&Violation> {
        self.0.get()
    }
}

impl<R> FrameReader<R> {
    /// A serving side's reader: an invocation header naming one of `served`, then frames on that function's
    /// paths carrying at most `max_bytes` data bytes. `connection` names the connection in logs.
    pub fn server(inner: R, served: Arc<ServedFunctions>, max_bytes: usize, connection: impl Into<Arc<str>>) -> Self {
        Self::new(inner, State::Version(served), max_bytes, connection.into())
    }

    /// A calling side's reader: frames on `paths` carrying at most `max_bytes` data bytes (the results).
    /// `connection` names the connection in logs.
    pub fn client(inner: R, paths: Arc<Paths>, max_bytes: usize, connection: impl Into<Arc<str>>) -> Self {
        Self::new(inner, State::Frames(paths), max_bytes, connection.into())
    }

    fn new(inner: R, state: State, max_bytes: usize, connection: Arc<str>) -> Self {
        FrameReader {
            inner,
            input: BytesMut::new(),
            headers: Vec::new(),
            headers_read: 0,
            data: 0,
            state,
            budget: max_bytes,
            limit: max_bytes,
            connection,
            violation: ViolationSlot::default(),
        }
    }

    /// Where this reader records why it closed its stream.
    #[must_use]
    pub fn violation(&self) -> ViolationSlot {
        self.violation.clone()
    }

    /// Parses what is buffered, as far as it goes.
    fn step(&mut self) -> Step {
        match self.parse() {
            Ok(step) => step,
            Err(violation) => Step::Broken(violation),
        }
    }

    fn parse(&mut self) -> Result<Step, Violation> {
        let input = &self.input[..];
        let next = match &self.state {
            State::Version(served) => {
                let Some(&version) = input.first() else { return Ok(Step::NeedMore) };
                if version != 0 {
                    return Err(Violation::Version(version));
                }
                self.headers.push(version);
                self.input.advance(1);
                State::Instance(Arc::clone(served))
            }
            State::Instance(served) => {
                let Some((used, instance)) = name(input, served.longest_name())? else {
                    return Ok(Step::NeedMore);
                };
                if !served.serves_instance(instance) {
                    return Err(Violation::NotServed { instance: instance.to_owned(), function: String::new() });
                }
                let next = State::Function { served: Arc::clone(served), instance: instance.to_owned() };
                self.pass_header(used);
                next
            }
            State::Function { served, instance } => {
                let Some((used, function)) = name(input, served.longest_name())? else {
                    return Ok(Step::NeedMore);
                };
                let Some(paths) = served.paths(instance, function) else {
                    return Err(Violation::NotServed { instance: instance.clone(), function: function.to_owned() });
                };
                let next = State::Frames(Arc::clone(paths));
                self.pass_header(used);
                next
            }
            State::Frames(paths) => {
                let Some(header) = frame_header(input, paths)? else {
                    return Ok(Step::NeedMore);
                };
                if header.length > self.budget {
                    return Err(Violation::TooLarge { limit: self.limit });
                }
                self.budget -= header.length;
                self.input.advance(header.consumed);
                let prefix = prefix(&header.path);
                if header.length == 0 {
                    self.headers.extend_from_slice(&prefix);
                    self.headers.push(0);
                    return Ok(Step::Progress);
                }
                State::Data { paths: Arc::clone(paths), prefix, index: None, remaining: header.length }
            }
            State::Data { paths, prefix, index, remaining } => {
                let length = input.len().min(*remaining).min(MAX_SUB_FRAME_BYTES);
                if length == 0 {
                    return Ok(Step::NeedMore);
                }
                self.headers.extend_from_slice(prefix);
                wire::write_len(&mut self.headers, length);
                self.data = length;
                match remaining.checked_sub(length) {
                    Some(left) if left > 0 => {
                        State::Data { paths: Arc::clone(paths), prefix: prefix.clone(), index: *index, remaining: left }
                    }
                    _ => State::Frames(Arc::clone(paths)),
                }
            }
        };
        self.state = next;
        Ok(Step::Progress)
    }

    /// Passes on the first `used` input bytes unchanged (a checked name with its length).
    fn pass_header(&mut self, used: usize) {
        self.headers.extend_from_slice(self.input.get(..used).unwrap_or_default());
        self.input.advance(used.min(self.input.len()));
    }

    /// How many bytes to hold buffered: enough for the longest header the state allows, and large reads inside a
    /// frame's data. Nothing a peer announces can make it larger than that.
    fn read_size(&self) -> usize {
        match &self.state {
            State::Version(served) | State::Instance(served) | State::Function { served, .. } => {
                SMALL_READ.max(served.longest_name().saturating_add(5))
            }
            State::Frames(paths) => SMALL_READ.max(paths.depth().saturating_add(2).saturating_mul(5)),
            State::Data { remaining, .. } => (*remaining).clamp(SMALL_READ, MAX_SUB_FRAME_BYTES),
        }
    }

    /// Whether the stream may end here: before an invocation header, or between frames.
    fn at_boundary(&self) -> bool {
        self.input.is_empty() && matches!(self.state, State::Version(_) | State::Frames(_))
    }

    fn broken(&self, violation: Violation) -> io::Error {
        if self.violation.0.set(violation.clone()).is_ok() {
            wapc::__event!(warn, "wrpc-bridge: closed the connection {}: {violation}", self.connection);
        }
        io::Error::new(io::ErrorKind::InvalidData, violation)
    }
}

/// Frame data as it arrives on a calling side: which subscribed path it belongs to, and bytes of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameData {
    /// The index of its path among the [`Paths`] the reader was made with (see [`Paths::index_of`]); `None` for
    /// the root.
    pub path: Option<usize>,
    /// Data bytes that have arrived, at most what the frame announced.
    pub bytes: Bytes,
}

impl<R: AsyncRead + Unpin> FrameReader<R> {
    /// A calling side's next frame data, straight from the socket, without re-framing it for wRPC: what a
    /// [`client`](Self::client) reader gives the bridge itself. `None` when the stream ends between frames.
    ///
    /// # Errors
    /// As reading: a [`Violation`] (kind `InvalidData`), an end inside a frame (`UnexpectedEof`), or the socket's.
    /// A serving side's reader, which expects an invocation header, fails with `InvalidInput`.
    pub fn poll_frame(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Option<FrameData>>> {
        loop {
            if let Some(violation) = self.violation.get() {
                return Poll::Ready(Err(io::Error::new(io::ErrorKind::InvalidData, violation.clone())));
            }
            match &mut self.state {
                State::Frames(paths) => match frame_header(&self.input, paths) {
                    Err(violation) => return Poll::Ready(Err(self.broken(violation))),
                    Ok(Some(header)) if header.length > self.budget => {
                        return Poll::Ready(Err(self.broken(Violation::TooLarge { limit: self.limit })));
                    }
                    Ok(Some(header)) => {
                        self.budget -= header.length;
                        self.input.advance(header.consumed);
                        if header.length > 0 {
                            let index = paths.index_of(&header.path);
                            let (paths, prefix) = (Arc::clone(paths), Bytes::new());
                            self.state = State::Data { paths, prefix, index, remaining: header.length };
                        }
                        continue;
                    }
                    Ok(None) => {}
                },
                State::Data { paths, index, remaining, .. } if !self.input.is_empty() => {
                    let length = self.input.len().min(*remaining);
                    let path = *index;
                    *remaining -= length;
                    if *remaining == 0 {
                        self.state = State::Frames(Arc::clone(paths));
                    }
                    return Poll::Ready(Ok(Some(FrameData { path, bytes: self.input.split_to(length).freeze() })));
                }
                State::Data { .. } => {}
                State::Version(_) | State::Instance(_) | State::Function { .. } => {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        "a serving side's frame reader gives a byte stream, not frame data",
                    )));
                }
            }
            if !ready!(self.poll_more(cx))? {
                return Poll::Ready(Ok(None));
            }
        }
    }

    /// Reads more from the socket: `true` when something came, `false` at its end between frames.
    fn poll_more(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<bool>> {
        // At least one byte: a header longer than `read_size` still makes progress.
        let want = self.read_size().saturating_sub(self.input.len()).max(1);
        self.input.reserve(want);
        let read = tokio_util::io::poll_read_buf(Pin::new(&mut self.inner), cx, &mut (&mut self.input).limit(want));
        if ready!(read)? > 0 {
            return Poll::Ready(Ok(true));
        }
        if self.at_boundary() {
            return Poll::Ready(Ok(false));
        }
        Poll::Ready(Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the peer closed the connection in the middle of a frame",
        )))
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for FrameReader<R> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if buf.remaining() == 0 {
            return Poll::Ready(Ok(()));
        }
        loop {
            if let Some(headers) = this.headers.get(this.headers_read..).filter(|headers| !headers.is_empty()) {
                let n = headers.len().min(buf.remaining());
                buf.put_slice(headers.get(..n).unwrap_or_default());
                this.headers_read += n;
                if this.headers_read == this.headers.len() {
                    this.headers.clear();
                    this.headers_read = 0;
                }
                return Poll::Ready(Ok(()));
            }
            if this.data > 0 {
                let n = this.data.min(buf.remaining()).min(this.input.len());
                buf.put_slice(this.input.get(..n).unwrap_or_default());
                this.input.advance(n);
                this.data -= n;
                return Poll::Ready(Ok(()));
            }
            if let Some(violation) = this.violation.get() {
                return Poll::Ready(Err(io::Error::new(io::ErrorKind::InvalidData, violation.clone())));
            }
            match this.step() {
                Step::Progress => {}
                Step::Broken(violation) => return Poll::Ready(Err(this.broken(violation))),
                Step::NeedMore => {
                    if !ready!(this.poll_more(cx))? {
                        return Poll::Ready(Ok(()));
                    }
                }
            }
        }
    }
}

/// A frame's header: its path (checked), data length, and how many input bytes it took.
struct FrameHeader {
    path: Vec<usize>,
    length: usize,
    consumed: usize,
}

/// Parses a frame header at the front of `input`, if it is all there.
fn frame_header(input: &[u8], paths: &Paths) -> Result<Option<FrameHeader>, Violation> {
    let mut r = WireReader::new(input);
    let Some(depth) = uleb32(&mut r)? else { return Ok(None) };
    if depth > paths.depth() as u64 {
        return Err(Violation::PathTooDeep { depth, limit: paths.depth() });
    }
    let mut path = Vec::with_capacity(paths.depth().min(depth as usize));
    for _ in 0..depth {
        let Some(index) = uleb32(&mut r)? else { return Ok(None) };
        path.push(index as usize);
    }
    if !paths.allows(&path) {
        return Err(Violation::NotSubscribed(path));
    }
    let Some(length) = uleb32(&mut r)? else { return Ok(None) };
    Ok(Some(FrameHeader { path, length: length as usize, consumed: r.position() }))
}

/// `path` encoded as a frame header begins: its length, then its elements.
fn prefix(path: &[usize]) -> Bytes {
    if path.is_empty() {
        return Bytes::from_static(&[0]);
    }
    let mut prefix = Vec::with_capacity(5 * (path.len() + 1));
    super::write_path(&mut prefix, path);
    Bytes::from(prefix)
}

/// Parses a name (a LEB128 length, then UTF-8) at the front of `input` if it is all there, refusing one longer
/// than `limit` as soon as its length is read. Returns the bytes it took and the name.
fn name(input: &[u8], limit: usize) -> Result<Option<(usize, &str)>, Violation> {
    let mut r = WireReader::new(input);
    let Some(length) = uleb32(&mut r)? else { return Ok(None) };
    if length > limit as u64 {
        return Err(Violation::NameTooLong { length, limit });
    }
    let Ok(bytes) = r.take(length as usize) else { return Ok(None) };
    let name = std::str::from_utf8(bytes).map_err(|_| Violation::NameNotUtf8)?;
    Ok(Some((r.position(), name)))
}

/// Reads a LEB128 u32: `None` when the input ends first.
fn uleb32(r: &mut WireReader<'_>) -> Result<Option<u64>, Violation> {
    match r.uleb(32) {
        Ok(value) => Ok(Some(value)),
        Err(e) if e.is_incomplete() => Ok(None),
        Err(_) => Err(Violation::Overflow),
    }
}
