//! `WapcHostAsync` on wasmi: host calls that await, calls that are dropped, fuel budgets across slices, guests
//! that loop on a runtime with one worker, start functions that await, and WASI waits that never block.

use std::sync::Arc;
use std::time::Duration;

use wapc::errors::{Error, ExecutionLimit};
use wapc::{HostCallbackFuture, WapcHost, WapcHostAsync, WapcHostAsyncBuilder};
use wapc_conformance::guests::{GUEST_OURS, wat_guest};
use wasmi_provider::{FUEL_PER_SLICE, FuelLimits, WasiWouldBlock, WasmiEngineProviderBuilder};

/// A host of `module` (built with `fuel` limits, if given) whose callback runs `answer`.
async fn host_of(
    module: &[u8],
    fuel: Option<FuelLimits>,
    answer: impl Fn(Vec<u8>) -> HostCallbackFuture + Send + Sync + 'static,
) -> WapcHostAsync {
    let mut builder = WasmiEngineProviderBuilder::new().module_bytes(module);
    if let Some(fuel) = fuel {
        builder = builder.enable_fuel_limits(fuel);
    }
    WapcHostAsyncBuilder::new()
        .host_callback(move |_id, _binding, _namespace, _operation, payload| answer(payload))
        .build(Box::new(builder.build_async().unwrap()))
        .await
        .unwrap()
}

/// A host of the conformance guest (whose `ping` answers `pong:` and the host's answer) whose callback runs
/// `answer`.
async fn host(answer: impl Fn(Vec<u8>) -> HostCallbackFuture + Send + Sync + 'static) -> WapcHostAsync {
    host_of(GUEST_OURS, None, answer).await
}

fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap()
}

/// A WAT guest that echoes operations named with two letters and runs `body` for the others.
fn guest(body: &str) -> Vec<u8> {
    wat_guest(body, "")
}

/// A guest that loops for ever on operations not named with two letters.
fn looping_guest() -> Vec<u8> {
    guest("(loop $forever (br $forever)) (i32.const 0)")
}

#[test]
fn guests_waiting_on_their_host_share_one_thread() {
    current_thread().block_on(async {
        const GUESTS: usize = 8;
        // Each callback waits until every guest is in its host call: calls that held the thread would never
        // all get there.
        let meeting = Arc::new(tokio::sync::Barrier::new(GUESTS));
        let mut hosts = Vec::new();
        for _ in 0..GUESTS {
            let meeting = Arc::clone(&meeting);
            hosts.push(
                host(move |payload| {
                    let meeting = Arc::clone(&meeting);
                    Box::pin(async move {
                        meeting.wait().await;
                        Ok(payload)
                    })
                })
                .await,
            );
        }
        let calls = hosts.iter().enumerate().map(|(i, host)| {
            let payload = format!("guest {i}");
            async move { (host.call("ping", payload.as_bytes()).await, payload) }
        });
        let joined = tokio::time::timeout(Duration::from_secs(30), futures::future::join_all(calls)).await;
        for (answer, payload) in joined.expect("the guests' host calls did not overlap") {
            assert_eq!(answer.unwrap(), format!("pong:{payload}").into_bytes());
        }
    });
}

#[test]
fn a_call_dropped_while_its_callback_awaits_leaves_a_working_host() {
    current_thread().block_on(async {
        let host = host(|payload| {
            Box::pin(async move {
                if payload == b"wait" {
                    std::future::pending::<()>().await;
                }
                Ok(payload)
            })
        })
        .await;
        let dropped = tokio::time::timeout(Duration::from_millis(20), host.call("ping", b"wait")).await;
        assert!(dropped.is_err(), "the call cannot have ended: its callback never answers");
        assert_eq!(host.call("ping", b"again").await.unwrap(), b"pong:again");
        assert_eq!(host.call("echo", b"and again").await.unwrap(), b"and again");
    });
}

