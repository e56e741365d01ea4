//! Echo and round-trip calls through `WapcHost` on wasmtime and on wasmi, each beside its raw engine floor in
//! the same run, so the results read as ratios.
//!
//! `cargo bench -p wapc-benches` prints, per group, `<engine>-floor/<size>` and `wapc-<engine>/<size>` for
//! `wasmtime` and `wasmi`; for echo also `wapc-<engine>-owned/<size>`, the same guest answering with a handler
//! that takes the payload buffer by value (`register_owned_function`) instead of copying it
//! (`register_function`). `cargo bench -p wapc-benches -- wasmi` runs one engine's half.
#![allow(missing_docs, reason = "criterion_group! generates an undocumented entry point")]

use std::hint::black_box;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use wapc::{HostCallback, WapcHost, WebAssemblyEngineProvider};
use wapc_benches::{Floor, WasmiFloor, WasmtimeFloor};
use wapc_conformance::guests::GUEST_OURS;
use wasmi_provider::WasmiEngineProviderBuilder;
use wasmtime_provider::WasmtimeEngineProviderBuilder;

const SIZES: [usize; 5] = [0, 64, 1024, 64 * 1024, 1024 * 1024];

/// One engine under measurement: its name, its floors and a host of the SDK guest on it.
struct Engine {
    name: &'static str,
    echo_floor: fn() -> Box<dyn Floor>,
    round_trip_floor: fn() -> Box<dyn Floor>,
    provider: fn() -> Box<dyn WebAssemblyEngineProvider>,
}

const ENGINES: [Engine; 2] = [
    Engine {
        name: "wasmtime",
        echo_floor: || Box::new(WasmtimeFloor::echo()),
        round_trip_floor: || Box::new(WasmtimeFloor::round_trip()),
        provider: || Box::new(WasmtimeEngineProviderBuilder::new().module_bytes(GUEST_OURS).build().unwrap()),
    },
    Engine {
        name: "wasmi",
        echo_floor: || Box::new(WasmiFloor::echo()),
        round_trip_floor: || Box::new(WasmiFloor::round_trip()),
        provider: || Box::new(WasmiEngineProviderBuilder::new().module_bytes(GUEST_OURS).build().unwrap()),
    },
];

impl Engine {
    fn host(&self) -> WapcHost {
        let echo_back: Box<HostCallback> = Box::new(|_, _, _, _, payload| Ok(payload.to_vec()));
        WapcHost::new((self.provider)(), Some(echo_back)).unwrap()
    }

    fn echo(&self, group: &mut BenchmarkGroup<'_, WallTime>, size: usize) {
        let payload = vec![0x5a; size];
        let mut floor = (self.echo_floor)();
        floor.set_request(&payload);
        assert_eq!(floor.call(), payload);
        group.bench_with_input(BenchmarkId::new(format!("{}-floor", self.name), size), &size, |b, _| {
            b.iter(|| floor.call());
        });
        let host = self.host();
        for (suffix, operation) in [("", "echo"), ("-owned", "echo_owned")] {
            assert_eq!(host.call(operation, &payload).unwrap(), payload);
            let id = BenchmarkId::new(format!("wapc-{}{suffix}", self.name), size);
            group.bench_with_input(id, &payload, |b, payload| b.iter(|| host.call(operation, black_box(payload))));
        }
    }

    fn round_trip(&self, group: &mut BenchmarkGroup<'_, WallTime>) {
        let payload = vec![0x5a; 64];
        let mut floor = (self.round_trip_floor)();
        floor.set_request(&payload);
        assert_eq!(floor.call(), payload);
        group.bench_function(BenchmarkId::new(format!("{}-floor", self.name), 64), |b| b.iter(|| floor.call()));
        let host = self.host();
        assert_eq!(host.call("ping", &payload).unwrap(), [b"pong:".as_slice(), &payload].concat());
        group.bench_function(BenchmarkId::new(format!("wapc-{}", self.name), 64), |b| {
            b.iter(|| host.call("ping", black_box(&payload)));
        });
    }
}

fn echo(c: &mut Criterion) {
    let mut group = c.benchmark_group("echo");
    for size in SIZES {
        group.throughput(Throughput::Bytes(size as u64));
        for engine in &ENGINES {
            engine.echo(&mut group, size);
        }
    }
    group.finish();
}

fn round_trip(c: &mut Criterion) {
    let mut group = c.benchmark_group("round_trip");
    for engine in &ENGINES {
        engine.round_trip(&mut group);
    }
    group.finish();
}

criterion_group!(benches, echo, round_trip);
criterion_main!(benches);
