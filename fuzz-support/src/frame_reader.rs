//! Arbitrary bytes from a client (or a peer) through a [`FrameReader`], delivered in chunks of any size: it never
//! panics, and what it passes on is a frame stream wRPC can trust. Every sub-frame holds at most 64 KiB, sits on a
//! subscribed path and fits the invocation's cap; the data passed on is the data sent, in order, all of it when
//! the stream ends well; and a serving side's invocation header is passed on as it came. A calling side's frame
//! data ([`FrameReader::poll_frame`]) is the same data, each piece on the path of its frame.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncReadExt, ReadBuf};
use wrpc_bridge::framing::{FrameReader, MAX_SUB_FRAME_BYTES, Paths, ServedFunctions};

/// Fuzz input: a byte of settings (serving or calling side, chunk size, cap), then the stream.
pub fn run(data: &[u8]) {
    let Some((&settings, stream)) = data.split_first() else { return };
    let serving = settings & 0x80 != 0;
    let chunk = usize::from(settings & 0x0f) * 13 + 1;
    let cap = 16usize << ((settings >> 4) & 0x07);
    let paths = Paths::new([vec![Some(0), None], vec![Some(1)]]);
    let socket = Chunks { stream, chunk };
    let mut out = Vec::new();
    let read = if serving {
        let served = ServedFunctions::default().with("i", "f", Paths::root_only()).with("i", "streams", paths.clone());
        let mut reader = FrameReader::server(socket, Arc::new(served), cap, "from the fuzzer");
        futures::executor::block_on(reader.read_to_end(&mut out))
    } else {
        let mut reader = FrameReader::client(socket, Arc::new(paths.clone()), cap, "to the fuzzer");
        futures::executor::block_on(reader.read_to_end(&mut out))
    };

    let (sent_header, sent) = parse(stream, serving);
    let (passed_header, passed) = parse(&out, serving);
    let passed_paths = if serving {
        // A header refused part way may have been passed on up to where it broke a rule; a client may also
        // close the connection before sending anything.
        let Some(header) = passed_header else { return assert!(read.is_err() || stream.is_empty()) };
        assert_eq!(Some(&header), sent_header.as_ref(), "the invocation header changed");
        if header.1 == "f" { Paths::root_only() } else { paths.clone() }
    } else {
        paths.clone()
    };
    assert_eq!(passed.rest, 0, "a truncated frame header was passed on");
    let mut data = Vec::new();
    for (path, bytes) in &passed.frames {
        assert!(bytes.len() <= MAX_SUB_FRAME_BYTES, "a sub-frame of {} bytes", bytes.len());
        let path: Vec<usize> = path.iter().map(|&index| index as usize).collect();
        assert!(passed_paths.allows(&path), "a frame on {path:?} was passed on");
        data.extend_from_slice(bytes);
    }
    assert!(data.len() <= cap, "{} data bytes passed on under a cap of {cap}", data.len());
    let sent_data: Vec<u8> = sent.frames.iter().flat_map(|(_, bytes)| bytes.iter().copied()).collect();
    assert!(sent_data.starts_with(&data), "the data passed on is not the data sent");
    if read.is_ok() {
        assert_eq!(data, sent_data, "the stream ended well, but not all its data was passed on");
        assert_eq!(sent.rest, 0, "the stream ended well inside a frame");
    }
    if !serving {
        frame_data_matches(Chunks { stream, chunk }, &paths, cap, &sent, &data, read.is_ok());
    }
}

