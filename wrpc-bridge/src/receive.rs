//! Receiving a function's values whole — its results when calling, its parameters when serving — from the root
//! stream of an invocation and, for the streams and futures they leave pending, from the indexed paths those
//! follow on.
//!
//! Every stream is read at once, in whatever order the peer writes to them: wRPC's multiplexer holds only a few
//! frames per path, so a path nobody reads would stall the others. All of them together may carry at most the
//! cap's bytes, and everything must arrive by one deadline; what did not is named in the error.

use std::future::poll_fn;
use std::io;
use std::pin::pin;
use std::task::{Context, Poll};

use bytes::BufMut;
use tokio::time::Instant;

use crate::framing::FrameData;
use crate::transcode::{ErrorKind, Received, TranscodeError, WireScanner};
use crate::transport::{FrameSource, Incoming, ValuesReader};

/// How much more room a stream's buffer makes at a time, at most: memory grows with the bytes that arrive.
const READ_CHUNK: usize = 64 * 1024;

/// Complete values: the root's bytes, and the contents of each stream or future they left pending, in the order
/// [`WireScanner::deferred`] lists them.
#[derive(Debug)]
pub(crate) struct Values {
    /// The root stream's bytes: the values, and whatever followed them.
    pub(crate) wire: Vec<u8>,
    /// Where the values end in `wire`.
    pub(crate) end: usize,
    /// What arrived on each pending value's path.
    pub(crate) received: Vec<Received>,
}

/// Why values could not be received whole.
#[derive(Debug)]
pub(crate) enum ReceiveError {
    /// More bytes than the cap, on all streams together (or a length announcing as much).
    TooLarge,
    /// Reading failed: the connection, or a framing rule the peer broke.
    Io(io::Error),
    /// Bytes that cannot be the values. On the root (`path` is `None`), `wire` holds what was read, for decoding
    /// to say where.
    Malformed { path: Option<Box<[usize]>>, error: TranscodeError, wire: Vec<u8> },
    /// A stream ended before the values were complete: the root when `path` is `None`; `after` bytes came.
    Ended { path: Option<Box<[usize]>>, after: usize },
    /// The deadline passed first, while waiting for the root (`None`), or for the stream or future on a path.
    Deadline { waiting: Option<(Box<[usize]>, String)> },
}

/// What arrived on one stream (the root, or a path), and whether it has ended.
#[derive(Default)]
struct Stream {
    buffer: Vec<u8>,
    ended: bool,
}

/// A pending stream or future: which path stream its contents arrive on, and where they end once known.
struct Contents<'t> {
    stream: usize,
    scanner: WireScanner<'t>,
    ty: String,
    done: bool,
}

/// Where the streams' bytes come from.
enum Source {
    /// A reader per stream, the root's first.
    Readers(Vec<ValuesReader>),
    /// Frames naming their stream.
    Frames(Box<dyn FrameSource>),
}

impl Source {
    /// Reads what has arrived into `streams` (the root's first), within the cap on all of them together: whether
    /// anything came (or ended).
    fn poll_fill(
        &mut self,
        cx: &mut Context<'_>,
        streams: &mut [Stream],
        total: &mut usize,
        max_bytes: usize,
    ) -> Result<bool, ReceiveError> {
        let mut progressed = false;
        match self {
            Source::Readers(readers) => {
                for (reader, stream) in readers.iter_mut().zip(streams.iter_mut()).filter(|(_, stream)| !stream.ended) {
                    // One byte past the cap, to learn that the peer sent more.
                    let room = max_bytes.saturating_sub(*total).saturating_add(1);
                    stream.buffer.reserve(room.min(READ_CHUNK));
                    let limited = &mut (&mut stream.buffer).limit(room);
                    if let Poll::Ready(read) = tokio_util::io::poll_read_buf(reader.as_mut(), cx, limited) {
                        let read = read.map_err(ReceiveError::Io)?;
                        stream.ended = read == 0;
                        *total = counted(*total, read, max_bytes)?;
                        progressed = true;
                    }
                }
            }
            Source::Frames(frames) => loop {
                match frames.poll_frame(cx) {
                    Poll::Pending => break,
                    Poll::Ready(Err(e)) => return Err(ReceiveError::Io(e)),
                    Poll::Ready(Ok(None)) => {
                        streams.iter_mut().for_each(|stream| stream.ended = true);
                        return Ok(true);
                    }
                    Poll::Ready(Ok(Some(FrameData { path, bytes }))) => {
                        *total = counted(*total, bytes.len(), max_bytes)?;
                        let index = path.map_or(0, |path| path.saturating_add(1));
                        if let Some(stream) = streams.get_mut(index) {
                            stream.buffer.extend_from_slice(&bytes);
                        }
                        progressed = true;
                    }
                }
            },
        }
        Ok(progressed)
    }
}

