//! The pool's behaviour with real guests on wasmtime (and wasmi where the engine matters).

mod guests;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};
use wapc::errors::{Error, Resource, ResourceLimit};
use wapc_conformance::guests::GUEST_OURS;
use wapc_pool::{Pool, PoolBuilder, PoolStats};
use wasmi_provider::WasmiEngineProviderBuilder;
use wasmtime_provider::WasmtimeEngineProviderBuilder;

use guests::{count, counter};

/// What the host callback of a test pool saw, and a gate that calls whose payload starts with `hold` wait at.
#[derive(Default)]
struct Host {
    seen: Mutex<Vec<Vec<u8>>>,
    open: Mutex<bool>,
    opened: Condvar,
}

impl Host {
    fn callback(self: &Arc<Self>) -> impl Fn(u64, &str, &str, &str, &[u8]) -> HostResult + Send + Sync + 'static {
        let host = Arc::clone(self);
        move |_id, _binding, _namespace, _operation, payload| {
            host.seen.lock().push(payload.to_vec());
            if payload.starts_with(b"hold") {
                let mut open = host.open.lock();
                while !*open {
                    host.opened.wait(&mut open);
                }
            }
            Ok(Vec::new())
        }
    }

    fn release(&self) {
        *self.open.lock() = true;
        self.opened.notify_all();
    }
}

/// Opens the gate when dropped: a scope whose assertion fails must not leave its threads waiting forever.
struct OpenAtEnd<'a>(&'a Host);

impl Drop for OpenAtEnd<'_> {
    fn drop(&mut self) {
        self.0.release();
    }
}

type HostResult = Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>>;

fn wasmtime(module: &[u8]) -> Box<dyn wapc::WebAssemblyEngineProvider> {
    Box::new(WasmtimeEngineProviderBuilder::new().module_bytes(module).build().unwrap())
}

/// A pool of the counter guest whose host is `host`.
fn counter_pool(host: &Arc<Host>, builder: PoolBuilder) -> Pool {
    builder.host_callback(host.callback()).build(wasmtime(&counter(b'A'))).unwrap()
}

