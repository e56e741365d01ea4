//! Streams, futures and resources from a waPC guest through the bridge to a `wit-bindgen-wrpc` 0.11 peer, over
//! TCP, a Unix socket and NATS. The peer sends every stream and future it gives *pending*, their contents on
//! indexed paths; the bridge sends the guest's streams inline, and an empty one pending with its end on its path.

use rmp::encode as mp;
use wapc::WapcHost;
use wrpc_bridge::transport::NatsOptions;
use wrpc_bridge::wit::Catalog;
use wrpc_bridge::{Bridge, Target};
use wrpc_bridge_interop::nats_server::NatsServer;
use wrpc_bridge_interop::peers::{self, Which};
use wrpc_bridge_interop::relay;

const EXAMPLE: &str = "wrpc-example:doc/example@0.1.0";
const VALUES: &str = "wrpc-example:doc/values@0.1.0";
const BLOBS: &str = "wrpc-example:doc/blobs@0.1.0";
const BUCKETS: &str = "wrpc-example:doc/buckets@0.1.0";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

fn catalog() -> Catalog {
    Catalog::load(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/wit/streams"))).unwrap()
}

fn msgpack(write: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut bytes = Vec::new();
    write(&mut bytes);
    bytes
}

fn bin(bytes: &[u8]) -> Vec<u8> {
    msgpack(|b| mp::write_bin(b, bytes).unwrap())
}

fn string(text: &str) -> Vec<u8> {
    msgpack(|b| mp::write_str(b, text).unwrap())
}

fn uint(n: u64) -> Vec<u8> {
    msgpack(|b| {
        mp::write_uint(b, n).unwrap();
    })
}

/// Runs `check` on a relay guest whose bridge reaches the doc peer over TCP, over a Unix socket (named after
/// `test`), and over NATS.
fn on_every_transport(test: &str, check: impl Fn(&WapcHost)) {
    let runtime = runtime();
    let tcp = runtime.block_on(peers::serve_tcp(Which::Doc)).unwrap();
    let bridge = Bridge::builder().target("doc", Target::new(&tcp.address).unwrap().wit(catalog())).build().unwrap();
    check(&relay::host(&bridge));

    let socket = std::env::temp_dir().join(format!("wrpc-bridge-{test}-{}.sock", std::process::id()));
    let unix = runtime.block_on(peers::serve_unix(Which::Doc, &socket)).unwrap();
    let bridge = Bridge::builder().target("doc", Target::new(&unix.address).unwrap().wit(catalog())).build().unwrap();
    check(&relay::host(&bridge));
    let _ = std::fs::remove_file(&socket);

    let server = NatsServer::start(None);
    let _nats = runtime.block_on(peers::serve_nats(Which::Doc, &server.url(), "doc")).unwrap();
    let mut options = NatsOptions::default();
    options.prefix = "doc".to_owned();
    let target = Target::new(&server.url()).unwrap().wit(catalog()).nats(options);
    check(&relay::host(&Bridge::builder().target("doc", target).build().unwrap()));
}

#[test]
fn the_wrpc_readme_example() {
    on_every_transport("the-wrpc-readme-example", |host| {
        // foo(v: rec { a: stream<u8>, b: u32 }) -> stream<u8>: `a` inline, the answer pending on path 0.
        let v = msgpack(|b| {
            mp::write_map_len(b, 2).unwrap();
            mp::write_str(b, "a").unwrap();
            mp::write_bin(b, b"ab").unwrap();
            mp::write_str(b, "b").unwrap();
            mp::write_uint(b, 3).unwrap();
        });
        assert_eq!(relay::call(host, "doc", EXAMPLE, "foo", &v).unwrap(), bin(b"ababab"));
        // An empty `a` goes pending, its end on path 0.0; an empty answer comes back as an empty bin.
        let empty = msgpack(|b| {
            mp::write_array_len(b, 2).unwrap();
            mp::write_bin(b, b"").unwrap();
            mp::write_uint(b, 0).unwrap();
        });
        assert_eq!(relay::call(host, "doc", EXAMPLE, "foo", &empty).unwrap(), [0xc4, 0x00]);
    });
}

#[test]
fn streams_of_strings_and_records() {
    on_every_transport("streams-of-strings-and-r", |host| {
        let words = msgpack(|b| {
            mp::write_array_len(b, 3).unwrap();
            for word in ["hello", "big", "world"] {
                mp::write_str(b, word).unwrap();
            }
        });
        assert_eq!(relay::call(host, "doc", VALUES, "words", &string("hello big  world")).unwrap(), words);

        let items = msgpack(|b| {
            mp::write_array_len(b, 5).unwrap();
            for i in 0..5u64 {
                mp::write_map_len(b, 2).unwrap();
                mp::write_str(b, "name").unwrap();
                mp::write_str(b, &format!("item-{i}")).unwrap();
                mp::write_str(b, "size").unwrap();
                mp::write_uint(b, i * 10).unwrap();
            }
        });
        assert_eq!(relay::call(host, "doc", VALUES, "items", &uint(5)).unwrap(), items);

        // A stream parameter: inline when it has strings, pending with its end on path 0 when it has none.
        let counted = |strings: &[&str]| {
            let stream = msgpack(|b| {
                mp::write_array_len(b, strings.len() as u32).unwrap();
                strings.iter().for_each(|s| mp::write_str(b, s).unwrap());
            });
            relay::call(host, "doc", VALUES, "count", &stream).unwrap()
        };
        assert_eq!(counted(&["a", "bb", "ccc"]), [0x92, 3, 6]);
        assert_eq!(counted(&[]), [0x92, 0, 0]);
    });
}

#[test]
fn futures() {
    on_every_transport("futures", |host| {
        assert_eq!(relay::call(host, "doc", VALUES, "later", &uint(7)).unwrap(), [7]);
        let bytes: Vec<u8> = (0..300u32).map(|i| (i % 251) as u8).collect();
        assert_eq!(relay::call(host, "doc", VALUES, "later-bytes", &uint(300)).unwrap(), bin(&bytes));
        // A future parameter goes ready, inline.
        assert_eq!(relay::call(host, "doc", VALUES, "addLater", &[0x92, 40, 2]).unwrap(), [42]);
        // `future` without a value: nil once ready.
        assert_eq!(relay::call(host, "doc", VALUES, "done", &[]).unwrap(), [0xc0]);
    });
}

#[test]
fn a_blob_store_moves_8_mib_each_way() {
    let blob: Vec<u8> = (0..8u32 << 20).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    on_every_transport("a-blob-store-moves-8-mib", |host| {
        let write = msgpack(|b| {
            mp::write_array_len(b, 2).unwrap();
            mp::write_str(b, "big").unwrap();
            mp::write_bin(b, &blob).unwrap();
        });
        assert_eq!(relay::call(host, "doc", BLOBS, "write", &write).unwrap(), uint(8 << 20));
        let read = relay::call(host, "doc", BLOBS, "read", &string("big")).unwrap();
        assert_eq!(read.get(..5), Some([0xc6, 0x00, 0x80, 0x00, 0x00].as_slice()));
        assert!(read.get(5..) == Some(blob.as_slice()), "the blob read back differs");
        // The `err` of a single `result` is the host error's text.
        let unnamed = msgpack(|b| {
            mp::write_array_len(b, 2).unwrap();
            mp::write_str(b, "").unwrap();
            mp::write_bin(b, b"x").unwrap();
        });
        assert_eq!(relay::call(host, "doc", BLOBS, "write", &unnamed).unwrap_err(), "Host error: a blob needs a name");
    });
}

#[test]
fn a_resource_made_used_and_found_again() {
    on_every_transport("a-resource-made-used-and", |host| {
        // The constructor `[constructor]bucket` is invoked as `bucket`; its handle is the peer's bytes, opaque.
        let handle = relay::call(host, "doc", BUCKETS, "bucket", &string("b1")).unwrap();
        assert_eq!(handle, bin(b"bucket:b1"));
        // A method takes the handle first (`self`), positionally or by name.
        let set = msgpack(|b| {
            mp::write_array_len(b, 3).unwrap();
            b.extend_from_slice(&handle);
            mp::write_str(b, "colour").unwrap();
            mp::write_str(b, "blue").unwrap();
        });
        assert_eq!(relay::call(host, "doc", BUCKETS, "bucket.set", &set).unwrap(), [0xc0]);
        let get = msgpack(|b| {
            mp::write_map_len(b, 2).unwrap();
            mp::write_str(b, "self").unwrap();
            b.extend_from_slice(&handle);
            mp::write_str(b, "key").unwrap();
            mp::write_str(b, "colour").unwrap();
        });
        assert_eq!(relay::call(host, "doc", BUCKETS, "bucket.get", &get).unwrap(), string("blue"));
        // A static function: `[static]bucket.open`, invoked as `bucket.open`.
        assert_eq!(relay::call(host, "doc", BUCKETS, "bucket.open", &string("b1")).unwrap(), handle);
        assert_eq!(
            relay::call(host, "doc", BUCKETS, "bucket.open", &string("nope")).unwrap_err(),
            "Host error: no bucket named nope"
        );
        // A handle is bin: anything else does not fit.
        let error = relay::call(host, "doc", BUCKETS, "bucket.get", &[0x92, 0xa1, b'x', 0xa1, b'k']).unwrap_err();
        assert!(
            error.ends_with("at `params.self`: expected bin (the bytes of a borrow<bucket>), found the str \"x\""),
            "{error}"
        );
    });
}
