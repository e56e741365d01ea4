//! Hostile clients against a served module, and hostile peers against the bridge, over TCP, Unix sockets and NATS.
//! Each target runs in a child process of its own (see `wrpc_bridge_interop::hostile`): after every attack it must
//! be alive, its peak resident memory must have grown by less than 64 MiB, and a legitimate call must succeed (or,
//! at the cap on invocations in flight, be refused promptly). A server stopped with attacks in flight returns within
//! its grace period and a second.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::os::unix::net::UnixListener;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt as _;
use wapc_conformance::child;
use wrpc_bridge_interop::hostile::wire::{frame, header, leb, opaque_invocation};
use wrpc_bridge_interop::hostile::{
    API, BULK, BridgeUnderAttack, Connection, GRACE, MAX_IN_FLIGHT, ServerUnderAttack, bridge_in_child, serve_in_child,
};
use wrpc_bridge_interop::nats_server::NatsServer;

/// Runs the child's side of a test, if this process is a child; returns whether it was.
fn as_child() -> bool {
    match child::role() {
        Some(role) if role.starts_with("server ") => serve_in_child(&role),
        Some(role) if role.starts_with("bridge ") => bridge_in_child(&role),
        Some(role) => panic!("unknown role {role}"),
        None => return false,
    }
    true
}

/// `bomb`: a LEB128 u32 of 2^32 - 1.
const BOMB: [u8; 5] = [0xff, 0xff, 0xff, 0xff, 0x0f];

/// The attacks every socket server must survive, in the order the issue lists them; then a stop with some still
/// in flight.
fn socket_attacks(mut server: ServerUnderAttack) {
    let echo = header(API, "echo");
    server.survives("a path length of 2^32 - 1", |s| s.connect().send(&[&echo[..], &BOMB].concat()));
    let bomb = [&echo[..], &[0], &BOMB].concat();
    let _held = server.survives("a data length of 2^32 - 1, then nothing", |s| s.connect().send(&bomb));
    let _held = server.survives("two such connections", |s| [s.connect().send(&bomb), s.connect().send(&bomb)]);
    let silent = server.survives("an invocation header, then nothing", |s| s.connect().send(&echo));
    server.survives("a name length of 2^32 - 1", |s| s.connect().send(&[&[0][..], &BOMB].concat()));
    server.survives("a frame on a path nobody subscribed to", |s| {
        s.connect().send(&[echo.clone(), frame(&[1], b"x")].concat())
    });

    // Bytes after the parameters, in the frame that completes them: the invocation is refused, nothing answered.
    let trailing = [header(API, "echo"), frame(&[], &[&leb(6)[..], b"params", b"junk"].concat())].concat();
    let answer = server.survives("bytes after the parameters", |s| s.connect().send(&trailing).answer());
    assert_eq!(answer, b"");

    // 50,000 numbers, one byte per frame: answered once, not decoded again at every byte.
    let count = 50_000u64;
    let params: Vec<u8> = [leb(count), vec![7; count as usize]].concat();
    let drip: Vec<u8> = params.iter().flat_map(|&byte| frame(&[], &[byte])).collect();
    let answer = server.survives("parameters one byte per frame", |s| {
        s.connect().send(&[header(BULK, "echo-numbers"), drip].concat()).answer()
    });
    assert_eq!(answer, frame(&[], &[&[0][..], &params].concat()), "one root frame holding `ok` and the numbers");

    // An 8 MiB answer nobody reads: the service is still writing it when it stops.
    let large = vec![1; 8 << 20];
    let _unread =
        server.survives("a large answer never read", |s| s.connect().send(&opaque_invocation(API, "echo", &large)));

    // Every place taken: a newcomer is refused after the admission wait, then served once places are free.
    let filling: Vec<Connection> = (0..MAX_IN_FLIGHT).map(|_| server.connect().send(&echo)).collect();
    std::thread::sleep(Duration::from_millis(300));
    server.refuses_promptly();
    drop(filling);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(server.echo(b"room again").unwrap(), b"room again".as_slice());

    // The silent invocation and the unread answer are still in flight.
    let stopping = server.stop();
    drop(silent);
    assert!(stopping <= GRACE + Duration::from_secs(1), "stop took {stopping:?}");
}

