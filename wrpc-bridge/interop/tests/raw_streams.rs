//! Streams and futures on the wire, byte for byte, against a raw-frame peer of ours: the inline encodings that
//! `wit-bindgen-wrpc` peers never send (a ready future, a non-empty inline stream), chunks on a path before the
//! root, what the bridge itself sends, and peers that break the rules. The expected bytes are written by hand from
//! wRPC's SPEC.md ("Component model value definition encoding extensions"): wrpc-wave 0.1, the reference the
//! differential tests use, supports no streams, futures or resources.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::thread::JoinHandle;
use std::time::Duration;

use wapc::WapcHost;
use wrpc_bridge::wit::Catalog;
use wrpc_bridge::{Bridge, Target};
use wrpc_bridge_interop::hostile::wire::{frame, header};
use wrpc_bridge_interop::relay;

const VALUES: &str = "wrpc-example:doc/values@0.1.0";
const EXAMPLE: &str = "wrpc-example:doc/example@0.1.0";

/// A peer that reads one invocation to its end, answers `answer`, then keeps the connection open for `hold`.
/// Its thread gives back the bytes it received.
fn raw_peer(answer: Vec<u8>, hold: Duration) -> (String, JoinHandle<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("tcp://{}", listener.local_addr().unwrap());
    let peer = std::thread::spawn(move || {
        let (mut connection, _) = listener.accept().unwrap();
        let mut request = Vec::new();
        connection.read_to_end(&mut request).unwrap();
        // The bridge may have closed the connection already when it refused the answer.
        let _ = connection.write_all(&answer);
        std::thread::sleep(hold);
        request
    });
    (address, peer)
}

