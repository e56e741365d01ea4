use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncReadExt, ReadBuf};

use super::*;

const INSTANCE: &str = "legacy:guest/api";

/// A socket that delivers these chunks, one per read, then ends.
struct Chunks(VecDeque<Vec<u8>>);

impl Chunks {
    fn new<C: Into<Vec<u8>>>(chunks: impl IntoIterator<Item = C>) -> Self {
        Chunks(chunks.into_iter().map(Into::into).collect())
    }
}

impl AsyncRead for Chunks {
    fn poll_read(mut self: Pin<&mut Self>, _cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        if let Some(mut chunk) = self.0.pop_front() {
            let n = chunk.len().min(buf.remaining());
            buf.put_slice(&chunk[..n]);
            if n < chunk.len() {
                self.0.push_front(chunk.split_off(n));
            }
        }
        Poll::Ready(Ok(()))
    }
}

fn served() -> Arc<ServedFunctions> {
    Arc::new(ServedFunctions::default().with(INSTANCE, "echo", Paths::root_only()).with(
        INSTANCE,
        "stream",
        Paths::new([vec![Some(0), None]]),
    ))
}

/// The invocation header of `INSTANCE#function`.
fn header(function: &str) -> Vec<u8> {
    let mut header = vec![0, INSTANCE.len() as u8];
    header.extend_from_slice(INSTANCE.as_bytes());
    header.push(function.len() as u8);
    header.extend_from_slice(function.as_bytes());
    header
}

fn server(chunks: Chunks, max_bytes: usize) -> FrameReader<Chunks> {
    FrameReader::server(chunks, served(), max_bytes, "from a test")
}

async fn read_all<R: AsyncRead + Unpin>(reader: &mut FrameReader<R>) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    reader.read_to_end(&mut out).await.map(|_| out)
}

async fn violation<R: AsyncRead + Unpin>(mut reader: FrameReader<R>) -> Violation {
    let slot = reader.violation();
    let error = read_all(&mut reader).await.unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::InvalidData);
    let violation = Violation::of(&error).cloned().unwrap();
    assert_eq!(slot.get(), Some(&violation));
    violation
}

#[tokio::test]
async fn a_checked_invocation_passes_unchanged() {
    let mut wire = header("echo");
    wire.extend_from_slice(&[0, 3, b'a', b'b', b'c', 0, 0]);
    let mut reader = server(Chunks::new([wire.clone()]), 1024);
    assert_eq!(read_all(&mut reader).await.unwrap(), wire);
    assert_eq!(reader.violation().get(), None);
}

#[tokio::test]
async fn frames_are_cut_into_sub_frames_of_what_has_arrived() {
    let data: Vec<u8> = (0..=255).cycle().take(100).collect();
    let mut first = header("echo");
    first.extend_from_slice(&[0, 100]);
    first.extend_from_slice(&data[..30]);
    let mut reader = server(Chunks::new([first, data[30..].to_vec()]), 1024);
    let mut expected = header("echo");
    expected.extend_from_slice(&[0, 30]);
    expected.extend_from_slice(&data[..30]);
    expected.extend_from_slice(&[0, 70]);
    expected.extend_from_slice(&data[30..]);
    assert_eq!(read_all(&mut reader).await.unwrap(), expected);
}

#[tokio::test]
async fn a_large_frame_becomes_sub_frames_of_at_most_64_kib() {
    let size = MAX_SUB_FRAME_BYTES + 1000;
    let data: Vec<u8> = (0..=255).cycle().take(size).collect();
    let mut frame_header = header("echo");
    frame_header.extend_from_slice(&[0, 0xe8, 0x87, 0x04]); // 66536
    let out = read_all(&mut server(Chunks::new([frame_header, data.clone()]), 1 << 20)).await.unwrap();
    let mut expected = header("echo");
    expected.extend_from_slice(&[0, 0x80, 0x80, 0x04]); // 65536
    expected.extend_from_slice(&data[..MAX_SUB_FRAME_BYTES]);
    expected.extend_from_slice(&[0, 0xe8, 0x07]); // 1000
    expected.extend_from_slice(&data[MAX_SUB_FRAME_BYTES..]);
    assert_eq!(out, expected);
}

