//! The bridge against `wit-bindgen-wrpc` peers over TCP: typed values through a real guest, a keyvalue
//! service, errors, deadlines, caps and routing.

use std::time::{Duration, Instant};

use wrpc_bridge::wit::Catalog;
use wrpc_bridge::{Bridge, BridgeConfig, CallError, Target};
use wrpc_bridge_interop::peers::{self, Which};
use wrpc_bridge_interop::relay;

const TYPES: &str = "test:bridge/types@0.1.0";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

fn catalog(folder: &str) -> Catalog {
    Catalog::load(std::path::Path::new(&format!("{}/wit/{folder}", env!("CARGO_MANIFEST_DIR")))).unwrap()
}

fn msgpack(write: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut bytes = Vec::new();
    write(&mut bytes);
    bytes
}

#[test]
fn two_parameters_by_position_and_by_name() {
    let runtime = runtime();
    let peer = runtime.block_on(peers::serve_tcp(Which::Types)).unwrap();
    let bridge =
        Bridge::builder().target("t", Target::new(&peer.address).unwrap().wit(catalog("types"))).build().unwrap();
    let host = relay::host(&bridge);
    let positional = msgpack(|b| {
        rmp::encode::write_array_len(b, 2).unwrap();
        rmp::encode::write_sint(b, 40).unwrap();
        rmp::encode::write_sint(b, 2).unwrap();
    });
    assert_eq!(relay::call(&host, "t", TYPES, "add", &positional).unwrap(), [42]);
    let named = msgpack(|b| {
        rmp::encode::write_map_len(b, 2).unwrap();
        rmp::encode::write_str(b, "b").unwrap();
        rmp::encode::write_sint(b, -50).unwrap();
        rmp::encode::write_str(b, "a").unwrap();
        rmp::encode::write_sint(b, 8).unwrap();
    });
    assert_eq!(
        relay::call(&host, "t", TYPES, "add", &named).unwrap(),
        msgpack(|b| {
            rmp::encode::write_sint(b, -42).unwrap();
        })
    );
    // No parameters, no results: nil in, nil out; the namespace may leave out the version.
    assert_eq!(relay::call(&host, "t", "test:bridge/types", "nothing", b"").unwrap(), [0xc0]);
}

#[test]
fn result_errors_arrive_as_the_guests_host_error_text() {
    let runtime = runtime();
    let peer = runtime.block_on(peers::serve_tcp(Which::Types)).unwrap();
    let bridge =
        Bridge::builder().target("t", Target::new(&peer.address).unwrap().wit(catalog("types"))).build().unwrap();
    let host = relay::host(&bridge);
    let text = |s: &str| msgpack(|b| rmp::encode::write_str(b, s).unwrap());
    assert_eq!(relay::call(&host, "t", TYPES, "fail", &text("")).unwrap(), [7]);
    assert_eq!(relay::call(&host, "t", TYPES, "fail", &text("out of stock")).unwrap_err(), "Host error: out of stock");
    let code = msgpack(|b| {
        rmp::encode::write_uint(b, 404).unwrap();
    });
    assert_eq!(
        relay::call(&host, "t", TYPES, "failTyped", &code).unwrap_err(),
        r#"Host error: {code: 404, reason: "refused"}"#
    );
}

#[test]
fn unrouted_calls_are_refused_or_go_to_the_fallback() {
    let runtime = runtime();
    let peer = runtime.block_on(peers::serve_tcp(Which::Types)).unwrap();
    let target = || Target::new(&peer.address).unwrap().wit(catalog("types"));
    let host = relay::host(&Bridge::builder().target("t", target()).build().unwrap());
    assert_eq!(
        relay::call(&host, "other", TYPES, "add", b"").unwrap_err(),
        "Host error: no route for other/test:bridge/types@0.1.0/add: the bridge forwards only the calls it is configured for"
    );
    assert!(relay::call(&host, "t", TYPES, "no-such-function", b"").unwrap_err().contains("no route for"));
    let bridge = Bridge::builder()
        .target("t", target())
        .fallback(|_, binding, namespace, operation, payload| {
            Ok([binding.as_bytes(), namespace.as_bytes(), operation.as_bytes(), payload].concat())
        })
        .build()
        .unwrap();
    let host = relay::host(&bridge);
    assert_eq!(relay::call(&host, "local", "ns", "op", b"!").unwrap(), b"localnsop!");
}

