//! `HostPool` keeps upstream `wapc-pool`'s meanings: workers grow after `max_wait`, shrink after `max_idle`,
//! and a shut-down pool refuses calls.

mod guests;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use wapc::WapcHost;
use wapc::errors::Error;
use wapc_pool::{HostPool, HostPoolBuilder};
use wasmtime_provider::WasmtimeEngineProviderBuilder;

use guests::{count, counter};

/// A pool of the counter guest whose host calls take `delay`; its factory fails (panics) the first
/// `failures` times.
fn pool(min: usize, max: usize, delay: Duration, failures: usize) -> HostPool {
    let engine = WasmtimeEngineProviderBuilder::new().module_bytes(&counter(b'A')).build().unwrap();
    let made = AtomicUsize::new(0);
    HostPoolBuilder::new()
        .name("upstream")
        .factory(move || {
            assert!(made.fetch_add(1, Ordering::SeqCst) >= failures, "the factory failed");
            let callback = move |_: u64, _: &str, _: &str, _: &str, _: &[u8]| {
                std::thread::sleep(delay);
                Ok(Vec::new())
            };
            WapcHost::new(Box::new(engine.clone()), Some(Box::new(callback))).unwrap()
        })
        .min_threads(min)
        .max_threads(max)
        .max_wait(Duration::from_millis(10))
        .max_idle(Duration::from_millis(100))
        .build()
}

fn wait_for(pool: &HostPool, condition: impl Fn(usize) -> bool) {
    let started = Instant::now();
    while !condition(pool.num_active_workers()) {
        assert!(started.elapsed() < Duration::from_secs(10), "workers: {}", pool.num_active_workers());
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_grow_after_max_wait_and_shrink_after_max_idle() {
    let pool = pool(1, 5, Duration::from_millis(300), 0);
    assert_eq!(pool.num_active_workers(), 1);
    let answers = futures::future::join_all((0..3).map(|_| pool.call("hostly", b"".to_vec()))).await;
    assert!(answers.iter().all(Result::is_ok), "{answers:?}");
    assert_eq!(pool.num_active_workers(), 3, "each waiting call grew the pool after max_wait");
    wait_for(&pool, |workers| workers == 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_queue_for_busy_workers_at_the_maximum() {
    let pool = pool(2, 2, Duration::from_millis(20), 0);
    let answers = futures::future::join_all((0..6).map(|_| pool.call("count", b"".to_vec()))).await;
    let counts: Vec<u32> = answers.into_iter().map(|answer| count(&answer.unwrap())).collect();
    // Each instance counts its own calls: six calls on at most two instances.
    assert!(counts.iter().filter(|&&count| count == 1).count() <= 2, "{counts:?}");
    assert!(counts.iter().any(|&count| count >= 3), "{counts:?}");
    assert_eq!(pool.num_active_workers(), 2);
}

#[tokio::test]
async fn a_panicking_factory_fails_calls_and_the_pool_recovers() {
    let pool = pool(1, 1, Duration::ZERO, 1);
    match pool.call("count", b"".to_vec()).await {
        Ok(answer) => assert_eq!(count(&answer), 1),
        Err(Error::Provider(error)) => panic!("the factory fails only once: {error}"),
        Err(other) => panic!("unexpected error: {other}"),
    }
}

#[tokio::test]
async fn a_shut_down_pool_refuses_calls_and_a_second_shutdown() {
    let mut pool = pool(1, 2, Duration::ZERO, 0);
    assert_eq!(count(&pool.call("count", b"".to_vec()).await.unwrap()), 1);
    pool.shutdown().unwrap();
    assert!(matches!(pool.call("count", b"".to_vec()).await, Err(Error::PoolClosed { pool }) if pool == "upstream"));
    assert!(matches!(pool.shutdown(), Err(Error::PoolClosed { .. })));
    assert_eq!(pool.num_active_workers(), 0);
}