/// Reads `incoming` until the values `scanner` looks for are complete (root and pending paths), at most
/// `max_bytes` on all streams together, by `deadline`.
pub(crate) async fn receive<'t>(
    incoming: Incoming,
    mut scanner: WireScanner<'t>,
    max_bytes: usize,
    deadline: Instant,
) -> Result<Values, ReceiveError> {
    let (paths, mut source) = match incoming {
        Incoming::Streams { root, paths } => {
            let (paths, readers): (Vec<_>, Vec<_>) = paths.into_iter().unzip();
            (paths, Source::Readers(std::iter::once(root).chain(readers).collect()))
        }
        Incoming::Frames { frames, paths } => (paths, Source::Frames(frames)),
    };
    // The root's stream first, then each path's.
    let mut streams: Vec<Stream> = std::iter::repeat_with(Stream::default).take(paths.len() + 1).collect();
    let mut contents: Vec<Contents<'t>> = Vec::new();
    let mut root_end = None;
    let mut total = 0usize;
    let mut timer = pin!(tokio::time::sleep_until(deadline));
    let end = poll_fn(|cx| {
        while source.poll_fill(cx, &mut streams, &mut total, max_bytes)? {
            let Some((root, paths_streams)) = streams.split_first_mut() else { break };
            if root_end.is_none() {
                match scanner.scan(&root.buffer) {
                    Ok(Some(end)) => {
                        root_end = Some(end);
                        contents = pending_contents(&scanner, &paths, max_bytes)?;
                    }
                    Ok(None) if root.ended => {
                        return Poll::Ready(Err(ReceiveError::Ended { path: None, after: root.buffer.len() }));
                    }
                    Ok(None) => {}
                    Err(error) => return Poll::Ready(Err(malformed_root(error, &mut root.buffer))),
                }
            }
            for pending in contents.iter_mut().filter(|pending| !pending.done) {
                scan_contents(pending, paths_streams, &paths)?;
            }
            if let Some(end) = root_end
                && contents.iter().all(|pending| pending.done)
            {
                return Poll::Ready(Ok(end));
            }
        }
        if timer.as_mut().poll(cx).is_ready() {
            let waiting = match root_end {
                None => None,
                Some(_) => contents
                    .iter()
                    .find(|pending| !pending.done)
                    .and_then(|pending| Some((paths.get(pending.stream)?.clone(), pending.ty.clone()))),
            };
            return Poll::Ready(Err(ReceiveError::Deadline { waiting }));
        }
        Poll::Pending
    })
    .await?;
    let mut streams = streams.into_iter();
    let root = streams.next().unwrap_or_default();
    let mut paths_streams: Vec<Stream> = streams.collect();
    let received = contents
        .into_iter()
        .map(|pending| Received {
            wire: paths_streams
                .get_mut(pending.stream)
                .map(|stream| std::mem::take(&mut stream.buffer))
                .unwrap_or_default(),
            elements: pending.scanner.elements(),
        })
        .collect();
    Ok(Values { wire: root.buffer, end, received })
}

/// Adds `read` bytes to `total`, refusing a total past `max_bytes`.
fn counted(total: usize, read: usize, max_bytes: usize) -> Result<usize, ReceiveError> {
    let total = total.saturating_add(read);
    if total > max_bytes { Err(ReceiveError::TooLarge) } else { Ok(total) }
}

/// What a scanner's error on the root means.
fn malformed_root(error: TranscodeError, wire: &mut Vec<u8>) -> ReceiveError {
    match error.kind() {
        ErrorKind::TooLarge { .. } => ReceiveError::TooLarge,
        _ => ReceiveError::Malformed { path: None, error, wire: std::mem::take(wire) },
    }
}

/// The contents to wait for once the root is complete: one per stream or future it left pending, each on a
/// subscribed path of its own.
fn pending_contents<'t>(
    scanner: &WireScanner<'t>,
    paths: &[Box<[usize]>],
    max_bytes: usize,
) -> Result<Vec<Contents<'t>>, ReceiveError> {
    let mut contents: Vec<Contents<'t>> = Vec::with_capacity(scanner.deferred().len());
    for pending in scanner.deferred() {
        let stream = paths.iter().position(|path| *path == pending.path);
        let Some(stream) = stream.filter(|&stream| contents.iter().all(|other| other.stream != stream)) else {
            let error = TranscodeError::wire(format!("a {} sent pending on a path it cannot use", pending.ty));
            return Err(ReceiveError::Malformed { path: Some(pending.path.clone()), error, wire: Vec::new() });
        };
        let scanner = WireScanner::contents(pending.ty, max_bytes);
        contents.push(Contents { stream, scanner, ty: pending.ty.to_string(), done: false });
    }
    Ok(contents)
}

/// Looks whether a pending value's contents are complete on its path.
fn scan_contents(pending: &mut Contents<'_>, streams: &[Stream], paths: &[Box<[usize]>]) -> Result<(), ReceiveError> {
    let path = || paths.get(pending.stream).cloned();
    let Some(stream) = streams.get(pending.stream) else { return Ok(()) };
    match pending.scanner.scan(&stream.buffer) {
        Ok(Some(end)) if end == stream.buffer.len() => pending.done = true,
        Ok(Some(end)) => {
            let error = TranscodeError::wire(format!("{} bytes follow the {}", stream.buffer.len() - end, pending.ty));
            return Err(ReceiveError::Malformed { path: path(), error, wire: Vec::new() });
        }
        Ok(None) if stream.ended => return Err(ReceiveError::Ended { path: path(), after: stream.buffer.len() }),
        Ok(None) => {}
        Err(error) if matches!(error.kind(), ErrorKind::TooLarge { .. }) => return Err(ReceiveError::TooLarge),
        Err(error) => return Err(ReceiveError::Malformed { path: path(), error, wire: Vec::new() }),
    }
    Ok(())
}