/// A calling side's frame data, given straight to the bridge, is the data the byte stream passed on, each piece
/// naming the subscription of the frame it came from, and ends the same way.
fn frame_data_matches(socket: Chunks<'_>, paths: &Paths, cap: usize, sent: &Parsed<'_>, data: &[u8], ended_well: bool) {
    let mut reader = FrameReader::client(socket, Arc::new(paths.clone()), cap, "to the fuzzer");
    let mut pieces = Vec::new();
    let ended = futures::executor::block_on(std::future::poll_fn(|cx| {
        loop {
            match std::task::ready!(reader.poll_frame(cx)) {
                Ok(Some(piece)) => pieces.push(piece),
                Ok(None) => return Poll::Ready(Ok(())),
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }));
    assert_eq!(ended.is_ok(), ended_well, "frame data and the byte stream ended differently: {ended:?}");
    let given: Vec<u8> = pieces.iter().flat_map(|piece| piece.bytes.iter().copied()).collect();
    assert_eq!(given, data, "the frame data is not the data the byte stream passed on");
    // Walk the sent frames with non-empty data in order, each piece taking its bytes from one of them.
    let mut frames = sent.frames.iter().filter(|(_, bytes)| !bytes.is_empty());
    let mut current = frames.next();
    let mut taken = 0;
    for piece in &pieces {
        assert!(!piece.bytes.is_empty(), "an empty piece of frame data");
        let Some((path, bytes)) = current else { panic!("frame data past the frames sent") };
        let path: Vec<usize> = path.iter().map(|&index| index as usize).collect();
        assert_eq!(piece.path, paths.index_of(&path), "a piece names the wrong path");
        taken += piece.bytes.len();
        assert!(taken <= bytes.len(), "a piece spans two frames");
        if taken == bytes.len() {
            current = frames.next();
            taken = 0;
        }
    }
}

/// A stream parsed as far as it goes: its frames (the last one's data may be cut short), and how many bytes of an
/// unfinished frame header are left over.
struct Parsed<'a> {
    frames: Vec<(Vec<u64>, &'a [u8])>,
    rest: usize,
}

/// Parses an invocation header (on a serving side) and frames, independently of the reader.
fn parse(mut bytes: &[u8], serving: bool) -> (Option<(String, String)>, Parsed<'_>) {
    let mut header = None;
    if serving {
        let names = bytes.split_first().filter(|(version, _)| **version == 0).and_then(|(_, rest)| {
            let (instance, rest) = name(rest)?;
            let (function, rest) = name(rest)?;
            Some(((instance, function), rest))
        });
        match names {
            Some((names, rest)) => {
                header = Some(names);
                bytes = rest;
            }
            None => return (None, Parsed { frames: Vec::new(), rest: bytes.len() }),
        }
    }
    let mut frames = Vec::new();
    loop {
        if bytes.is_empty() {
            return (header, Parsed { frames, rest: 0 });
        }
        let Some((path, length, rest)) = frame_header(bytes) else {
            return (header, Parsed { frames, rest: bytes.len() });
        };
        let (data, rest) = rest.split_at(length.min(rest.len()));
        frames.push((path, data));
        if data.len() < length {
            return (header, Parsed { frames, rest: 0 });
        }
        bytes = rest;
    }
}

fn frame_header(bytes: &[u8]) -> Option<(Vec<u64>, usize, &[u8])> {
    let (depth, mut rest) = leb(bytes)?;
    let mut path = Vec::new();
    for _ in 0..depth.min(16) {
        let (index, after) = leb(rest)?;
        path.push(index);
        rest = after;
    }
    if depth > 16 {
        return None;
    }
    let (length, rest) = leb(rest)?;
    Some((path, usize::try_from(length).ok()?, rest))
}

fn name(bytes: &[u8]) -> Option<(String, &[u8])> {
    let (length, rest) = leb(bytes)?;
    let length = usize::try_from(length).ok().filter(|&length| length <= rest.len())?;
    let (name, rest) = rest.split_at(length);
    Some((String::from_utf8(name.to_vec()).ok()?, rest))
}

/// An unsigned LEB128 u32, as wRPC writes lengths and path elements.
fn leb(bytes: &[u8]) -> Option<(u64, &[u8])> {
    let mut value = 0u64;
    for (i, &byte) in bytes.iter().enumerate().take(5) {
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return u32::try_from(value).ok().map(|value| (u64::from(value), bytes.get(i + 1..).unwrap_or_default()));
        }
    }
    None
}

/// A socket delivering `stream` `chunk` bytes per read.
struct Chunks<'a> {
    stream: &'a [u8],
    chunk: usize,
}

impl AsyncRead for Chunks<'_> {
    fn poll_read(mut self: Pin<&mut Self>, _cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let n = self.chunk.min(self.stream.len()).min(buf.remaining());
        let (now, later) = self.stream.split_at(n);
        buf.put_slice(now);
        self.stream = later;
        Poll::Ready(Ok(()))
    }
}
