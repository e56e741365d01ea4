//! Streams, futures and resources the other way: a waPC module's `echo` operation served as the functions of
//! `wrpc-example:doc/mirror`, called by a `wit-bindgen-wrpc` 0.11 client over TCP, a Unix socket and NATS. The
//! client sends every stream and future pending, on indexed paths; the service collects them before calling the
//! guest, and answers them inline (an empty stream pending, its end on its path). A resource's handle is what the
//! guest makes of it: here `echo` gives the constructor's argument back as the handle's bytes.

use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt as _;
use wapc::WapcHost;
use wapc_conformance::guests::GUEST_OURS;
use wasmtime_provider::WasmtimeEngineProviderBuilder;
use wrpc_bridge::transport::NatsOptions;
use wrpc_bridge::wit::Catalog;
use wrpc_bridge::{Address, ServiceBuilder};
use wrpc_bridge_interop::nats_server::NatsServer;
use wrpc_bridge_interop::peers::doc_client::wrpc_example::doc::mirror::{self, Item, Rec, Token};

const MIRROR: &str = "wrpc-example:doc/mirror@0.1.0";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

/// A service of the `mirror` interface, every function answered by the guest's `echo`.
fn mirror_service() -> ServiceBuilder {
    let catalog = Catalog::load(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/wit/streams"))).unwrap();
    let interface = catalog.interface(MIRROR).unwrap();
    let engine = WasmtimeEngineProviderBuilder::new().module_bytes(GUEST_OURS).build().unwrap();
    let host = Arc::new(WapcHost::new(Box::new(engine), None).unwrap());
    let functions = interface.functions.keys().cloned().collect::<Vec<_>>();
    functions
        .into_iter()
        .fold(ServiceBuilder::new(host).typed(interface), |service, function| service.alias(function, "echo"))
}

/// Awaits `value` while driving the client's I/O for the call, as wit-bindgen-wrpc asks of its callers.
async fn with_io<T>(value: impl Future<Output = T>, io: Option<impl Future<Output = anyhow::Result<()>>>) -> T {
    let io = async {
        if let Some(io) = io {
            io.await.expect("the client's I/O failed");
        }
    };
    futures::join!(value, io).0
}

async fn echo_everything<C>(client: &C, cx: C::Context)
where
    C: wrpc_transport::Invoke,
    C::Context: Clone,
{
    // A stream<u8> of 1 MiB in 64 KiB chunks, and an empty one.
    let data: Vec<u8> = (0..1u32 << 20).map(|i| (i % 253) as u8).collect();
    let chunks: Vec<Bytes> = data.chunks(64 << 10).map(Bytes::copy_from_slice).collect();
    let (echoed, io) = mirror::echo_bytes(client, cx.clone(), Box::pin(futures::stream::iter(chunks))).await.unwrap();
    assert_eq!(with_io(echoed.collect::<Vec<Bytes>>(), io).await.concat(), data);
    let (echoed, io) = mirror::echo_bytes(client, cx.clone(), Box::pin(futures::stream::empty())).await.unwrap();
    assert_eq!(with_io(echoed.collect::<Vec<Bytes>>(), io).await.concat(), b"");

    // stream<string> and stream<record>, in several chunks.
    let words = vec![vec!["a".to_owned(), "bb".to_owned()], vec!["ccc".to_owned()]];
    let (echoed, io) = mirror::echo_words(client, cx.clone(), Box::pin(futures::stream::iter(words))).await.unwrap();
    assert_eq!(with_io(echoed.collect::<Vec<_>>(), io).await.concat(), ["a", "bb", "ccc"]);
    let items: Vec<Item> = (0..5).map(|i| Item { name: format!("item-{i}"), size: i }).collect();
    let chunks = items.chunks(2).map(<[Item]>::to_vec).collect::<Vec<_>>();
    let (echoed, io) = mirror::echo_items(client, cx.clone(), Box::pin(futures::stream::iter(chunks))).await.unwrap();
    let echoed = with_io(echoed.collect::<Vec<_>>(), io).await.concat();
    assert_eq!(
        echoed.iter().map(|item| (item.name.as_str(), item.size)).collect::<Vec<_>>(),
        [("item-0", 0), ("item-1", 1), ("item-2", 2), ("item-3", 3), ("item-4", 4)]
    );

    // The wRPC README's record: its stream in a field, on path 0.0.
    let rec = Rec { a: Box::pin(futures::stream::iter([Bytes::from_static(b"xy"), Bytes::from_static(b"z")])), b: 5 };
    let (echoed, io) = mirror::echo_rec(client, cx.clone(), rec).await.unwrap();
    let b = echoed.b;
    assert_eq!((with_io(echoed.a.collect::<Vec<Bytes>>(), io).await.concat(), b), (b"xyz".to_vec(), 5));

    // future<u32> and future<list<u8>>, sent pending.
    let (echoed, io) = mirror::echo_future(client, cx.clone(), Box::pin(async { 9 })).await.unwrap();
    assert_eq!(with_io(echoed, io).await, 9);
    let bytes = Bytes::from_static(b"later");
    let (echoed, io) = mirror::echo_future_bytes(client, cx.clone(), Box::pin(async move { bytes })).await.unwrap();
    assert_eq!(with_io(echoed, io).await, Bytes::from_static(b"later"));

    // A resource: the guest's bytes are the handle.
    let token = Token::new(client, cx.clone(), &Bytes::from_static(b"t-1")).await.unwrap();
    assert_eq!(AsRef::<[u8]>::as_ref(&token), b"t-1");
    assert_eq!(Token::id(client, cx, &token.as_borrow()).await.unwrap(), Bytes::from_static(b"t-1"));
}

#[test]
fn over_tcp() {
    let service = mirror_service().serve(&"tcp://127.0.0.1:0".parse::<Address>().unwrap()).unwrap();
    let Address::Tcp(address) = service.address().clone() else { panic!("not a TCP address") };
    runtime().block_on(echo_everything(&wrpc_transport::tcp::Client::from(address), ()));
    service.stop();
}

#[test]
fn over_a_unix_socket() {
    let socket = std::env::temp_dir().join(format!("wrpc-bridge-serve-streams-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&socket);
    let service = mirror_service().serve(&Address::Unix(socket.clone())).unwrap();
    runtime().block_on(echo_everything(&wrpc_transport::unix::Client::from(socket.clone()), ()));
    service.stop();
    let _ = std::fs::remove_file(socket);
}

#[test]
fn over_nats() {
    let server = NatsServer::start(None);
    let mut options = NatsOptions::default();
    options.prefix = "mirror".to_owned();
    let service = mirror_service().nats(options).serve(&Address::Nats(server.url())).unwrap();
    let runtime = runtime();
    let client = runtime.block_on(async {
        let nats = async_nats::connect(server.url()).await.unwrap();
        wrpc_transport_nats::Client::new(nats, "mirror", None).await.unwrap()
    });
    runtime.block_on(echo_everything(&client, None));
    service.stop();
}
