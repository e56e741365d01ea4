//! What a `wapc_pool::Pool` costs and what it buys, each figure beside its floor in the same run, so the results
//! read as ratios. Every target named below is the one the pool was built to meet.
//!
//! `cargo bench -p wapc-benches --bench pool` prints, per group:
//!
//! - `cpu_bound`: calls of a guest operation computing for about 20 µs on wasmtime. `host-1-thread` (the floor)
//!   is one `WapcHost` driven by one thread; `pool-2-threads` is two threads calling a pool of two instances
//!   (target: at least 1.7 times the floor's calls per second); `2-hosts-2-threads` is two threads with a host
//!   each, what the machine allows without a pool.
//! - `echo_64`: a 64-byte echo on one thread: `wasmtime-floor` (the raw engine), `wapc-wasmtime` (a bare
//!   `WapcHost`) and `pool-wasmtime` (`Pool::call`; target: at most 1.3 times the bare host).
//! - `host_wait_5ms`: a guest whose one host call waits 5 ms, called by 64 callers at once. `host-64-threads`
//!   (the floor) shares one `WapcHost`; `pool-16-threads` and `pool-16-async` share a pool of 16 instances,
//!   from 64 threads calling `Pool::call` and from 64 tokio tasks awaiting `Pool::call_async` (target: at least
//!   2,560 calls per second, 80% of the 3,200 that 16 instances waiting 5 ms a call can give).
//! - `add_instance`: for the SDK guest, what an instance added to a pool costs (a clone of the provider, which
//!   shares the compiled module as `share_module` does, then `WapcHost::new`) beside compiling the module
//!   (building the provider from the bytes). Target on wasmtime: instantiating at most 1/20 of compiling. wasmi
//!   compiles lazily, so its two figures are reported only.
//!
//! Before the groups run, the binary prints the resident memory an idle instance takes on each engine (the
//! growth of `VmRSS` while a pool makes 64 instances, divided by 64): a figure, not a criterion measurement.
#![allow(missing_docs, reason = "criterion_group! generates an undocumented entry point")]

use std::hint::black_box;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput, criterion_group};
use wapc::{HostCallback, WapcHost, WebAssemblyEngineProvider};
use wapc_benches::{Floor, WasmtimeFloor};
use wapc_conformance::guests::{GUEST_OURS, PAYLOAD_AT, wat_guest};
use wapc_pool::Pool;
use wasmi_provider::WasmiEngineProviderBuilder;
use wasmtime_provider::{WasmtimeEngineProvider, WasmtimeEngineProviderBuilder};

/// Rounds of the spin guest's loop in one `cpu_bound` call: about 20 µs on wasmtime (the fastest call took
/// 19.5 µs on the 2-core machine it was tuned on). The group prints the fastest call it saw before measuring.
const SPIN_ROUNDS: u32 = 8_000;

/// How long the host callback of the `host_wait_5ms` guest waits.
const HOST_WAIT: Duration = Duration::from_millis(5);

/// Callers at once in `host_wait_5ms`.
const WAITING_CALLERS: usize = 64;

/// Instances of the pool in `host_wait_5ms`.
const WAITING_POOL: usize = 16;

/// Instances made for the idle-memory figure.
const IDLE_INSTANCES: usize = 64;

/// A function for the spin guest: `$rounds` rounds of xorshift64* on a 64-bit state, returned at the end. Each
/// round depends on the previous one, so the loop can be neither skipped nor spread across execution units.
const SPIN_ITEMS: &str = r#"
  (func $spin (param $rounds i32) (result i64)
    (local $x i64)
    (local.set $x (i64.const 0x9E3779B97F4A7C15))
    (block $done
      (loop $round
        (br_if $done (i32.eqz (local.get $rounds)))
        (local.set $x (i64.xor (local.get $x) (i64.shr_u (local.get $x) (i64.const 12))))
        (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 25))))
        (local.set $x (i64.xor (local.get $x) (i64.shr_u (local.get $x) (i64.const 27))))
        (local.set $x (i64.mul (local.get $x) (i64.const 0x2545F4914F6CDD1D)))
        (local.set $rounds (i32.sub (local.get $rounds) (i32.const 1)))
        (br $round)))
    (local.get $x))"#;

/// The spin guest's every operation but `ok`: spins as many rounds as the little-endian `u32` the payload
/// starts with, and answers the final state's 8 bytes.
fn spin_operation() -> String {
    format!(
        "(call $guest_request (i32.const 0) (i32.const {PAYLOAD_AT}))
         (i64.store (i32.const {PAYLOAD_AT}) (call $spin (i32.load (i32.const {PAYLOAD_AT}))))
         (call $guest_response (i32.const {PAYLOAD_AT}) (i32.const 8))
         (i32.const 1)"
    )
}

/// A wasmtime provider of `module`.
fn wasmtime(module: &[u8]) -> WasmtimeEngineProvider {
    WasmtimeEngineProviderBuilder::new().module_bytes(module).build().unwrap()
}