#[test]
fn a_looping_guest_runs_out_of_its_fuel_across_slices_and_the_host_recovers() {
    current_thread().block_on(async {
        let budget = FUEL_PER_SLICE + FUEL_PER_SLICE / 2;
        let fuel = FuelLimits { wapc_init: 1_000_000, wapc_func: budget };
        let host = host_of(&looping_guest(), Some(fuel), |payload| Box::pin(async move { Ok(payload) })).await;
        assert!(
            matches!(host.call("loop", b"").await, Err(Error::DeadlineExceeded(ExecutionLimit::Fuel(b))) if b == budget)
        );
        assert_eq!(host.call("ec", b"next").await.unwrap(), b"next");
    });
}

#[test]
fn a_looping_guest_does_not_starve_another_task_on_one_worker() {
    current_thread().block_on(async {
        // The budget only ends the loop if the guest never yields, for the test to fail rather than hang.
        let fuel = FuelLimits { wapc_init: 1_000_000, wapc_func: 20 * FUEL_PER_SLICE };
        let host = host_of(&looping_guest(), Some(fuel), |payload| Box::pin(async move { Ok(payload) })).await;
        let (done, mut finished) = tokio::sync::mpsc::unbounded_channel();
        let other = {
            let done = done.clone();
            tokio::spawn(async move {
                for _ in 0..3 {
                    tokio::task::yield_now().await;
                }
                done.send("other task").unwrap();
            })
        };
        tokio::select! {
            result = host.call("loop", b"") => panic!("the loop ended before the other task did: {result:?}"),
            Some(first) = finished.recv() => assert_eq!(first, "other task"),
        }
        other.await.unwrap();
        // The loop's call was dropped half-way: the host goes on with a fresh instance.
        assert_eq!(host.call("ec", b"after").await.unwrap(), b"after");
    });
}

#[test]
fn start_functions_and_replace_module_run_on_the_async_path() {
    current_thread().block_on(async {
        // `wapc_init` calls the host, whose callback has to wait: the start function is suspended and resumed.
        let module = wat_guest(
            "(call $guest_response (i32.const 4096) (i32.load (i32.const 4092))) (i32.const 1)",
            r#"(func (export "wapc_init")
                 (drop (call $host_call (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
                                        (i32.const 0) (i32.const 0) (i32.const 0)))
                 (call $host_response (i32.const 4096))
                 (i32.store (i32.const 4092) (call $host_response_len)))"#,
        );
        let host = host_of(&module, None, |_| {
            Box::pin(async move {
                tokio::task::yield_now().await;
                Ok(b"from wapc_init".to_vec())
            })
        })
        .await;
        assert_eq!(host.call("init", b"").await.unwrap(), b"from wapc_init");
        host.replace_module(GUEST_OURS).await.unwrap();
        assert_eq!(host.call("echo", b"replaced").await.unwrap(), b"replaced");
        assert!(matches!(host.replace_module(b"not wasm").await, Err(Error::InvalidModule(_))));
        assert_eq!(host.call("echo", b"old module").await.unwrap(), b"old module");
    });
}

#[test]
fn shared_modules_memory_and_the_call_deadline() {
    current_thread().block_on(async {
        let fuel = FuelLimits { wapc_init: 1_000_000, wapc_func: 20_000_000 };
        let provider = WasmiEngineProviderBuilder::new().module_bytes(GUEST_OURS).enable_fuel_limits(fuel);
        let provider = provider.build_async_pre().unwrap().rehydrate().unwrap();
        // The time the budget stands for, at a unit of fuel per nanosecond.
        assert_eq!(wapc::WebAssemblyEngineProviderAsync::call_deadline(&provider), Some(Duration::from_millis(20)));
        let host = WapcHostAsync::new(Box::new(provider.clone()), None).await.unwrap();
        assert!(host.memory_bytes().is_some_and(|bytes| bytes > 0));
        let shared = WapcHostAsync::new(host.share_module().unwrap(), None).await.unwrap();
        assert_eq!(shared.call("echo", b"shared").await.unwrap(), b"shared");
        assert_eq!(host.call("echo", b"first").await.unwrap(), b"first");
    });
}

