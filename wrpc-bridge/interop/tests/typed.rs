//! Every supported WIT type, from a real guest through `WapcHost` and the bridge to a `wit-bindgen-wrpc`
//! peer over a Unix socket and back, checked byte for byte; and a keyvalue service over TCP.

use rmp::encode as mp;
use wrpc_bridge::wit::Catalog;
use wrpc_bridge::{Bridge, Target};
use wrpc_bridge_interop::peers::{self, Which};
use wrpc_bridge_interop::relay;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

fn catalog(folder: &str) -> Catalog {
    Catalog::load(std::path::Path::new(&format!("{}/wit/{folder}", env!("CARGO_MANIFEST_DIR")))).unwrap()
}

/// An `everything` record, with numbers at their limits, in the canonical MessagePack the bridge writes.
fn everything() -> Vec<u8> {
    let mut b = Vec::new();
    mp::write_map_len(&mut b, 22).unwrap();
    let key = |b: &mut Vec<u8>, k: &str| mp::write_str(b, k).unwrap();
    key(&mut b, "a-bool");
    mp::write_bool(&mut b, true).unwrap();
    key(&mut b, "a-s8");
    mp::write_sint(&mut b, -128).unwrap();
    key(&mut b, "a-s16");
    mp::write_sint(&mut b, -32768).unwrap();
    key(&mut b, "a-s32");
    mp::write_sint(&mut b, i64::from(i32::MIN)).unwrap();
    key(&mut b, "a-s64");
    mp::write_sint(&mut b, i64::MIN).unwrap();
    key(&mut b, "a-u8");
    mp::write_uint(&mut b, 255).unwrap();
    key(&mut b, "a-u16");
    mp::write_uint(&mut b, 65535).unwrap();
    key(&mut b, "a-u32");
    mp::write_uint(&mut b, u64::from(u32::MAX)).unwrap();
    key(&mut b, "a-u64");
    mp::write_uint(&mut b, u64::MAX).unwrap();
    key(&mut b, "a-f32");
    mp::write_f32(&mut b, -1.5e38).unwrap();
    key(&mut b, "a-f64");
    mp::write_f64(&mut b, f64::MIN_POSITIVE).unwrap();
    key(&mut b, "a-char");
    mp::write_str(&mut b, "🦀").unwrap();
    key(&mut b, "a-string");
    mp::write_str(&mut b, "héllo, wörld").unwrap();
    key(&mut b, "bytes");
    mp::write_bin(&mut b, &[0, 1, 2, 254, 255]).unwrap();
    key(&mut b, "points");
    mp::write_array_len(&mut b, 2).unwrap();
    for (x, y) in [(1, -1), (i64::from(i32::MAX), i64::from(i32::MIN))] {
        mp::write_map_len(&mut b, 2).unwrap();
        key(&mut b, "x");
        mp::write_sint(&mut b, x).unwrap();
        key(&mut b, "y");
        mp::write_sint(&mut b, y).unwrap();
    }
    key(&mut b, "pair");
    mp::write_array_len(&mut b, 2).unwrap();
    mp::write_uint(&mut b, 7).unwrap();
    mp::write_str(&mut b, "seven").unwrap();
    key(&mut b, "shape");
    mp::write_map_len(&mut b, 1).unwrap();
    key(&mut b, "circle");
    mp::write_f64(&mut b, 2.5).unwrap();
    key(&mut b, "color");
    mp::write_str(&mut b, "green").unwrap();
    key(&mut b, "perms");
    mp::write_array_len(&mut b, 2).unwrap();
    mp::write_str(&mut b, "read").unwrap();
    mp::write_str(&mut b, "exec").unwrap();
    key(&mut b, "maybe");
    mp::write_nil(&mut b).unwrap();
    key(&mut b, "maybe-maybe");
    mp::write_map_len(&mut b, 1).unwrap();
    key(&mut b, "some");
    mp::write_nil(&mut b).unwrap();
    key(&mut b, "outcome");
    mp::write_map_len(&mut b, 1).unwrap();
    key(&mut b, "err");
    mp::write_str(&mut b, "bad").unwrap();
    b
}

#[test]
fn every_type_round_trips_over_a_unix_socket() {
    let runtime = runtime();
    let socket = std::env::temp_dir().join(format!("wrpc-bridge-types-{}.sock", std::process::id()));
    let peer = runtime.block_on(peers::serve_unix(Which::Types, &socket)).unwrap();
    let bridge =
        Bridge::builder().target("t", Target::new(&peer.address).unwrap().wit(catalog("types"))).build().unwrap();
    let host = relay::host(&bridge);
    let value = everything();
    assert_eq!(relay::call(&host, "t", "test:bridge/types@0.1.0", "roundtrip", &value).unwrap(), value);
    let _ = std::fs::remove_file(socket);
}

fn str_args(args: &[&str]) -> Vec<u8> {
    let mut b = Vec::new();
    mp::write_array_len(&mut b, u32::try_from(args.len()).unwrap()).unwrap();
    for arg in args {
        mp::write_str(&mut b, arg).unwrap();
    }
    b
}

#[test]
fn a_keyvalue_service_with_result_errors() {
    const STORE: &str = "test:keyvalue/store@0.1.0";
    let runtime = runtime();
    let peer = runtime.block_on(peers::serve_tcp(Which::KeyValue)).unwrap();
    let bridge =
        Bridge::builder().target("kv", Target::new(&peer.address).unwrap().wit(catalog("keyvalue"))).build().unwrap();
    let host = relay::host(&bridge);
    let call = |operation: &str, payload: &[u8]| relay::call(&host, "kv", STORE, operation, payload);

    assert_eq!(call("get", &str_args(&["b", "k"])).unwrap(), [0xc0]);
    assert_eq!(call("exists", &str_args(&["b", "k"])).unwrap(), [0xc2]);
    let mut set = Vec::new();
    mp::write_array_len(&mut set, 3).unwrap();
    mp::write_str(&mut set, "b").unwrap();
    mp::write_str(&mut set, "k").unwrap();
    mp::write_bin(&mut set, b"value").unwrap();
    assert_eq!(call("set", &set).unwrap(), [0xc0]);
    assert_eq!(call("get", &str_args(&["b", "k"])).unwrap(), [&[0xc4, 5][..], b"value"].concat());
    assert_eq!(call("exists", &str_args(&["b", "k"])).unwrap(), [0xc3]);
    assert_eq!(call("delete", &str_args(&["b", "k"])).unwrap(), [0xc0]);
    assert_eq!(call("exists", &str_args(&["b", "k"])).unwrap(), [0xc2]);
    // A non-string error type arrives as its WAVE text.
    assert_eq!(call("get", &str_args(&["denied", "k"])).unwrap_err(), "Host error: access-denied");
    assert_eq!(call("delete", &str_args(&["", "k"])).unwrap_err(), "Host error: no-such-store");
}