#[test]
fn hostile_clients_over_tcp() {
    if as_child() {
        return;
    }
    socket_attacks(ServerUnderAttack::start("hostile_clients_over_tcp", "tcp"));
}

#[test]
fn hostile_clients_over_a_unix_socket() {
    if as_child() {
        return;
    }
    let socket = std::env::temp_dir().join(format!("wrpc-bridge-hostile-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&socket);
    socket_attacks(ServerUnderAttack::start(
        "hostile_clients_over_a_unix_socket",
        &format!("unix {}", socket.display()),
    ));
    let _ = std::fs::remove_file(socket);
}

/// A raw NATS invocation of `instance#function` with `first` as its first parameter bytes: returns the subject its
/// further parameters go to, and the subscription its answer comes on.
async fn nats_invocation(
    nats: &async_nats::Client,
    function: &str,
    first: Vec<u8>,
) -> (String, async_nats::Subscriber) {
    let inbox = nats.new_inbox();
    let mut handshake = nats.subscribe(inbox.clone()).await.unwrap();
    let results = nats.subscribe(format!("{inbox}.results")).await.unwrap();
    let subject = wrpc_transport_nats::invocation_subject("", API, function);
    nats.publish_with_reply(subject, inbox, Bytes::from(first)).await.unwrap();
    let accepted = tokio::time::timeout(Duration::from_secs(5), handshake.next()).await.unwrap().unwrap();
    (format!("{}.params", accepted.reply.unwrap()), results)
}

#[test]
fn hostile_clients_over_nats() {
    if as_child() {
        return;
    }
    let nats_server = NatsServer::start(None);
    let mut server = ServerUnderAttack::start("hostile_clients_over_nats", &format!("nats {}", nats_server.url()));
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    // NATS subscriptions are dropped inside a runtime.
    let _inside = runtime.enter();
    let nats = runtime.block_on(async_nats::connect(nats_server.url())).unwrap();
    let invoke = |first: Vec<u8>| runtime.block_on(nats_invocation(&nats, "echo", first));

    let _silent = server.survives("parameters that never complete", |_| invoke([leb(1000), vec![1, 2]].concat()));
    let (_, mut refused) = server.survives("a parameter length of 2^32 - 1", |_| invoke(BOMB.to_vec()));
    // Refused: an empty answer, the end of the results.
    let answer = runtime.block_on(tokio::time::timeout(Duration::from_secs(5), refused.next())).unwrap().unwrap();
    assert_eq!(answer.payload, Bytes::new());

    // 4 MiB of parameters announced, then 64 MiB sent in messages of 1 MiB.
    server.survives("a flood of parameter messages", |_| {
        let (params, _answers) = invoke([leb(4 << 20), vec![3; 1 << 10]].concat());
        runtime.block_on(async {
            for _ in 0..64 {
                nats.publish(params.clone(), Bytes::from(vec![3; (1 << 20) - 64])).await.unwrap();
            }
            nats.flush().await.unwrap();
        });
    });

    let filling: Vec<_> = (0..MAX_IN_FLIGHT).map(|_| invoke([leb(1000), vec![1]].concat())).collect();
    std::thread::sleep(Duration::from_millis(300));
    server.refuses_promptly();
    drop(filling);

    let stopping = server.stop();
    assert!(stopping <= GRACE + Duration::from_secs(1), "stop took {stopping:?}");
}

/// Reads an invocation from a client of the bridge, then answers it with `answer` and keeps the connection open for
/// `hold`.
fn hostile_peer<S: Read + Write>(mut stream: S, answer: &[u8], hold: Duration) {
    let mut invocation = [0; 256];
    let _ = stream.read(&mut invocation);
    let _ = stream.write_all(answer);
    std::thread::sleep(hold);
}

/// The answers a hostile peer gives the bridge, and the host error text each must end in.
fn peer_attacks() -> Vec<(&'static str, Vec<u8>, Duration, &'static str)> {
    let chunk = vec![9; 64 << 10];
    // Well-formed results as far as they go (`ok`, then a `list<u8>` of 20 MiB), and 20 MiB of bytes: the
    // announced length is past the cap. And the same bytes without the head, which are no results at all.
    let announced = [&[0][..], &leb(20 << 20)].concat();
    let endless: Vec<u8> =
        std::iter::once(frame(&[], &announced)).chain((0..320).map(|_| frame(&[], &chunk))).flatten().collect();
    let junk: Vec<u8> = (0..320).flat_map(|_| frame(&[], &chunk)).collect();
    vec![
        ("a path length of 2^32 - 1", BOMB.to_vec(), Duration::ZERO, "deeper than any subscribed path (0)"),
        (
            "a data length of 2^32 - 1, then nothing",
            [&[0][..], &BOMB].concat(),
            Duration::from_secs(3),
            "exceed the cap of 16777216 bytes",
        ),
        ("20 MiB of results", endless, Duration::ZERO, "exceed the cap of 16777216 bytes"),
        ("20 MiB of junk", junk, Duration::ZERO, "malformed wRPC value: invalid result tag byte 9"),
        (
            "a frame on a path",
            frame(&[1], b"x"),
            Duration::ZERO,
            "a frame path 1 deep, deeper than any subscribed path (0)",
        ),
        ("1 MiB announced, then nothing", [&[0][..], &leb(1 << 20)].concat(), Duration::from_secs(3), "deadline of 2s"),
        ("no answer at all", Vec::new(), Duration::from_secs(3), "deadline of 2s"),
    ]
}

/// Has `bridge` call a hostile peer for each of [`peer_attacks`], the peer taking each connection from `accept`.
fn refuses_every_peer_attack<S: Read + Write>(
    mut bridge: BridgeUnderAttack,
    accept: impl Fn() -> S + Send + Sync + 'static,
) {
    let accept = std::sync::Arc::new(accept);
    for (name, answer, hold, expected) in peer_attacks() {
        let accept = std::sync::Arc::clone(&accept);
        let error = bridge.refuses(name, move || hostile_peer(accept(), &answer, hold));
        assert!(error.ends_with(expected), "{name}: {error}");
    }
}

#[test]
fn hostile_peers_over_tcp() {
    if as_child() {
        return;
    }
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("tcp://{}", listener.local_addr().unwrap());
    let bridge = BridgeUnderAttack::start("hostile_peers_over_tcp", &address);
    refuses_every_peer_attack(bridge, move || listener.accept().unwrap().0);
}

#[test]
fn hostile_peers_over_a_unix_socket() {
    if as_child() {
        return;
    }
    let socket = std::env::temp_dir().join(format!("wrpc-bridge-hostile-peer-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&socket);
    let listener = UnixListener::bind(&socket).unwrap();
    let bridge = BridgeUnderAttack::start("hostile_peers_over_a_unix_socket", &format!("unix://{}", socket.display()));
    refuses_every_peer_attack(bridge, move || listener.accept().unwrap().0);
    let _ = std::fs::remove_file(socket);
}

#[test]
fn hostile_peers_over_nats() {
    if as_child() {
        return;
    }
    let nats_server = NatsServer::start(None);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let _inside = runtime.enter();
    let nats = runtime.block_on(async_nats::connect(nats_server.url())).unwrap();
    let mut invocations =
        runtime.block_on(nats.subscribe(wrpc_transport_nats::invocation_subject("", API, "echo"))).unwrap();
    let mut bridge = BridgeUnderAttack::start("hostile_peers_over_nats", &nats_server.url());

    let (peer, handle) = (nats.clone(), runtime.handle().clone());
    let error = bridge.refuses("20 MiB of results in 1 MiB messages", move || {
        // Everything of NATS's is dropped inside the runtime.
        handle.block_on(async move {
            let invocation = invocations.next().await.unwrap();
            let client = invocation.reply.unwrap();
            peer.publish_with_reply(client.clone(), peer.new_inbox(), Bytes::new()).await.unwrap();
            // `ok`, then a `list<u8>` of 20 MiB.
            let _ = peer.publish(format!("{client}.results"), Bytes::from([&[0][..], &leb(20 << 20)].concat())).await;
            for _ in 0..20 {
                let _ = peer.publish(format!("{client}.results"), Bytes::from(vec![0; (1 << 20) - 64])).await;
            }
            let _ = peer.flush().await;
        });
    });
    assert!(error.ends_with("exceed the cap of 16777216 bytes"), "{error}");
}
