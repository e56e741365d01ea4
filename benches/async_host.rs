//! What `WapcHostAsync` costs and what it buys, each figure beside its floor in the same run, so the results read
//! as ratios.
//!
//! `cargo bench -p wapc-benches --bench async_host` prints, per group:
//!
//! - `async_echo_64`: a 64-byte echo on one thread. `wasmtime-floor` and `wapc-wasmtime` are the raw engine
//!   and `WapcHost`; `wasmtime-async-floor` is the raw engine called with `call_async` (the same module and
//!   crossings, the guest on a fiber) and `wapc-wasmtime-async` a `WapcHostAsync` of `build_async`. Each async
//!   call is polled to completion on the calling thread with a no-op waker, so no executor's cost is in either.
//!   Target: `wapc-wasmtime-async / wasmtime-async-floor` at most `wapc-wasmtime / wasmtime-floor` + 0.5.
//! - `wait_10ms_64_calls`: one iteration is 64 calls at once, each on an async host of its own whose host
//!   callback awaits a 10 ms tokio timer, driven by a tokio runtime with 2 worker threads (a blocking host would
//!   need 64 threads), on wasmtime and on wasmi. Target: all 64 done within 30 ms.
#![allow(missing_docs, reason = "criterion_group! generates an undocumented entry point")]

use std::hint::black_box;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use wapc::{HostCallback, WapcHost, WapcHostAsync, WapcHostAsyncBuilder, WebAssemblyEngineProviderAsync};
use wapc_benches::{Floor, WasmtimeFloor};
use wapc_conformance::guests::GUEST_OURS;
use wasmi_provider::WasmiEngineProviderBuilder;
use wasmtime_provider::WasmtimeEngineProviderBuilder;

/// Calls at once in `wait_10ms_64_calls`, each on a host of its own.
const WAITING_CALLS: usize = 64;

/// How long each of them waits in its host callback.
const HOST_WAIT: Duration = Duration::from_millis(10);

/// Polls `future` on this thread until it is ready, with a waker that does nothing: a future that never waits on
/// anything outside the thread (a guest yielding at an epoch tick is polled again at once).
fn poll_to_end<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut context = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
    }
}

fn async_echo_64(c: &mut Criterion) {
    let payload = vec![0x5a; 64];
    let mut floor = WasmtimeFloor::echo();
    floor.set_request(&payload);
    assert_eq!(floor.call(), payload);
    assert_eq!(poll_to_end(floor.call_async()), payload);
    let echo_back: Box<HostCallback> = Box::new(|_, _, _, _, payload| Ok(payload.to_vec()));
    let provider = WasmtimeEngineProviderBuilder::new().module_bytes(GUEST_OURS).build().unwrap();
    let host = WapcHost::new(Box::new(provider), Some(echo_back)).unwrap();
    let provider = WasmtimeEngineProviderBuilder::new().module_bytes(GUEST_OURS).build_async().unwrap();
    let async_host = poll_to_end(WapcHostAsync::new(Box::new(provider), None)).unwrap();
    assert_eq!(poll_to_end(async_host.call("echo", &payload)).unwrap(), payload);

    let mut group = c.benchmark_group("async_echo_64");
    group.warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
    group.bench_function("wasmtime-floor", |b| b.iter(|| floor.call()));
    group.bench_function("wapc-wasmtime", |b| b.iter(|| host.call("echo", black_box(&payload))));
    group.bench_function("wasmtime-async-floor", |b| b.iter(|| poll_to_end(floor.call_async())));
    group.bench_function("wapc-wasmtime-async", |b| {
        b.iter(|| poll_to_end(async_host.call("echo", black_box(&payload))));
    });
    group.finish();
}

/// 64 hosts of `provider`'s module whose callbacks wait [`HOST_WAIT`], made on `runtime`.
fn waiting_hosts(
    runtime: &tokio::runtime::Runtime,
    provider: &(dyn WebAssemblyEngineProviderAsync + Send),
) -> Vec<Arc<WapcHostAsync>> {
    (0..WAITING_CALLS)
        .map(|_| {
            let builder = WapcHostAsyncBuilder::new().host_callback(|_, _, _, _, payload| {
                Box::pin(async move {
                    tokio::time::sleep(HOST_WAIT).await;
                    Ok(payload)
                })
            });
            let provider = provider.share_module().unwrap();
            Arc::new(runtime.block_on(builder.build(provider)).unwrap())
        })
        .collect()
}

/// Runs one call on each host at once and returns how long the last took to end.
fn all_at_once(runtime: &tokio::runtime::Runtime, hosts: &[Arc<WapcHostAsync>]) -> Duration {
    runtime.block_on(async {
        let started = Instant::now();
        let mut calls = tokio::task::JoinSet::new();
        for host in hosts {
            let host = Arc::clone(host);
            calls.spawn(async move { host.call("ping", b"wait").await });
        }
        while let Some(answer) = calls.join_next().await {
            assert_eq!(answer.unwrap().unwrap(), b"pong:wait");
        }
        started.elapsed()
    })
}

fn wait_10ms_64_calls(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let wasmtime = WasmtimeEngineProviderBuilder::new().module_bytes(GUEST_OURS).build_async().unwrap();
    let wasmi = WasmiEngineProviderBuilder::new().module_bytes(GUEST_OURS).build_async().unwrap();
    let engines: [(&str, &(dyn WebAssemblyEngineProviderAsync + Send)); 2] =
        [("wapc-wasmtime-async", &wasmtime), ("wapc-wasmi-async", &wasmi)];

    let mut group = c.benchmark_group("wait_10ms_64_calls");
    group.sample_size(20).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(3));
    for (name, provider) in engines {
        let hosts = waiting_hosts(&runtime, provider);
        group.bench_function(name, |b| b.iter_custom(|iters| (0..iters).map(|_| all_at_once(&runtime, &hosts)).sum()));
    }
    group.finish();
}

criterion_group!(benches, async_echo_64, wait_10ms_64_calls);
criterion_main!(benches);