/// A relay guest whose bridge reaches `address` with the doc WIT, a 1 s deadline and a result cap of `cap` bytes.
fn host(address: &str, cap: usize) -> WapcHost {
    let catalog = Catalog::load(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/wit/streams"))).unwrap();
    let target = Target::new(address).unwrap().wit(catalog);
    let bridge =
        Bridge::builder().target("doc", target).deadline(Duration::from_secs(1)).max_result_bytes(cap).build().unwrap();
    relay::host(&bridge)
}

/// Calls `function` of `instance` with `payload` on a raw peer answering `answer`: the guest's outcome, and what
/// the peer received.
fn call(instance: &str, function: &str, payload: &[u8], answer: &[Vec<u8>]) -> (Result<Vec<u8>, String>, Vec<u8>) {
    call_with(instance, function, payload, answer, Duration::ZERO, 16 << 20)
}

fn call_with(
    instance: &str,
    function: &str,
    payload: &[u8],
    answer: &[Vec<u8>],
    hold: Duration,
    cap: usize,
) -> (Result<Vec<u8>, String>, Vec<u8>) {
    let (address, peer) = raw_peer(answer.concat(), hold);
    let outcome = relay::call(&host(&address, cap), "doc", instance, function, payload);
    (outcome, peer.join().unwrap())
}

#[test]
fn inline_values_the_upstream_peers_never_send() {
    // future<u32>, ready: variant { pending, ready(u32) } = 01, then 7.
    assert_eq!(call(VALUES, "later", &[7], &[frame(&[], &[0x01, 0x07])]).0.unwrap(), [7]);
    // future<list<u8>>, ready.
    let (outcome, _) = call(VALUES, "later-bytes", &[3], &[frame(&[], &[0x01, 0x03, 1, 2, 3])]);
    assert_eq!(outcome.unwrap(), [0xc4, 3, 1, 2, 3]);
    // stream<string>, inline and not empty: the whole stream is the list<string>.
    let (outcome, _) = call(VALUES, "words", &[0xa0], &[frame(&[], &[0x02, 0x01, b'a', 0x02, b'b', b'b'])]);
    assert_eq!(outcome.unwrap(), [0x92, 0xa1, b'a', 0xa2, b'b', b'b']);
    // stream<u8>, inline: a list<u8>.
    let (outcome, _) = call(EXAMPLE, "foo", &[0x92, 0xc4, 0, 0], &[frame(&[], &[0x03, b'a', b'b', b'c'])]);
    assert_eq!(outcome.unwrap(), [0xc4, 3, b'a', b'b', b'c']);
    // `future` without a value, ready: just 01.
    assert_eq!(call(VALUES, "done", &[], &[frame(&[], &[0x01])]).0.unwrap(), [0xc0]);
}

#[test]
fn pending_values_arrive_in_chunks_in_any_order() {
    // A pending stream<string> (00) whose chunks follow on path 0, the first before the root.
    let answer = [
        frame(&[0], &[0x01, 0x01, b'a']),
        frame(&[], &[0x00]),
        frame(&[0], &[0x02, 0x02, b'b', b'b', 0x00]),
        frame(&[0], &[0x00]),
    ];
    let (outcome, _) = call(VALUES, "words", &[0xa0], &answer);
    assert_eq!(outcome.unwrap(), [0x93, 0xa1, b'a', 0xa2, b'b', b'b', 0xa0]);
    // A pending future<u32> (00): its value alone on path 0.
    assert_eq!(call(VALUES, "later", &[7], &[frame(&[], &[0x00]), frame(&[0], &[0x2a])]).0.unwrap(), [42]);
    // A pending stream<u8> split anywhere, even inside a chunk's length.
    let answer =
        [frame(&[], &[0x00]), frame(&[0], &[0x82]), frame(&[0], &[0x01]), frame(&[0], &[7; 130]), frame(&[0], &[0])];
    let (outcome, _) = call(EXAMPLE, "foo", &[0x92, 0xc4, 0, 0], &answer);
    assert_eq!(outcome.unwrap(), [&[0xc4, 130][..], &[7; 130]].concat());
}

#[test]
fn what_the_bridge_sends() {
    let invocation = |function: &str, params: &[u8]| [header(VALUES, function), frame(&[], params)].concat();
    // A stream<string> that has strings goes inline: list<string>.
    let (_, request) = call(VALUES, "count", &[0x92, 0xa1, b'a', 0xa2, b'b', b'b'], &[frame(&[], &[0, 0])]);
    assert_eq!(request, invocation("count", &[0x02, 0x01, b'a', 0x02, b'b', b'b']));
    // An empty one goes pending (00), and its end, the empty chunk 00, follows on path 0.
    let (_, request) = call(VALUES, "count", &[0x90], &[frame(&[], &[0, 0])]);
    assert_eq!(request, [invocation("count", &[0x00]), frame(&[0], &[0x00])].concat());
    // A future goes ready: 01, then its value; then the u32.
    let (_, request) = call(VALUES, "add-later", &[0x92, 40, 2], &[frame(&[], &[42])]);
    assert_eq!(request, invocation("add-later", &[0x01, 40, 2]));
}

#[test]
fn a_stream_that_never_ends_misses_the_deadline_naming_its_path() {
    let answer = [frame(&[], &[0x00]), frame(&[0], &[0x01, 0x01, b'a'])];
    let (outcome, _) = call_with(VALUES, "words", &[0xa0], &answer, Duration::from_secs(2), 16 << 20);
    let error = outcome.unwrap_err();
    assert!(
        error.ends_with("took longer than the deadline of 1s, waiting for the stream<string> on path [0]"),
        "{error}"
    );
}

#[test]
fn a_stream_past_the_cap_is_refused_and_its_connection_dropped() {
    // 2 KiB of chunks on path 0, for a bridge that takes 1 KiB of results.
    let answer = [frame(&[], &[0x00]), frame(&[0], &[&[0x80, 0x10][..], &[7; 2048], &[0]].concat())];
    let (outcome, _) = call_with(EXAMPLE, "foo", &[0x92, 0xc4, 0, 0], &answer, Duration::ZERO, 1024);
    assert!(outcome.unwrap_err().ends_with("exceed the cap of 1024 bytes"));
    // A chunk that announces more than the cap is refused before its elements arrive.
    let answer = [frame(&[], &[0x00]), frame(&[0], &[0xff, 0xff, 0x3f])];
    let (outcome, _) = call_with(VALUES, "words", &[0xa0], &answer, Duration::from_secs(2), 1024);
    assert!(outcome.unwrap_err().ends_with("exceed the cap of 1024 bytes"));
}

#[test]
fn a_truncated_path_is_an_error_naming_it() {
    // A chunk of two strings with only one, then the peer closes the connection.
    let answer = [frame(&[], &[0x00]), frame(&[0], &[0x02, 0x01, b'a'])];
    let (outcome, _) = call(VALUES, "words", &[0xa0], &answer);
    let error = outcome.unwrap_err();
    assert!(error.ends_with("the peer ended the results' path [0] after 3 bytes, before it was complete"), "{error}");
    // A future whose value never comes.
    let (outcome, _) = call(VALUES, "later", &[7], &[frame(&[], &[0x00])]);
    let error = outcome.unwrap_err();
    assert!(error.ends_with("the peer ended the results' path [0] after 0 bytes, before it was complete"), "{error}");
}
