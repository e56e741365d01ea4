//! `WapcHostAsync` on wasmtime: host calls that await, calls that are dropped, deadlines that pass while a
//! guest waits, and guests that loop on a runtime with one worker.

use std::sync::Arc;
use std::time::Duration;

use wapc::errors::{Error, ExecutionLimit};
use wapc::{HostCallbackFuture, WapcHostAsync, WapcHostAsyncBuilder};
use wapc_conformance::guests::{GUEST_OURS, wat_guest};
use wasmtime_provider::WasmtimeEngineProviderBuilder;

/// A host of the conformance guest (whose `ping` answers `pong:` and the host's answer) whose callback runs
/// `answer`.
async fn host(
    deadline: Option<Duration>,
    answer: impl Fn(Vec<u8>) -> HostCallbackFuture + Send + Sync + 'static,
) -> WapcHostAsync {
    let mut builder = WasmtimeEngineProviderBuilder::new();
    builder = builder.module_bytes(GUEST_OURS);
    if let Some(deadline) = deadline {
        builder = builder.deadline(deadline);
    }
    WapcHostAsyncBuilder::new()
        .host_callback(move |_id, _binding, _namespace, _operation, payload| answer(payload))
        .build(Box::new(builder.build_async().unwrap()))
        .await
        .unwrap()
}

fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap()
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
                host(None, move |payload| {
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
        let host = host(None, |payload| {
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
fn a_deadline_passing_while_the_guest_awaits_ends_the_call() {
    current_thread().block_on(async {
        let deadline = Duration::from_millis(50);
        let host = host(Some(deadline), |payload| {
            Box::pin(async move {
                if payload == b"wait" {
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                }
                Ok(payload)
            })
        })
        .await;
        match host.call("ping", b"wait").await {
            Err(Error::DeadlineExceeded(ExecutionLimit::WallClock(limit))) => assert_eq!(limit, deadline),
            other => panic!("expected the deadline to end the call, got {other:?}"),
        }
        assert_eq!(host.call("ping", b"next").await.unwrap(), b"pong:next");
    });
}

#[test]
fn a_looping_guest_does_not_starve_another_task_on_one_worker() {
    current_thread().block_on(async {
        let module = wat_guest("(loop $forever (br $forever)) (i32.const 0)", "");
        let engine = WasmtimeEngineProviderBuilder::new()
            .module_bytes(&module)
            .deadline(Duration::from_secs(2))
            .build_async()
            .unwrap();
        let host = WapcHostAsync::new(Box::new(engine), None).await.unwrap();
        let (done, mut finished) = tokio::sync::mpsc::unbounded_channel();
        let looping = {
            let done = done.clone();
            async move {
                let result = host.call("loop", b"").await;
                done.send("loop").unwrap();
                result
            }
        };
        let other = async move {
            for _ in 0..3 {
                tokio::task::yield_now().await;
            }
            done.send("other task").unwrap();
        };
        let (result, ()) = tokio::join!(looping, other);
        assert!(matches!(result, Err(Error::DeadlineExceeded(_))), "{result:?}");
        assert_eq!(finished.recv().await, Some("other task"), "the other task waited for the loop to end");
        assert_eq!(finished.recv().await, Some("loop"));
    });
}

#[test]
fn start_functions_and_replace_module_run_on_the_async_path() {
    current_thread().block_on(async {
        let host = host(None, |payload| Box::pin(async move { Ok(payload) })).await;
        host.replace_module(GUEST_OURS).await.unwrap();
        assert_eq!(host.call("echo", b"replaced").await.unwrap(), b"replaced");
        assert!(matches!(host.replace_module(b"not wasm").await, Err(Error::InvalidModule(_))));
        assert_eq!(host.call("echo", b"old module").await.unwrap(), b"old module");
    });
}