/// How `total` calls are shared among `callers`: as evenly as can be, callers with none left out.
fn shares(total: u64, callers: usize) -> impl Iterator<Item = u64> {
    let callers = callers as u64;
    (0..callers).map(move |caller| total / callers + u64::from(caller < total % callers)).filter(|share| *share > 0)
}

/// Makes `total` calls from `callers` threads at once (`call` takes the caller's number) and returns the time
/// from when all threads are ready to when the last call returns: starting the threads is not counted.
fn on_threads(callers: usize, total: u64, call: impl Fn(usize) + Sync) -> Duration {
    let shares: Vec<u64> = shares(total, callers).collect();
    let ready = Barrier::new(shares.len() + 1);
    std::thread::scope(|scope| {
        for (caller, share) in shares.iter().enumerate() {
            let (ready, call) = (&ready, &call);
            scope.spawn(move || {
                ready.wait();
                for _ in 0..*share {
                    call(caller);
                }
            });
        }
        ready.wait();
        Instant::now()
    })
    // The scope returned once every thread had finished.
    .elapsed()
}

/// The time `make` takes, `iters` times, without the time its results take to drop.
fn time_making<T>(iters: u64, mut make: impl FnMut() -> T) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let start = Instant::now();
        let made = black_box(make());
        total += start.elapsed();
        drop(made);
    }
    total
}

/// Calls computing for about 20 µs: one host on one thread, a pool of two on two threads.
fn cpu_bound(c: &mut Criterion) {
    let module = wat_guest(&spin_operation(), SPIN_ITEMS);
    let payload = SPIN_ROUNDS.to_le_bytes();
    let host = WapcHost::new(Box::new(wasmtime(&module)), None).unwrap();
    let expected = host.call("spin", &payload).unwrap();
    assert_eq!(expected.len(), 8);
    // The fastest of many calls: what one call costs when nothing else competes for the core.
    let fastest = (0..1000).map(|_| time_making(1, || host.call("spin", &payload))).min().unwrap_or_default();
    println!("cpu_bound: the fastest of 1000 calls of {SPIN_ROUNDS} rounds took {fastest:.1?}");
    let pool =
        Pool::builder().name("cpu").min_instances(2).max_instances(2).build(Box::new(wasmtime(&module))).unwrap();
    assert_eq!(pool.call("spin", &payload).unwrap(), expected);
    let hosts = [host, WapcHost::new(Box::new(wasmtime(&module)), None).unwrap()];

    let mut group = c.benchmark_group("cpu_bound");
    group.throughput(Throughput::Elements(1));
    group.warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    group.bench_function("host-1-thread", |b| b.iter(|| hosts[0].call("spin", black_box(&payload)).unwrap()));
    group.bench_function("pool-2-threads", |b| {
        b.iter_custom(|iters| on_threads(2, iters, |_| drop(pool.call("spin", black_box(&payload)).unwrap())));
    });
    group.bench_function("2-hosts-2-threads", |b| {
        b.iter_custom(|iters| {
            on_threads(2, iters, |caller| drop(hosts[caller].call("spin", black_box(&payload)).unwrap()))
        });
    });
    group.finish();
}

/// A 64-byte echo on one thread: the raw engine, a bare host, a pool.
fn echo_64(c: &mut Criterion) {
    let payload = vec![0x5a; 64];
    let mut floor = WasmtimeFloor::echo();
    floor.set_request(&payload);
    assert_eq!(floor.call(), payload);
    let host = WapcHost::new(Box::new(wasmtime(GUEST_OURS)), None).unwrap();
    assert_eq!(host.call("echo", &payload).unwrap(), payload);
    let pool = Pool::builder().name("echo").min_instances(1).max_instances(1).build(Box::new(wasmtime(GUEST_OURS)));
    let pool = pool.unwrap();
    assert_eq!(pool.call("echo", &payload).unwrap(), payload);

    let mut group = c.benchmark_group("echo_64");
    group.warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
    group.bench_function("wasmtime-floor", |b| b.iter(|| floor.call()));
    group.bench_function("wapc-wasmtime", |b| b.iter(|| host.call("echo", black_box(&payload))));
    group.bench_function("pool-wasmtime", |b| b.iter(|| pool.call("echo", black_box(&payload))));
    group.finish();
}

/// The host callback of `host_wait_5ms`: waits [`HOST_WAIT`], then answers the payload.
fn wait_then_echo(_id: u64, _binding: &str, _namespace: &str, _operation: &str, payload: &[u8]) -> CallbackResult {
    std::thread::sleep(HOST_WAIT);
    Ok(payload.to_vec())
}

/// What a host callback returns.
type CallbackResult = Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>>;

