//! The bridge against `wit-bindgen-wrpc` peers over a real nats-server: prefixes, payloads past `max_payload`,
//! user/password, token and credentials-file authentication, TLS, a server that goes away and comes back, and a
//! waPC module served over NATS.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;

use wrpc_bridge::transport::NatsOptions;
use wrpc_bridge::wit::Catalog;
use wrpc_bridge::{Address, Bridge, ConfigError, ServiceBuilder, Target};
use wrpc_bridge_interop::accounts::Accounts;
use wrpc_bridge_interop::certificates::Certificates;
use wrpc_bridge_interop::nats_server::NatsServer;
use wrpc_bridge_interop::peers::legacy_client::legacy::guest::api;
use wrpc_bridge_interop::peers::{self, Which};
use wrpc_bridge_interop::relay;

const TYPES: &str = "test:bridge/types@0.1.0";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

fn catalog() -> Catalog {
    Catalog::load(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/wit/types"))).unwrap()
}

fn options(prefix: &str) -> NatsOptions {
    let mut options = NatsOptions::default();
    options.prefix = prefix.to_owned();
    options
}

fn uint(n: u64) -> Vec<u8> {
    let mut bytes = Vec::new();
    rmp::encode::write_uint(&mut bytes, n).unwrap();
    bytes
}

#[test]
fn results_larger_than_max_payload_arrive_whole() {
    let server = NatsServer::start(Some("max_payload: 4096\n"));
    let runtime = runtime();
    let _peer = runtime.block_on(peers::serve_nats(Which::Types, &server.url(), "big")).unwrap();
    let target = Target::new(&server.url()).unwrap().wit(catalog()).nats(options("big"));
    let bridge = Bridge::builder().target("t", target).build().unwrap();
    let host = relay::host(&bridge);
    let answer = relay::call(&host, "t", TYPES, "big", &uint(100_000)).unwrap();
    let expected: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    assert_eq!(&answer[..5], [0xc6, 0x00, 0x01, 0x86, 0xa0]);
    assert_eq!(&answer[5..], expected);
}

#[test]
fn parameters_larger_than_max_payload_arrive_whole() {
    let server = NatsServer::start(Some("max_payload: 4096\n"));
    let runtime = runtime();
    let _peer = runtime.block_on(peers::serve_nats(Which::Types, &server.url(), "big")).unwrap();
    let target = Target::new(&server.url()).unwrap().wit(catalog()).nats(options("big"));
    let bridge = Bridge::builder().target("t", target).build().unwrap();
    let host = relay::host(&bridge);
    let bytes: Vec<u8> = (0..50_000u32).map(|i| (i % 241) as u8).collect();
    let mut payload = Vec::new();
    rmp::encode::write_bin(&mut payload, &bytes).unwrap();
    assert_eq!(relay::call(&host, "t", TYPES, "echoBytes", &payload).unwrap(), payload);
}

#[test]
fn invocations_carry_the_guests_binding_namespace_and_operation_as_headers() {
    use futures::StreamExt as _;

    let server = NatsServer::start(None);
    let runtime = runtime();
    let nats = runtime.block_on(async_nats::connect(server.url())).unwrap();
    let mut invocations = runtime.block_on(nats.subscribe("hdr.>")).unwrap();
    runtime.block_on(nats.flush()).unwrap();
    let target = Target::new(&server.url()).unwrap().wit(catalog()).nats(options("hdr"));
    let bridge = Bridge::builder().target("t", target).deadline(Duration::from_millis(200)).build().unwrap();
    let host = relay::host(&bridge);
    // Nobody serves `hdr`: the call times out, but its invocation was published.
    relay::call(&host, "t", TYPES, "nothing", b"").unwrap_err();
    // (The subscription is used and dropped inside the runtime, which async-nats needs.)
    let invocation = runtime
        .block_on(async move { tokio::time::timeout(Duration::from_secs(5), invocations.next()).await })
        .unwrap()
        .unwrap();
    assert!(invocation.subject.ends_with("test:bridge/types@0.1.0.nothing"), "{}", invocation.subject);
    let headers = invocation.headers.unwrap();
    assert_eq!(headers.get("wapc-binding").map(|v| v.as_str()), Some("t"));
    assert_eq!(headers.get("wapc-namespace").map(|v| v.as_str()), Some(TYPES));
    assert_eq!(headers.get("wapc-operation").map(|v| v.as_str()), Some("nothing"));
}

#[test]
fn a_line_break_in_a_guests_names_is_a_host_error() {
    let server = NatsServer::start(None);
    let target = Target::new(&server.url()).unwrap().nats(options("lines"));
    let bridge = Bridge::builder().target("t", target).deadline(Duration::from_millis(200)).build().unwrap();
    let host = relay::host(&bridge);
    // async-nats panics on a header value holding a line break: the call must fail before that, as a host error.
    let error = relay::call(&host, "t", "legacy:guest/api", "echo\r\ninjected", b"x").unwrap_err();
    let expected = format!(
        "Host error: calling `legacy:guest/api#echo\r\ninjected` on `t` ({}) failed: the operation \"echo\\r\\ninjected\" cannot be \
         sent as a NATS header: it holds a line break",
        server.url()
    );
    assert_eq!(error, expected);
}

#[test]
fn user_and_password_are_checked() {
    let with = |password: &str| {
        let mut options = options("auth");
        options.user = Some("bridge".to_owned());
        options.password = Some(password.to_owned());
        options
    };
    check_connect_options(
        "authorization { user: bridge, password: s3cret }",
        async_nats::ConnectOptions::with_user_and_password("bridge".into(), "s3cret".into()),
        with("s3cret"),
        (with("wrong"), "authorization violation"),
    );
}

#[test]
fn tokens_are_checked() {
    let with = |token: &str| {
        let mut options = options("auth");
        options.token = Some(token.to_owned());
        options
    };
    check_connect_options(
        "authorization { token: t0ken }",
        async_nats::ConnectOptions::with_token("t0ken".into()),
        with("t0ken"),
        (with("wrong"), "authorization violation"),
    );
}

#[test]
fn tls_servers_are_verified_with_the_given_root_certificates() {
    let certificates = Certificates::for_loopback();
    let with = |roots: Option<&Path>| {
        let mut options = options("auth");
        options.tls = true;
        options.root_certificates = roots.map(Path::to_path_buf);
        options
    };
    check_connect_options(
        &certificates.nats_server_tls(),
        async_nats::ConnectOptions::new().require_tls(true).add_root_certificates(certificates.authority().into()),
        with(Some(certificates.authority())),
        (with(None), "unknownissuer"),
    );
}

#[test]
fn credentials_files_are_checked() {
    let accounts = Accounts::new();
    let (user, stranger) = (accounts.user(), Accounts::stranger());
    let with = |credentials: &Path| {
        let mut options = options("auth");
        options.credentials = Some(credentials.to_path_buf());
        options
    };
    let peer = async_nats::ConnectOptions::with_credentials(&std::fs::read_to_string(user.path()).unwrap()).unwrap();
    check_connect_options(
        &accounts.nats_server_config(),
        peer,
        with(user.path()),
        (with(stranger.path()), "authorization violation"),
    );
}

/// Starts a server with `config` and a peer connected with `peer`, then checks that a bridge with the `refused`
/// options fails to connect with an error naming its target and containing `refusal` (in lower case), and that
/// one with the `accepted` options calls the peer.
fn check_connect_options(
    config: &str,
    peer: async_nats::ConnectOptions,
    accepted: NatsOptions,
    (refused, refusal): (NatsOptions, &str),
) {
    let server = NatsServer::start(Some(&format!("{config}\n")));
    let bridge = |options| {
        Bridge::builder().target("t", Target::new(&server.url()).unwrap().wit(catalog()).nats(options)).build()
    };
    match bridge(refused) {
        Err(ConfigError::Connect { target, message, .. }) => {
            assert_eq!(target, "t");
            assert!(message.to_lowercase().contains(refusal), "{message}");
        }
        other => panic!("expected the connection to be refused, got {other:?}"),
    }
    let runtime = runtime();
    let _peer = runtime.block_on(async {
        let nats = peer.connect(server.url()).await.unwrap();
        let client = wrpc_transport_nats::Client::new(nats, "auth", None).await.unwrap();
        peers::serve_client(Which::Types, client).await.unwrap()
    });
    let host = relay::host(&bridge(accepted).unwrap());
    assert_eq!(relay::call(&host, "t", TYPES, "nothing", b"").unwrap(), [0xc0]);
}

#[test]
fn calls_fail_while_the_server_is_down_and_work_once_it_is_back() {
    let mut server = NatsServer::start(None);
    let runtime = runtime();
    let peer = runtime.block_on(peers::serve_nats(Which::Types, &server.url(), "restart")).unwrap();
    let target = Target::new(&server.url()).unwrap().wit(catalog()).nats(options("restart"));
    let bridge = Bridge::builder().target("t", target).deadline(Duration::from_millis(500)).build().unwrap();
    let host = relay::host(&bridge);
    assert_eq!(relay::call(&host, "t", TYPES, "nothing", b"").unwrap(), [0xc0]);

    server.stop();
    drop(peer);
    // Let async-nats notice the closed socket. A call in the instant before it does is queued by async-nats and
    // sent on reconnecting; upstream wRPC servers read an invocation's parameters inside their serve stream, so
    // such a stale invocation (whose caller is gone) would hold up that function on the new peer.
    std::thread::sleep(Duration::from_millis(300));
    for _ in 0..3 {
        let started = Instant::now();
        let error = relay::call(&host, "t", TYPES, "nothing", b"").unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(1), "took {:?}", started.elapsed());
        assert!(error.contains("on `t` (nats://127.0.0.1:"), "{error}");
    }

    server.restart();
    // The bridge's connection comes back by itself; the test peer connects anew.
    let started = Instant::now();
    let _peer = loop {
        match runtime.block_on(peers::serve_nats(Which::Types, &server.url(), "restart")) {
            Ok(peer) => break peer,
            // A server that has only just started may still reset connections.
            Err(error) => assert!(started.elapsed() < Duration::from_secs(10), "the peer cannot connect: {error}"),
        }
    };
    loop {
        match relay::call(&host, "t", TYPES, "nothing", b"") {
            Ok(answer) => break assert_eq!(answer, [0xc0]),
            Err(error) => assert!(started.elapsed() < Duration::from_secs(10), "still failing: {error}"),
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_served_module_answers_nats_clients_and_finishes_calls_in_flight_when_stopped() {
    let server = NatsServer::start(None);
    let service = ServiceBuilder::new(Arc::new(relay::echoing_host(Duration::from_millis(300))))
        .opaque("legacy:guest/api@0.1.0", ["relay"])
        .nats(options("legacy"))
        .serve(&Address::Nats(server.url()))
        .unwrap();

    let runtime = runtime();
    let client = runtime.block_on(async {
        let nats = async_nats::connect(server.url()).await.unwrap();
        Arc::new(wrpc_transport_nats::Client::new(nats, "legacy", None).await.unwrap())
    });
    let request = Bytes::from_static(b"b\0n\0o\0first");
    let first = runtime.block_on(api::relay(client.as_ref(), None, &request)).unwrap();
    assert_eq!(first, Ok(Bytes::from_static(b"first")));

    let in_flight = runtime.spawn({
        let client = Arc::clone(&client);
        async move { api::relay(client.as_ref(), None, &Bytes::from_static(b"b\0n\0o\0in flight")).await }
    });
    std::thread::sleep(Duration::from_millis(100));
    let stopping = Instant::now();
    service.stop();
    assert!(stopping.elapsed() >= Duration::from_millis(100), "stop returned before the call in flight finished");
    let answer = runtime.block_on(async { tokio::time::timeout(Duration::from_secs(10), in_flight).await });
    let answer = answer.expect("the answer to the call in flight never arrived").unwrap();
    assert_eq!(answer.expect("the call in flight was cut off"), Ok(Bytes::from_static(b"in flight")));

    let late = runtime.block_on(async {
        tokio::time::timeout(Duration::from_secs(2), api::relay(client.as_ref(), None, &request)).await
    });
    assert!(!matches!(late, Ok(Ok(_))), "served after stop: {late:?}");
}
