//! Echo and round-trip calls through `WapcHost` on wasmtime, each beside the raw wasmtime floor in the same
//! run, so the results read as ratios.
//!
//! `cargo bench -p wapc-benches` prints, per group, `wasmtime-floor/<size>` and `wapc-wasmtime/<size>`; for
//! echo also `wapc-wasmtime-owned/<size>`, the same guest answering with a handler that takes the payload
//! buffer by value (`register_owned_function`) instead of copying it (`register_function`).
#![allow(missing_docs, reason = "criterion_group! generates an undocumented entry point")]

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use wapc::WapcHost;
use wapc_benches::WasmtimeFloor;
use wapc_conformance::guests::GUEST_OURS;
use wasmtime_provider::WasmtimeEngineProviderBuilder;

const SIZES: [usize; 5] = [0, 64, 1024, 64 * 1024, 1024 * 1024];

fn wasmtime_host() -> WapcHost {
    let engine = WasmtimeEngineProviderBuilder::new().module_bytes(GUEST_OURS).build().unwrap();
    WapcHost::new(Box::new(engine), Some(Box::new(|_, _, _, _, payload| Ok(payload.to_vec())))).unwrap()
}

fn echo(c: &mut Criterion) {
    let mut group = c.benchmark_group("echo");
    let host = wasmtime_host();
    let mut floor = WasmtimeFloor::echo();
    for size in SIZES {
        let payload = vec![0x5a; size];
        group.throughput(Throughput::Bytes(size as u64));
        floor.set_request(&payload);
        assert_eq!(floor.call(), payload);
        group.bench_with_input(BenchmarkId::new("wasmtime-floor", size), &size, |b, _| b.iter(|| floor.call()));
        for (name, operation) in [("wapc-wasmtime", "echo"), ("wapc-wasmtime-owned", "echo_owned")] {
            assert_eq!(host.call(operation, &payload).unwrap(), payload);
            group.bench_with_input(BenchmarkId::new(name, size), &payload, |b, payload| {
                b.iter(|| host.call(operation, black_box(payload)));
            });
        }
    }
    group.finish();
}

fn round_trip(c: &mut Criterion) {
    let mut group = c.benchmark_group("round_trip");
    let payload = vec![0x5a; 64];
    let host = wasmtime_host();
    let mut floor = WasmtimeFloor::round_trip();
    floor.set_request(&payload);
    assert_eq!(floor.call(), payload);
    group.bench_function(BenchmarkId::new("wasmtime-floor", 64), |b| b.iter(|| floor.call()));
    assert_eq!(host.call("ping", &payload).unwrap(), [b"pong:".as_slice(), &payload].concat());
    group.bench_function(BenchmarkId::new("wapc-wasmtime", 64), |b| b.iter(|| host.call("ping", black_box(&payload))));
    group.finish();
}

criterion_group!(benches, echo, round_trip);
criterion_main!(benches);