/// A guest whose `__guest_call` counts down from the payload's first four bytes (little-endian) and echoes
/// them: its fuel grows by the same amount with each count.
fn counting_guest() -> Vec<u8> {
    guest(
        "(call $guest_request (i32.const 0) (i32.const 1024))
         (local.set $op_len (i32.load (i32.const 1024)))
         (block $done (loop $count
           (br_if $done (i32.eqz (local.get $op_len)))
           (local.set $op_len (i32.sub (local.get $op_len) (i32.const 1)))
           (br $count)))
         (call $guest_response (i32.const 1024) (local.get $msg_len)) (i32.const 1)",
    )
}

/// The least `wapc_func` fuel with which a blocking provider runs `count` counts of [`counting_guest`].
fn fuel_needed_blocking(module: &[u8], count: u32) -> u64 {
    let runs = |fuel: u64| {
        let limits = FuelLimits { wapc_init: 1_000_000, wapc_func: fuel };
        let provider = WasmiEngineProviderBuilder::new().module_bytes(module).enable_fuel_limits(limits);
        let host = WapcHost::new(Box::new(provider.build().unwrap()), None).unwrap();
        match host.call("count", &count.to_le_bytes()) {
            Ok(answer) => answer == count.to_le_bytes(),
            Err(Error::DeadlineExceeded(ExecutionLimit::Fuel(limit))) if limit == fuel => false,
            Err(other) => panic!("unexpected failure: {other:?}"),
        }
    };
    let (mut fails, mut passes) = (0, 1_000_000);
    assert!(runs(passes));
    while passes - fails > 1 {
        let middle = fails + (passes - fails) / 2;
        if runs(middle) { passes = middle } else { fails = middle }
    }
    passes
}

#[test]
fn a_fuel_budget_is_exact_across_slices() {
    current_thread().block_on(async {
        let module = counting_guest();
        // Fuel grows linearly with the count: measure it on small counts with a blocking provider, then run a
        // count that takes more than one slice on the async one, with exactly enough fuel and one unit less.
        let (one, two) = (fuel_needed_blocking(&module, 1), fuel_needed_blocking(&module, 2));
        let per_count = two - one;
        assert_eq!(fuel_needed_blocking(&module, 3), two + per_count);
        let count = u32::try_from((FUEL_PER_SLICE + FUEL_PER_SLICE / 5) / per_count).unwrap();
        let needed = one + per_count * u64::from(count - 1);
        assert!(needed > FUEL_PER_SLICE, "the call must take more than one slice");
        let payload = count.to_le_bytes();
        for (fuel, enough) in [(needed, true), (needed - 1, false)] {
            let limits = FuelLimits { wapc_init: 1_000_000, wapc_func: fuel };
            let host = host_of(&module, Some(limits), |payload| Box::pin(async move { Ok(payload) })).await;
            let result = host.call("count", &payload).await;
            if enough {
                assert_eq!(result.unwrap(), payload);
            } else {
                assert!(matches!(result, Err(Error::DeadlineExceeded(ExecutionLimit::Fuel(f))) if f == fuel));
            }
        }
    });
}

/// A guest that sleeps with WASI's `poll_oneoff` on `clocks` relative clocks of `nanos` each (one clock is what
/// WASI libc's `sleep` does), on operations not named with two letters, then answers `slept`.
fn sleeping_guest(clocks: u32, nanos: u64) -> Vec<u8> {
    let subscriptions: String = (0..clocks)
        .map(|i| {
            let at = 8192 + 48 * i;
            // A subscription: userdata (8 bytes), tag 0 = clock (at +8), clock id 1 = monotonic (at +16),
            // timeout (at +24), precision (at +32), flags 0 = relative (at +40).
            format!(
                "(i32.store (i32.const {}) (i32.const 1)) (i64.store (i32.const {}) (i64.const {nanos}))",
                at + 16,
                at + 24
            )
        })
        .collect();
    wat_guest(
        &format!(
            r#"{subscriptions}
            (drop (call $poll_oneoff (i32.const 8192) (i32.const 16384) (i32.const {clocks}) (i32.const 20000)))
            (i32.store (i32.const 4096) (i32.const 0x70656c73)) (i32.store8 (i32.const 4100) (i32.const 0x74))
            (call $guest_response (i32.const 4096) (i32.const 5)) (i32.const 1)"#
        ),
        r#"(import "wasi_snapshot_preview1" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))"#,
    )
}