#[test]
fn functions_the_bridge_cannot_carry_are_refused_by_name_and_the_rest_of_the_package_works() {
    let runtime = runtime();
    let peer = runtime.block_on(peers::serve_tcp(Which::Types)).unwrap();
    let wit = "package test:bridge@0.1.0;
        interface types {
            add: func(a: s64, b: s64) -> s64;
            blob: func(name: string) -> list<stream<u8>>;
            resource bucket { get: async func(key: string) -> list<u8>; }
        }";
    let catalog = Catalog::parse("types.wit", wit).unwrap();
    let target = || Target::new(&peer.address).unwrap().wit(catalog.clone());
    let host = relay::host(&Bridge::builder().target("t", target()).build().unwrap());
    assert_eq!(relay::call(&host, "t", TYPES, "add", &[0x92, 40, 2]).unwrap(), [42]);
    assert_eq!(
        relay::call(&host, "t", TYPES, "blob", &[0xa1, b'x']).unwrap_err(),
        "Host error: function `blob` of `test:bridge/types@0.1.0` uses a stream or future inside a list, a stream \
         or a future, which the bridge cannot carry"
    );
    assert_eq!(
        relay::call(&host, "t", TYPES, "bucket.get", b"").unwrap_err(),
        "Host error: function `bucket.get` of `test:bridge/types@0.1.0` uses an async signature, which the bridge \
         cannot carry"
    );
    // A route to one is refused when the bridge is built, naming it.
    let route = wrpc_bridge::Route {
        binding: "store".to_owned(),
        namespace: "blobs".to_owned(),
        operation: "read".to_owned(),
        target: Some("t".to_owned()),
        instance: TYPES.to_owned(),
        function: "blob".to_owned(),
    };
    let error = Bridge::builder().target("t", target()).route(route).build().unwrap_err();
    assert_eq!(
        error.to_string(),
        "`t` cannot carry the function a route or operation names: function `blob` of `test:bridge/types@0.1.0` \
         uses a stream or future inside a list, a stream or a future, which the bridge cannot carry"
    );
}

#[test]
fn malformed_payloads_are_refused_and_the_next_call_works() {
    let runtime = runtime();
    let peer = runtime.block_on(peers::serve_tcp(Which::Types)).unwrap();
    let bridge =
        Bridge::builder().target("t", Target::new(&peer.address).unwrap().wit(catalog("types"))).build().unwrap();
    let host = relay::host(&bridge);
    let error = relay::call(&host, "t", TYPES, "add", &[0x92, 0xc1, 0x01]).unwrap_err();
    assert!(error.starts_with("Host error: the payload for `test:bridge/types@0.1.0#add` on `t`"), "{error}");
    let too_big = msgpack(|b| {
        rmp::encode::write_array_len(b, 2).unwrap();
        rmp::encode::write_u64(b, u64::MAX).unwrap();
        rmp::encode::write_sint(b, 1).unwrap();
    });
    let error = relay::call(&host, "t", TYPES, "add", &too_big).unwrap_err();
    assert!(error.contains("s64"), "{error}");
    let good = msgpack(|b| {
        rmp::encode::write_array_len(b, 2).unwrap();
        rmp::encode::write_sint(b, 1).unwrap();
        rmp::encode::write_sint(b, 1).unwrap();
    });
    assert_eq!(relay::call(&host, "t", TYPES, "add", &good).unwrap(), [2]);
}

#[test]
fn deadlines_and_result_caps() {
    let runtime = runtime();
    let peer = runtime.block_on(peers::serve_tcp(Which::Types)).unwrap();
    let bridge = Bridge::builder()
        .target("t", Target::new(&peer.address).unwrap().wit(catalog("types")))
        .deadline(Duration::from_millis(300))
        .max_result_bytes(1000)
        .build()
        .unwrap();
    let host = relay::host(&bridge);
    let started = Instant::now();
    let error = relay::call(&host, "t", TYPES, "hang", b"").unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(error.ends_with("took longer than the deadline of 300ms"), "{error}");

    let size = |n: u32| {
        msgpack(|b| {
            rmp::encode::write_uint(b, u64::from(n)).unwrap();
        })
    };
    assert_eq!(relay::call(&host, "t", TYPES, "big", &size(900)).unwrap().len(), 903);
    let error = relay::call(&host, "t", TYPES, "big", &size(5000)).unwrap_err();
    assert!(error.ends_with("exceed the cap of 1000 bytes"), "{error}");

    // Nobody listening: refused at once, within the deadline.
    let port = wrpc_bridge_interop::nats_server::free_port();
    let bridge = Bridge::builder()
        .target("t", Target::new(&format!("tcp://127.0.0.1:{port}")).unwrap().wit(catalog("types")))
        .deadline(Duration::from_millis(300))
        .build()
        .unwrap();
    let host = relay::host(&bridge);
    let error = relay::call(&host, "t", TYPES, "nothing", b"").unwrap_err();
    assert!(error.contains(&format!("`t` (tcp://127.0.0.1:{port}) failed")), "{error}");
}

