//! Our transcoder (MessagePack <-> wRPC value encoding, directly) beside the generic path through `wasm-wave`
//! values and `wrpc-wave` (WAVE text -> value -> wire, and wire -> value -> WAVE text), in the same run, for a
//! 10-field record and a 64 KiB `list<u8>`.
//!
//! `cargo bench -p wrpc-bridge --bench transcode` prints `<case>/ours` and `<case>/wave` per group.
#![allow(missing_docs, reason = "criterion_group! generates an undocumented entry point")]

use std::hint::black_box;

use bytes::BytesMut;
use criterion::{Criterion, criterion_group, criterion_main};
use rmp::encode as mp;
use tokio_util::codec::Encoder as _;
use wasm_wave::value::{Type as WaveType, Value};
use wasm_wave::wasm::WasmFunc as _;
use wrpc_bridge::transcode::{self, Options};
use wrpc_bridge::wit::Catalog;

const WIT: &str = r#"
package bench:transcode;

interface api {
  enum level { low, mid, high }
  record order {
    id: u32, delta: s64, name: string, active: bool, score: f64,
    tags: list<string>, note: option<string>, level: level, small: u8, city: string,
  }
  take-order: func(value: order);
  give-order: func() -> order;
  take-bytes: func(value: list<u8>);
  give-bytes: func() -> list<u8>;
}
"#;

const INTERFACE: &str = "bench:transcode/api";

const ORDER_WAVE: &str = r#"{id: 4242, delta: -70000, name: "widget", active: true, score: 0.5, tags: ["a", "bb", "ccc"], note: some("fragile"), level: mid, small: 7, city: "Oslo"}"#;

/// The same order, as the guest's MessagePack.
fn order_msgpack() -> Vec<u8> {
    let mut b = Vec::new();
    mp::write_map_len(&mut b, 10).unwrap();
    let key = |b: &mut Vec<u8>, k: &str| mp::write_str(b, k).unwrap();
    key(&mut b, "id");
    mp::write_uint(&mut b, 4242).unwrap();
    key(&mut b, "delta");
    mp::write_sint(&mut b, -70000).unwrap();
    key(&mut b, "name");
    mp::write_str(&mut b, "widget").unwrap();
    key(&mut b, "active");
    mp::write_bool(&mut b, true).unwrap();
    key(&mut b, "score");
    mp::write_f64(&mut b, 0.5).unwrap();
    key(&mut b, "tags");
    mp::write_array_len(&mut b, 3).unwrap();
    for tag in ["a", "bb", "ccc"] {
        mp::write_str(&mut b, tag).unwrap();
    }
    key(&mut b, "note");
    mp::write_str(&mut b, "fragile").unwrap();
    key(&mut b, "level");
    mp::write_str(&mut b, "mid").unwrap();
    key(&mut b, "small");
    mp::write_uint(&mut b, 7).unwrap();
    key(&mut b, "city");
    mp::write_str(&mut b, "Oslo").unwrap();
    b
}

/// The wasm-wave type of `function`'s only parameter (or only result).
fn wave_type(function: &str) -> WaveType {
    let mut resolve = wit_parser::Resolve::new();
    let package = resolve.push_str("bench.wit", WIT).unwrap();
    let interface = resolve.packages[package].interfaces["api"];
    let function = &resolve.interfaces[interface].functions[function];
    let ty = wasm_wave::value::resolve_wit_func_type(&resolve, function).unwrap();
    ty.params().next().or_else(|| ty.results().next()).unwrap()
}

fn bench_case(c: &mut Criterion, name: &str, msgpack: &[u8], wave_text: &str, take: &str, give: &str) {
    let catalog = Catalog::parse("bench.wit", WIT).unwrap();
    let (take_fn, give_fn) = (catalog.function(INTERFACE, take).unwrap(), catalog.function(INTERFACE, give).unwrap());
    let options = Options::default();
    let ty = wave_type(take);

    // Both paths produce the same wire bytes, and read them back to the same value.
    let mut ours = Vec::new();
    transcode::encode_params(take_fn, msgpack, &options, &mut ours).unwrap();
    let mut reference = BytesMut::new();
    let value: Value = wasm_wave::from_str(&ty, wave_text).unwrap();
    wrpc_wave::ValueEncoder::new(&ty).encode(&value, &mut reference).unwrap();
    assert_eq!(ours, reference.as_ref());
    let (_, decoded) = transcode::decode_results(give_fn, &ours, &[], &options).unwrap();
    assert!(matches!(decoded, transcode::Outcome::Ok(ref bytes) if bytes == msgpack));

    let mut group = c.benchmark_group(format!("encode/{name}"));
    let mut out = Vec::with_capacity(ours.len());
    group.bench_function("ours", |b| {
        b.iter(|| {
            out.clear();
            transcode::encode_params(take_fn, black_box(msgpack), &options, &mut out).unwrap();
        });
    });
    group.bench_function("wave", |b| {
        b.iter(|| {
            let value: Value = wasm_wave::from_str(&ty, black_box(wave_text)).unwrap();
            let mut wire = BytesMut::new();
            wrpc_wave::ValueEncoder::new(&ty).encode(&value, &mut wire).unwrap();
            wire
        });
    });
    group.finish();

    let mut group = c.benchmark_group(format!("decode/{name}"));
    group.bench_function("ours", |b| {
        b.iter(|| transcode::decode_results(give_fn, black_box(&ours), &[], &options).unwrap())
    });
    group.bench_function("wave", |b| {
        b.iter(|| {
            let value: Value = wrpc_wave::decode_value(black_box(&ours), &ty).unwrap();
            wasm_wave::to_string(&value).unwrap()
        });
    });
    group.finish();
}

fn transcode(c: &mut Criterion) {
    bench_case(c, "record-10-fields", &order_msgpack(), ORDER_WAVE, "take-order", "give-order");
    let bytes: Vec<u8> = (0..64 * 1024).map(|i| (i % 251) as u8).collect();
    let mut msgpack = Vec::new();
    mp::write_bin(&mut msgpack, &bytes).unwrap();
    let wave = format!("[{}]", bytes.iter().map(u8::to_string).collect::<Vec<_>>().join(", "));
    bench_case(c, "list-u8-64KiB", &msgpack, &wave, "take-bytes", "give-bytes");
}

criterion_group!(benches, transcode);
criterion_main!(benches);