/// 64 callers of a guest whose host call waits 5 ms: one host, a pool of 16 from threads and from tasks.
fn host_wait_5ms(c: &mut Criterion) {
    let payload = vec![0x5a; 64];
    let pong = [b"pong:".as_slice(), &payload].concat();
    let callback: Box<HostCallback> = Box::new(wait_then_echo);
    let host = WapcHost::new(Box::new(wasmtime(GUEST_OURS)), Some(callback)).unwrap();
    assert_eq!(host.call("ping", &payload).unwrap(), pong);
    let pool = Pool::builder()
        .name("wait")
        .min_instances(WAITING_POOL)
        .max_instances(WAITING_POOL)
        .host_callback(wait_then_echo)
        .build(Box::new(wasmtime(GUEST_OURS)))
        .unwrap();
    let pool = Arc::new(pool);
    assert_eq!(pool.call("ping", &payload).unwrap(), pong);
    let runtime = tokio::runtime::Builder::new_multi_thread().build().unwrap();

    let mut group = c.benchmark_group("host_wait_5ms");
    group.throughput(Throughput::Elements(1));
    group.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(4));
    group.bench_function("host-64-threads", |b| {
        b.iter_custom(|iters| on_threads(WAITING_CALLERS, iters, |_| drop(host.call("ping", &payload).unwrap())));
    });
    group.bench_function(format!("pool-{WAITING_POOL}-threads"), |b| {
        b.iter_custom(|iters| on_threads(WAITING_CALLERS, iters, |_| drop(pool.call("ping", &payload).unwrap())));
    });
    group.bench_function(format!("pool-{WAITING_POOL}-async"), |b| {
        b.iter_custom(|iters| {
            runtime.block_on(async {
                let start = Instant::now();
                let mut callers = tokio::task::JoinSet::new();
                for share in shares(iters, WAITING_CALLERS) {
                    let (pool, payload) = (Arc::clone(&pool), payload.clone());
                    callers.spawn(async move {
                        for _ in 0..share {
                            pool.call_async("ping", payload.as_slice()).await.unwrap();
                        }
                    });
                }
                callers.join_all().await;
                start.elapsed()
            })
        });
    });
    group.finish();
}

/// An instance added to a pool beside compiling the module, on each engine.
fn add_instance(c: &mut Criterion) {
    let mut group = c.benchmark_group("add_instance");
    // Compiling on wasmtime takes long enough that criterion's growing samples would overrun the minute.
    group.sampling_mode(SamplingMode::Flat).sample_size(10);
    group.warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(3));

    let compile = || wasmtime(GUEST_OURS);
    let provider = compile();
    drop(WapcHost::new(Box::new(provider.clone()), None).unwrap());
    group.bench_function("wasmtime-compile", |b| b.iter_custom(|iters| time_making(iters, compile)));
    group.bench_function("wasmtime-instantiate", |b| {
        b.iter_custom(|iters| time_making(iters, || WapcHost::new(Box::new(provider.clone()), None).unwrap()));
    });

    let compile = || WasmiEngineProviderBuilder::new().module_bytes(GUEST_OURS).build().unwrap();
    let provider = compile();
    drop(WapcHost::new(Box::new(provider.clone()), None).unwrap());
    group.bench_function("wasmi-compile", |b| b.iter_custom(|iters| time_making(iters, compile)));
    group.bench_function("wasmi-instantiate", |b| {
        b.iter_custom(|iters| time_making(iters, || WapcHost::new(Box::new(provider.clone()), None).unwrap()));
    });
    group.finish();
}

/// A field of `/proc/self/status` in KiB (`VmRSS`, `RssAnon`), or 0 where there is none.
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let line = status.lines().find_map(|line| line.strip_prefix(field)?.strip_prefix(':'));
    line.and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok()).unwrap_or(0)
}

/// Prints the resident memory one idle instance of the SDK guest takes on `engine`: the growth of `VmRSS` (and
/// of its anonymous part) while a pool makes [`IDLE_INSTANCES`] instances, divided by their number. One host is
/// made first, so what the first instance alone costs (the engine's lazily made state) is not counted.
fn idle_memory(engine: &str, provider: Box<dyn WebAssemblyEngineProvider>) {
    let first = WapcHost::new(provider.share_module().unwrap(), None).unwrap();
    let linear = first.memory_bytes().unwrap_or(0) / 1024;
    let (rss, anon) = (status_kib("VmRSS"), status_kib("RssAnon"));
    let pool = Pool::builder()
        .name("idle")
        .min_instances(IDLE_INSTANCES)
        .max_instances(IDLE_INSTANCES)
        .idle_timeout(None)
        .build(provider)
        .unwrap();
    let (rss_grown, anon_grown) = (status_kib("VmRSS") - rss, status_kib("RssAnon") - anon);
    let per = |kib: u64| kib as f64 / IDLE_INSTANCES as f64;
    println!(
        "idle_memory/{engine}: {:.0} KiB resident per idle instance (VmRSS +{rss_grown} KiB for {IDLE_INSTANCES}; \
         anonymous {:.0} KiB per instance; the guest's linear memory is {linear} KiB)",
        per(rss_grown),
        per(anon_grown),
    );
    assert_eq!(pool.stats().idle, IDLE_INSTANCES);
    drop((pool, first));
}

criterion_group!(benches, cpu_bound, echo_64, host_wait_5ms, add_instance);

fn main() {
    // First, before the groups have grown and freed the heap.
    idle_memory("wasmtime", Box::new(wasmtime(GUEST_OURS)));
    idle_memory("wasmi", Box::new(WasmiEngineProviderBuilder::new().module_bytes(GUEST_OURS).build().unwrap()));
    benches();
    Criterion::default().configure_from_args().final_summary();
}