#[tokio::test]
async fn subscribed_paths_pass_and_are_re_encoded_canonically() {
    let mut wire = header("stream");
    // Path [0, 9] with a non-minimal encoding of 9, two data bytes.
    wire.extend_from_slice(&[2, 0, 0x89, 0x00, 2, b'h', b'i']);
    let out = read_all(&mut server(Chunks::new([wire]), 1024)).await.unwrap();
    let mut expected = header("stream");
    expected.extend_from_slice(&[2, 0, 9, 2, b'h', b'i']);
    assert_eq!(out, expected);
}

#[tokio::test]
async fn the_six_byte_path_bomb_is_refused_before_any_allocation() {
    let mut wire = header("echo");
    wire.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x0f]);
    let refused = violation(server(Chunks::new([wire]), 1024)).await;
    assert_eq!(refused, Violation::PathTooDeep { depth: u64::from(u32::MAX), limit: 0 });
}

#[tokio::test]
async fn a_frame_longer_than_the_cap_is_refused_at_its_header() {
    let mut wire = header("echo");
    wire.extend_from_slice(&[0, 0xff, 0xff, 0xff, 0xff, 0x0f]);
    let refused = violation(server(Chunks::new([wire]), 16 << 20)).await;
    assert_eq!(refused, Violation::TooLarge { limit: 16 << 20 });
}

#[tokio::test]
async fn the_cap_counts_every_frame_of_the_invocation() {
    let mut wire = header("echo");
    wire.extend_from_slice(&[0, 6, 1, 2, 3, 4, 5, 6]);
    wire.extend_from_slice(&[0, 4, 1, 2, 3, 4]);
    wire.extend_from_slice(&[0, 1, 1]);
    assert_eq!(violation(server(Chunks::new([wire]), 10)).await, Violation::TooLarge { limit: 10 });
}

#[tokio::test]
async fn unsubscribed_and_malformed_frames_are_refused() {
    let refused = |frame: &[u8], function: &str| {
        let mut wire = header(function);
        wire.extend_from_slice(frame);
        violation(server(Chunks::new([wire]), 1024))
    };
    assert_eq!(refused(&[1, 0, 1, 0], "echo").await, Violation::PathTooDeep { depth: 1, limit: 0 });
    assert_eq!(refused(&[2, 1, 0, 1, 0], "stream").await, Violation::NotSubscribed(vec![1, 0]));
    assert_eq!(refused(&[1, 0, 1, 0], "stream").await, Violation::NotSubscribed(vec![0]));
    assert_eq!(refused(&[0, 0xff, 0xff, 0xff, 0xff, 0x1f], "echo").await, Violation::Overflow);
}

#[tokio::test]
async fn invocation_headers_are_checked() {
    assert_eq!(violation(server(Chunks::new([[1]]), 1024)).await, Violation::Version(1));
    let bomb = [0, 0xff, 0xff, 0xff, 0xff, 0x0f];
    let limit = INSTANCE.len();
    assert_eq!(
        violation(server(Chunks::new([bomb]), 1024)).await,
        Violation::NameTooLong { length: u64::from(u32::MAX), limit }
    );
    let unknown = [&[0, 5][..], b"other"].concat();
    let refused = violation(server(Chunks::new([unknown]), 1024)).await;
    assert_eq!(refused, Violation::NotServed { instance: "other".to_owned(), function: String::new() });
    let refused = violation(server(Chunks::new([header("missing")]), 1024)).await;
    assert_eq!(refused, Violation::NotServed { instance: INSTANCE.to_owned(), function: "missing".to_owned() });
    let not_utf8 = [0, 2, 0xc3, 0x28];
    assert_eq!(violation(server(Chunks::new([not_utf8]), 1024)).await, Violation::NameNotUtf8);
}

