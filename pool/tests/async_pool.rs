//! A pool of async hosts (`PoolBuilder::build_async`): guests that await their host callbacks on the caller's
//! task, many at once on one thread.

use std::sync::Arc;
use std::time::Duration;

use wapc::HostCallbackFuture;
use wapc::errors::Error;
use wapc_conformance::guests::{GUEST_OURS, GUEST_UPSTREAM};
use wapc_pool::{Pool, PoolStats};
use wasmtime_provider::WasmtimeEngineProviderBuilder;

/// A pool of the conformance guest (whose `ping` answers `pong:` and its host's answer) whose callback runs
/// `answer`.
async fn pool(max: usize, answer: impl Fn(Vec<u8>) -> HostCallbackFuture + Send + Sync + 'static) -> Pool {
    let engine = WasmtimeEngineProviderBuilder::new().module_bytes(GUEST_OURS).build_async().unwrap();
    Pool::builder()
        .name("async-test")
        .min_instances(1)
        .max_instances(max)
        .host_callback_async(move |_id, _binding, _namespace, _operation, payload| answer(payload))
        .build_async(Box::new(engine))
        .await
        .unwrap()
}

/// `(live, busy, idle, waiting)`.
fn counts(stats: PoolStats) -> (usize, usize, usize, usize) {
    (stats.live, stats.busy, stats.idle, stats.waiting)
}

fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap()
}

#[test]
fn one_pool_on_one_thread_runs_every_instance_s_waiting_call_at_once() {
    current_thread().block_on(async {
        const CALLS: usize = 64;
        // Every callback waits until all 64 guests are in their host calls: only instances that hold no
        // thread while they wait get there, on a runtime with one.
        let meeting = Arc::new(tokio::sync::Barrier::new(CALLS));
        let pool = pool(CALLS, move |payload| {
            let meeting = Arc::clone(&meeting);
            Box::pin(async move {
                meeting.wait().await;
                Ok(payload)
            })
        })
        .await;
        let calls = (0..CALLS).map(|i| {
            let pool = &pool;
            async move { (pool.call_async("ping", format!("{i}").into_bytes()).await, i) }
        });
        let answers = tokio::time::timeout(Duration::from_secs(60), futures::future::join_all(calls)).await;
        for (answer, i) in answers.expect("the calls did not all wait at once") {
            assert_eq!(answer.unwrap(), format!("pong:{i}").into_bytes());
        }
        assert_eq!(counts(pool.stats()), (CALLS, 0, CALLS, 0));
    });
}

#[test]
fn a_call_dropped_while_it_waits_gives_its_instance_back_for_a_fresh_start() {
    current_thread().block_on(async {
        let pool = pool(1, |payload| {
            Box::pin(async move {
                if payload == b"wait" {
                    std::future::pending::<()>().await;
                }
                Ok(payload)
            })
        })
        .await;
        let dropped = tokio::time::timeout(Duration::from_millis(20), pool.call_async("ping", b"wait".to_vec())).await;
        assert!(dropped.is_err(), "the call cannot have ended: its callback never answers");
        assert_eq!(counts(pool.stats()), (1, 0, 1, 0));
        assert_eq!(pool.call_async("ping", b"next".to_vec()).await.unwrap(), b"pong:next");
    });
}

#[test]
fn replace_module_async_swaps_the_module_of_every_instance() {
    current_thread().block_on(async {
        let pool = pool(2, |payload| Box::pin(async move { Ok(payload) })).await;
        assert_eq!(pool.call_async("echo_owned", b"ours".to_vec()).await.unwrap(), b"ours");
        pool.replace_module_async(GUEST_UPSTREAM).await.unwrap();
        // Only the module built with this project's SDK has `echo_owned`.
        assert!(matches!(pool.call_async("echo_owned", b"x".to_vec()).await, Err(Error::GuestError(_))));
        assert_eq!(pool.call_async("echo", b"upstream".to_vec()).await.unwrap(), b"upstream");
        assert!(matches!(pool.replace_module_async(b"not wasm").await, Err(Error::InvalidModule(_))));
        assert!(matches!(pool.replace_module(GUEST_OURS), Err(Error::Provider(_))));
    });
}

#[test]
fn blocking_calls_of_a_pool_of_async_hosts_are_refused_with_the_way_out() {
    let runtime = current_thread();
    let pool = runtime.block_on(pool(1, |payload| Box::pin(async move { Ok(payload) })));
    match pool.call("echo", b"") {
        Err(Error::Provider(source)) => {
            assert_eq!(source.to_string(), "pool `async-test` runs async hosts: call it with `call_async`");
        }
        other => panic!("expected a provider error, got {other:?}"),
    }
    assert_eq!(runtime.block_on(pool.call_async("echo", b"async".to_vec())).unwrap(), b"async");
}

#[test]
fn building_off_a_runtime_says_where_to_build() {
    let engine = WasmtimeEngineProviderBuilder::new().module_bytes(GUEST_OURS).build_async().unwrap();
    let built = futures::executor::block_on(Pool::builder().build_async(Box::new(engine)));
    assert!(
        built.is_err_and(|e| e.to_string().contains("built on the tokio runtime it serves")),
        "built off a runtime"
    );
}