#[test]
fn routes_and_targets_from_a_configuration_file() {
    let runtime = runtime();
    let peer = runtime.block_on(peers::serve_tcp(Which::Types)).unwrap();
    let folder = std::env::temp_dir().join(format!("wrpc-bridge-config-{}", std::process::id()));
    std::fs::create_dir_all(&folder).unwrap();
    let config = folder.join("bridge.toml");
    std::fs::write(
        &config,
        format!(
            r#"
deadline = "2s"
max_result_bytes = 4096

[targets.math]
address = "{address}"
wit = "{wit}"

[[routes]]
binding = "legacy"
namespace = "calculator"
operation = "Sum"
target = "math"
instance = "{TYPES}"
function = "add"
"#,
            address = peer.address,
            wit = concat!(env!("CARGO_MANIFEST_DIR"), "/wit/types"),
        ),
    )
    .unwrap();
    let bridge = Bridge::from_config_file(&config).unwrap();
    let host = relay::host(&bridge);
    let args = [0x92, 0x05, 0x06];
    assert_eq!(relay::call(&host, "legacy", "calculator", "Sum", &args).unwrap(), [11]);
    // The convention still covers the target's own binding.
    assert_eq!(relay::call(&host, "math", TYPES, "add", &args).unwrap(), [11]);
    assert!(relay::call(&host, "legacy", "calculator", "Product", &args).unwrap_err().contains("no route"));

    let unknown = BridgeConfig::from_toml(
        "[[routes]]\nbinding = \"b\"\nnamespace = \"n\"\noperation = \"o\"\ninstance = \"i\"\nfunction = \"f\"\n",
    )
    .unwrap();
    let error = Bridge::builder().config(unknown).unwrap().build().unwrap_err();
    assert_eq!(error.to_string(), "a route names the unknown target `b`");
    let _ = std::fs::remove_dir_all(folder);
}

#[test]
fn guests_may_call_from_inside_tokio_runtimes() {
    let runtime = runtime();
    let peer = runtime.block_on(peers::serve_tcp(Which::Types)).unwrap();
    let bridge =
        Bridge::builder().target("t", Target::new(&peer.address).unwrap().wit(catalog("types"))).build().unwrap();
    let host = std::sync::Arc::new(relay::host(&bridge));
    let args = [0x92, 0x01, 0x02];
    // On a multi-thread runtime's worker.
    let on_worker = std::sync::Arc::clone(&host);
    let answer = runtime.block_on(async move { relay::call(&on_worker, "t", TYPES, "add", &args) });
    assert_eq!(answer.unwrap(), [3]);
    // On a current-thread runtime.
    let current = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    assert_eq!(current.block_on(async { relay::call(&host, "t", TYPES, "add", &args) }).unwrap(), [3]);
    // Handing the bridge the caller's own current-thread runtime cannot work: refused, not deadlocked.
    let own = Bridge::builder()
        .target("t", Target::new(&peer.address).unwrap().wit(catalog("types")))
        .runtime(current.handle().clone());
    let error = current.block_on(async move { own.build().map(|_| ()) }).unwrap_err();
    assert!(error.to_string().contains("current-thread runtime"), "{error}");
}

#[test]
fn the_async_callback_awaits_on_the_callers_runtime_without_blocking_it() {
    // A current-thread runtime: the sync callback could not wait on it, the async one must not need to.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let peer = runtime.block_on(peers::serve_tcp(Which::Types)).unwrap();
    let bridge = Bridge::builder()
        .target("t", Target::new(&peer.address).unwrap().wit(catalog("types")))
        .runtime(runtime.handle().clone())
        .deadline(Duration::from_millis(300))
        .build()
        .unwrap();
    let callback = bridge.host_callback_async();
    let call = |operation: &str, payload: Vec<u8>| {
        callback(1, "t".to_owned(), TYPES.to_owned(), operation.to_owned(), payload)
    };
    runtime.block_on(async {
        // Ten additions at once on one thread, each awaiting its own invocation.
        let sums = futures::future::join_all((0..10_i64).map(|a| {
            call(
                "add",
                msgpack(|b| {
                    rmp::encode::write_array_len(b, 2).unwrap();
                    rmp::encode::write_sint(b, a).unwrap();
                    rmp::encode::write_sint(b, 100).unwrap();
                }),
            )
        }))
        .await;
        for (a, sum) in sums.into_iter().enumerate() {
            assert_eq!(sum.unwrap(), msgpack(|b| drop(rmp::encode::write_sint(b, a as i64 + 100))));
        }
        // The deadline holds while awaiting.
        let started = Instant::now();
        let error = call("hang", Vec::new()).await.unwrap_err();
        assert!(matches!(error.downcast_ref(), Some(CallError::Deadline { .. })), "{error}");
        assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
        // No route: the typed error, as the sync callback gives it.
        let error = callback(1, "nowhere".to_owned(), "x".to_owned(), "y".to_owned(), Vec::new()).await.unwrap_err();
        assert!(matches!(error.downcast_ref(), Some(CallError::NoRoute { binding, .. }) if binding == "nowhere"));
    });
}