/// Waits (up to ten seconds) until the pool's statistics satisfy `condition`.
fn wait_for(pool: &Pool, condition: impl Fn(PoolStats) -> bool) {
    let started = Instant::now();
    while !condition(pool.stats()) {
        assert!(started.elapsed() < Duration::from_secs(10), "the pool never got there: {:?}", pool.stats());
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn pools_and_upstream_style_providers_are_send_and_sync() {
    fn needs<T: Send + Sync>() {}
    needs::<Pool>();
    needs::<wapc_pool::HostPool>();
    needs::<wasmtime_provider::WasmtimeEngineProvider>();
    needs::<wasmi_provider::WasmiEngineProvider>();
}

/// Eight threads echo 200 payloads of their own each through `pool`, each checking every answer is its own.
fn echo_from_eight_threads(pool: &Pool) {
    std::thread::scope(|scope| {
        for thread in 0..8 {
            scope.spawn(move || {
                for call in 0..200 {
                    let payload = format!("thread {thread} call {call}");
                    assert_eq!(pool.call("echo", payload.as_bytes()).unwrap(), payload.as_bytes());
                }
            });
        }
    });
}

#[test]
fn concurrent_callers_get_their_own_answers() {
    let pool = Pool::builder().max_instances(4).build(wasmtime(GUEST_OURS)).unwrap();
    echo_from_eight_threads(&pool);
    let stats = pool.stats();
    assert!(stats.live <= 4, "{stats:?}");
    assert_eq!((stats.busy, stats.waiting), (0, 0));
}

#[test]
fn a_pool_runs_in_a_wasmtime_pooling_allocator_of_its_size() {
    let provider = WasmtimeEngineProviderBuilder::new().module_bytes(GUEST_OURS).pooling_allocator(4).build().unwrap();
    let outsider = provider.clone();
    let pool = Pool::builder().min_instances(4).max_instances(4).build(Box::new(provider)).unwrap();
    echo_from_eight_threads(&pool);
    assert_eq!(pool.stats(), stats(4, 0, 4, 0));
    // The pool's instances hold every slot of the engine.
    assert!(matches!(
        wapc::WapcHost::new(Box::new(outsider), None),
        Err(Error::ResourceLimit(ResourceLimit { resource: Resource::Instances, requested: 5, limit: 4 }))
    ));
}

#[test]
fn each_instance_keeps_its_own_state_and_a_trap_replaces_only_its_own() {
    let host = Arc::new(Host::default());
    let pool = counter_pool(&host, Pool::builder().min_instances(2).max_instances(2));
    std::thread::scope(|scope| {
        let _open = OpenAtEnd(&host);
        // Instance X counts to 1 and waits in the host.
        let held = scope.spawn(|| count(&pool.call("hostly", b"hold").unwrap()));
        wait_for(&pool, |stats| stats.busy == 1);
        // Instance Y: its own counter, then a trap, then a fresh counter.
        assert_eq!(count(&pool.call("count", b"").unwrap()), 1);
        assert_eq!(count(&pool.call("count", b"").unwrap()), 2);
        assert!(matches!(pool.call("boom", b""), Err(Error::Trap(_))));
        assert_eq!(count(&pool.call("count", b"").unwrap()), 1);
        host.release();
        assert_eq!(held.join().unwrap(), 1);
    });
    // X came back last, so it serves next, its counter untouched by Y's trap.
    assert_eq!(count(&pool.call("count", b"").unwrap()), 2);
}

#[test]
fn a_call_waits_at_most_the_acquire_timeout_and_the_guest_never_runs() {
    let host = Arc::new(Host::default());
    let pool =
        counter_pool(&host, Pool::builder().name("tight").max_instances(1).acquire_timeout(Duration::from_millis(50)));
    std::thread::scope(|scope| {
        let _open = OpenAtEnd(&host);
        scope.spawn(|| pool.call("hostly", b"hold").unwrap());
        wait_for(&pool, |stats| stats.busy == 1);
        match pool.call("hostly", b"late") {
            Err(Error::PoolTimeout { pool, waited }) => {
                assert_eq!(pool, "tight");
                assert!(waited >= Duration::from_millis(50), "{waited:?}");
            }
            other => panic!("expected a pool timeout, got {other:?}"),
        }
        assert_eq!(pool.stats().waiting, 0);
        host.release();
    });
    assert_eq!(*host.seen.lock(), [b"hold".to_vec()]);
    assert_eq!(count(&pool.call("count", b"").unwrap()), 2);
}

#[test]
fn waiting_calls_are_served_first_come_first_served() {
    let host = Arc::new(Host::default());
    let pool = counter_pool(&host, Pool::builder().max_instances(1));
    std::thread::scope(|scope| {
        let _open = OpenAtEnd(&host);
        scope.spawn(|| pool.call("hostly", b"hold").unwrap());
        wait_for(&pool, |stats| stats.busy == 1);
        for caller in 0..5 {
            let pool = &pool;
            scope.spawn(move || pool.call("hostly", format!("caller {caller}").as_bytes()).unwrap());
            wait_for(pool, |stats| stats.waiting == caller + 1);
        }
        host.release();
    });
    let seen = host.seen.lock();
    let expected: Vec<Vec<u8>> =
        std::iter::once(b"hold".to_vec()).chain((0..5).map(|caller| format!("caller {caller}").into_bytes())).collect();
    assert_eq!(*seen, expected);
}

#[test]
fn an_async_caller_that_gives_up_leaves_the_queue_and_loses_nothing() {
    let host = Arc::new(Host::default());
    let pool = counter_pool(&host, Pool::builder().max_instances(1));
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_time().build().unwrap();
    std::thread::scope(|scope| {
        let _open = OpenAtEnd(&host);
        scope.spawn(|| pool.call("hostly", b"hold").unwrap());
        wait_for(&pool, |stats| stats.busy == 1);
        let gave_up = runtime
            .block_on(async { tokio::time::timeout(Duration::from_millis(20), pool.call_async("count", b"")).await });
        assert!(gave_up.is_err());
        assert_eq!(pool.stats().waiting, 0);
        host.release();
    });
    let answer = runtime.block_on(pool.call_async("count", b"")).unwrap();
    assert_eq!(count(&answer), 2, "the abandoned call never ran");
    assert_eq!(pool.stats(), stats(1, 0, 1, 0));
}

#[test]
fn instances_are_recycled_after_a_number_of_calls() {
    let host = Arc::new(Host::default());
    let pool = counter_pool(&host, Pool::builder().max_instances(1).recycle_after_calls(2));
    let counts: Vec<u32> = (0..5).map(|_| count(&pool.call("count", b"").unwrap())).collect();
    assert_eq!(counts, [1, 2, 1, 2, 1]);
}

#[test]
fn instances_are_recycled_when_their_memory_passes_the_mark() {
    let host = Arc::new(Host::default());
    let pool = counter_pool(&host, Pool::builder().max_instances(1).recycle_above_memory(4 * 65536));
    assert_eq!(count(&pool.call("count", b"").unwrap()), 1);
    assert_eq!(count(&pool.call("big", b"").unwrap()), 2);
    assert_eq!(count(&pool.call("count", b"").unwrap()), 1, "the grown instance was retired");
}

#[test]
fn idle_instances_beyond_the_minimum_are_dropped() {
    let host = Arc::new(Host::default());
    let pool = counter_pool(
        &host,
        Pool::builder().min_instances(1).max_instances(4).idle_timeout(Some(Duration::from_millis(50))),
    );
    std::thread::scope(|scope| {
        let _open = OpenAtEnd(&host);
        for _ in 0..4 {
            scope.spawn(|| pool.call("hostly", b"hold").unwrap());
        }
        wait_for(&pool, |stats| stats.busy == 4);
        host.release();
    });
    wait_for(&pool, |stats| stats.live == 1);
    assert_eq!(pool.stats(), stats(1, 0, 1, 0));
}

#[test]
fn replace_module_under_load_never_mixes_modules() {
    let pool = Pool::builder().max_instances(3).build(wasmtime(&counter(b'A'))).unwrap();
    let replaced = AtomicBool::new(false);
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                let mut saw_b = false;
                for _ in 0..400 {
                    let after_replace = replaced.load(Ordering::SeqCst);
                    let answer = pool.call("which", b"").unwrap();
                    match answer.as_slice() {
                        b"A" => assert!(!after_replace && !saw_b, "the old module ran after the replacement"),
                        b"B" => saw_b = true,
                        other => panic!("a mixed answer: {other:?}"),
                    }
                }
            });
        }
        std::thread::sleep(Duration::from_millis(5));
        pool.replace_module(&counter(b'B')).unwrap();
        replaced.store(true, Ordering::SeqCst);
    });
    assert_eq!(pool.call("which", b"").unwrap(), b"B");
}