#[tokio::test]
async fn a_header_arriving_a_byte_at_a_time_is_read_whole() {
    let mut wire = header("echo");
    wire.extend_from_slice(&[0, 2, b'o', b'k']);
    let bytes = wire.iter().map(|&b| vec![b]);
    let out = read_all(&mut server(Chunks::new(bytes), 1024)).await.unwrap();
    let mut expected = header("echo");
    expected.extend_from_slice(&[0, 1, b'o', 0, 1, b'k']);
    assert_eq!(out, expected);
}

#[tokio::test]
async fn a_stream_may_end_only_between_frames() {
    assert_eq!(read_all(&mut server(Chunks::new(Vec::<Vec<u8>>::new()), 1024)).await.unwrap(), b"");
    let mut truncated = header("echo");
    truncated.extend_from_slice(&[0, 5, b'a']);
    let error = read_all(&mut server(Chunks::new([truncated]), 1024)).await.unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof);
    assert!(Violation::of(&error).is_none());
    let half_header = header("echo")[..4].to_vec();
    let error = read_all(&mut server(Chunks::new([half_header]), 1024)).await.unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof);
}

#[tokio::test]
async fn a_client_reads_results_without_a_header() {
    let wire = [0, 3, b'y', b'e', b's'];
    let mut reader = FrameReader::client(Chunks::new([wire]), Arc::new(Paths::root_only()), 3, "to a test");
    assert_eq!(read_all(&mut reader).await.unwrap(), wire);
    let reader = FrameReader::client(Chunks::new([wire]), Arc::new(Paths::root_only()), 2, "to a test");
    assert_eq!(violation(reader).await, Violation::TooLarge { limit: 2 });
}

/// Every piece of frame data a client reader gives, until the stream ends or breaks.
async fn frame_data(mut reader: FrameReader<Chunks>) -> (Vec<(Option<usize>, Vec<u8>)>, io::Result<()>) {
    let mut pieces = Vec::new();
    let ended = std::future::poll_fn(|cx| {
        loop {
            match std::task::ready!(reader.poll_frame(cx)) {
                Ok(Some(FrameData { path, bytes })) => pieces.push((path, bytes.to_vec())),
                Ok(None) => return Poll::Ready(Ok(())),
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    })
    .await;
    (pieces, ended)
}

#[tokio::test]
async fn a_client_takes_frame_data_as_it_arrives() {
    let paths = Arc::new(Paths::new([vec![Some(0)], vec![Some(1), Some(2)]]));
    // Root "ab"; "xyz" on [1, 2], split across reads; an empty frame on [0]; root "c".
    let chunks = [vec![0, 2, b'a', b'b', 2, 1, 2, 3, b'x'], vec![b'y', b'z', 1, 0, 0], vec![0, 1, b'c']];
    let (pieces, ended) = frame_data(FrameReader::client(Chunks::new(chunks), paths.clone(), 1024, "to a test")).await;
    ended.unwrap();
    let expected = [(None, b"ab".to_vec()), (Some(1), b"x".to_vec()), (Some(1), b"yz".to_vec()), (None, b"c".to_vec())];
    assert_eq!(pieces, expected);

    // The same checks as a byte stream: a frame past the cap is refused before its data, and so is a frame on a
    // path nobody subscribed to; an end inside a frame is not a clean end.
    let over = Chunks::new([vec![0, 2, b'a', b'b', 1, 0, 0xff, 0x01]]);
    let (pieces, ended) = frame_data(FrameReader::client(over, paths.clone(), 16, "to a test")).await;
    assert_eq!((pieces.len(), Violation::of(&ended.unwrap_err())), (1, Some(&Violation::TooLarge { limit: 16 })));
    let stray = Chunks::new([vec![1, 5, 1, b'x']]);
    let (_, ended) = frame_data(FrameReader::client(stray, paths.clone(), 16, "to a test")).await;
    assert_eq!(Violation::of(&ended.unwrap_err()), Some(&Violation::NotSubscribed(vec![5])));
    let (_, ended) = frame_data(FrameReader::client(Chunks::new([vec![0, 3, b'a']]), paths, 16, "to a test")).await;
    assert_eq!(ended.unwrap_err().kind(), io::ErrorKind::UnexpectedEof);
}