#[test]
fn a_sleeping_guest_is_suspended_and_charged_for_its_sleep() {
    current_thread().block_on(async {
        // A sleep of a minute suspends the guest: another task runs meanwhile, and the call is dropped. (A sleep
        // that blocked the thread would end first, and fail the test.)
        let host = host_of(&sleeping_guest(1, 60_000_000_000), None, |_| Box::pin(async { Ok(Vec::new()) })).await;
        tokio::select! {
            result = host.call("sleep", b"") => panic!("the minute-long sleep ended: {result:?}"),
            () = tokio::task::yield_now() => {}
        }
        assert_eq!(host.call("ec", b"awake").await.unwrap(), b"awake");

        // A sleep costs fuel at a unit per nanosecond: 30 ms fits a budget of 50 million, an hour fails at once.
        let limits = FuelLimits { wapc_init: 1_000_000, wapc_func: 50_000_000 };
        let short = host_of(&sleeping_guest(1, 30_000_000), Some(limits), |_| Box::pin(async { Ok(Vec::new()) })).await;
        assert_eq!(short.call("sleep", b"").await.unwrap(), b"slept");
        let long =
            host_of(&sleeping_guest(1, 3_600_000_000_000), Some(limits), |_| Box::pin(async { Ok(Vec::new()) })).await;
        assert!(matches!(
            long.call("sleep", b"").await,
            Err(Error::DeadlineExceeded(ExecutionLimit::Fuel(50_000_000)))
        ));
        assert_eq!(long.call("ec", b"recovered").await.unwrap(), b"recovered");
    });
}

#[test]
fn a_wasi_wait_that_would_block_a_current_thread_runtime_is_refused() {
    current_thread().block_on(async {
        // A poll of two clocks is not a plain sleep: it would block the runtime's one thread, so the call fails.
        let host = host_of(&sleeping_guest(2, 1_000_000), None, |_| Box::pin(async { Ok(Vec::new()) })).await;
        match host.call("poll", b"").await {
            Err(Error::Provider(source)) => assert!(source.is::<WasiWouldBlock>(), "{source}"),
            other => panic!("expected the wait to be refused, got {other:?}"),
        }
        assert_eq!(host.call("ec", b"recovered").await.unwrap(), b"recovered");
    });
}

#[test]
fn a_wasi_wait_on_a_multi_thread_runtime_blocks_in_place_within_the_fuel() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_time().build().unwrap();
    runtime.block_on(async {
        let limits = FuelLimits { wapc_init: 1_000_000, wapc_func: 50_000_000 };
        let guest = |nanos| sleeping_guest(2, nanos);
        let short = Arc::new(host_of(&guest(1_000_000), Some(limits), |_| Box::pin(async { Ok(Vec::new()) })).await);
        let long =
            Arc::new(host_of(&guest(3_600_000_000_000), Some(limits), |_| Box::pin(async { Ok(Vec::new()) })).await);
        // On a worker, as the tasks of a service run.
        let (short, long) = tokio::join!(
            tokio::spawn(async move { short.call("poll", b"").await }),
            tokio::spawn(async move { long.call("poll", b"").await })
        );
        assert_eq!(short.unwrap().unwrap(), b"slept");
        assert!(matches!(long.unwrap(), Err(Error::DeadlineExceeded(ExecutionLimit::Fuel(50_000_000)))));
    });
}