#[test]
fn a_module_that_fails_to_load_leaves_the_old_one_serving() {
    let pool = Pool::builder().build(wasmtime(&counter(b'A'))).unwrap();
    assert!(matches!(pool.replace_module(b"not wasm"), Err(Error::InvalidModule(_))));
    assert_eq!(pool.call("which", b"").unwrap(), b"A");
}

#[test]
fn shutdown_refuses_queued_calls_and_lets_running_ones_finish() {
    let host = Arc::new(Host::default());
    let pool = counter_pool(&host, Pool::builder().name("closing").max_instances(1));
    std::thread::scope(|scope| {
        let _open = OpenAtEnd(&host);
        let running = scope.spawn(|| pool.call("hostly", b"hold"));
        wait_for(&pool, |stats| stats.busy == 1);
        let queued = scope.spawn(|| pool.call("count", b""));
        wait_for(&pool, |stats| stats.waiting == 1);
        let shutdown = scope.spawn(|| pool.shutdown());
        assert!(matches!(queued.join().unwrap(), Err(Error::PoolClosed { pool }) if pool == "closing"));
        host.release();
        assert_eq!(count(&running.join().unwrap().unwrap()), 1);
        shutdown.join().unwrap();
    });
    assert!(matches!(pool.call("count", b""), Err(Error::PoolClosed { .. })));
    assert_eq!(pool.stats(), stats(0, 0, 0, 0));
}

#[test]
fn async_callers_run_concurrently_on_the_pools_threads() {
    let pool = Pool::builder().max_instances(4).build(wasmtime(GUEST_OURS)).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let answers = runtime.block_on(futures::future::join_all(
        (0..64).map(|call| pool.call_async("echo", format!("call {call}").into_bytes())),
    ));
    for (call, answer) in answers.into_iter().enumerate() {
        assert_eq!(answer.unwrap(), format!("call {call}").into_bytes());
    }
}

#[test]
fn wasmi_pools_share_one_compiled_module() {
    let engine = WasmiEngineProviderBuilder::new().module_bytes(&counter(b'A')).build().unwrap();
    let pool = Pool::builder().min_instances(2).max_instances(2).build(Box::new(engine)).unwrap();
    assert_eq!(pool.stats().live, 2);
    assert_eq!(count(&pool.call("count", b"").unwrap()), 1);
    pool.replace_module(&counter(b'B')).unwrap();
    assert_eq!(pool.call("which", b"").unwrap(), b"B");
}

fn stats(live: usize, busy: usize, idle: usize, waiting: usize) -> PoolStats {
    let mut stats = PoolStats::default();
    (stats.live, stats.busy, stats.idle, stats.waiting) = (live, busy, idle, waiting);
    stats
}
