//! One host shared by threads, callbacks that call back in, callbacks that panic, and tokio runtimes.

use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

use crate::{Host, HostBuilder};
use parking_lot::Mutex;
use wapc::errors::{Error, ExecutionLimit};

use super::{Check, failure, host};
use crate::guests::Sdk;
use crate::{Engine, Options};

/// The checks of this module.
pub const CHECKS: &[(&str, Check)] = &[
    ("concurrency::eight_threads_share_one_host", eight_threads_share_one_host),
    ("concurrency::same_thread_reentrancy_is_refused", same_thread_reentrancy_is_refused),
    ("concurrency::replace_module_from_the_callback_is_refused", replace_module_from_the_callback_is_refused),
    ("concurrency::cycle_through_another_thread_ends", cycle_through_another_thread_ends),
    ("concurrency::panicking_callback", panicking_callback),
    ("concurrency::call_inside_tokio_runtimes", call_inside_tokio_runtimes),
];

fn eight_threads_share_one_host(engine: &dyn Engine) {
    const THREADS: u32 = 8;
    const CALLS: u32 = 10_000;
    let (host, seen) = host(engine, Sdk::Ours.module(), &Options::default());
    let host = Arc::new(host);
    let workers: Vec<_> = (0..THREADS)
        .map(|thread| {
            let host = Arc::clone(&host);
            std::thread::spawn(move || {
                for call in 0..CALLS {
                    let payload = format!("{thread}:{call}");
                    let expected: Vec<u8> = b"pong:".iter().chain(payload.as_bytes().iter().rev()).copied().collect();
                    assert_eq!(host.call("ping", payload.as_bytes()).unwrap(), expected);
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
    assert_eq!(seen.lock().len(), (THREADS * CALLS) as usize);
}

/// A host whose callback calls `reenter` with the host itself, and what that returned, as text.
fn self_calling_host(
    engine: &dyn Engine,
    wait: Option<Duration>,
    reenter: fn(&Arc<Host>) -> Result<Vec<u8>, Error>,
) -> (Arc<Host>, Arc<Mutex<Vec<String>>>) {
    let myself: Arc<OnceLock<Weak<Host>>> = Arc::default();
    let outcomes = Arc::new(Mutex::new(Vec::new()));
    let (handle, log) = (Arc::clone(&myself), Arc::clone(&outcomes));
    let mut builder = HostBuilder::new().host_callback(move |_, _, _, _, _| {
        let host = handle.get().and_then(Weak::upgrade).ok_or("the host is gone")?;
        let outcome = reenter(&host);
        log.lock().push(match &outcome {
            Ok(_) => "ok".to_owned(),
            Err(e) => format!("{e:?}"),
        });
        outcome.map_err(|e| e.to_string().into())
    });
    if let Some(wait) = wait {
        builder = builder.instance_wait(wait);
    }
    let host = Arc::new(builder.build(engine.provider(Sdk::Ours.module(), &Options::default()).unwrap()).unwrap());
    myself.set(Arc::downgrade(&host)).unwrap();
    (host, outcomes)
}

fn same_thread_reentrancy_is_refused(engine: &dyn Engine) {
    let (host, outcomes) = self_calling_host(engine, None, |host| host.call("echo", b"inner"));
    match failure(host.call("ping", b"outer")) {
        Error::GuestError(text) => {
            assert_eq!(text, "Host error: reentrant call: a host callback called back into the host that is running it")
        }
        other => panic!("expected the guest to report the refused reentry, got {other:?}"),
    }
    assert_eq!(*outcomes.lock(), vec!["Reentrant".to_owned()]);
    assert_eq!(host.call("echo", b"after").unwrap(), b"after");
}

/// The callback replacing the module of the host whose guest is calling it must be refused like a call, not
/// wait for the instance it is running in; the module stays.
fn replace_module_from_the_callback_is_refused(engine: &dyn Engine) {
    let (host, outcomes) =
        self_calling_host(engine, None, |host| host.replace_module(Sdk::Upstream.module()).map(|()| Vec::new()));
    match failure(host.call("ping", b"outer")) {
        Error::GuestError(text) => {
            assert_eq!(text, "Host error: reentrant call: a host callback called back into the host that is running it")
        }
        other => panic!("expected the guest to report the refused replacement, got {other:?}"),
    }
    assert_eq!(*outcomes.lock(), vec!["Reentrant".to_owned()]);
    // Only the module built with this project's SDK has `echo_owned`.
    assert_eq!(host.call("echo_owned", b"after").unwrap(), b"after");
}

fn cycle_through_another_thread_ends(engine: &dyn Engine) {
    let (host, outcomes) = self_calling_host(engine, Some(Duration::from_millis(200)), |host| {
        let host = Arc::clone(host);
        std::thread::spawn(move || host.call("echo", b"from another thread"))
            .join()
            .unwrap_or_else(|_| Err(Error::provider("the other thread panicked")))
    });
    assert!(matches!(failure(host.call("ping", b"outer")), Error::GuestError(_)));
    assert_eq!(
        *outcomes.lock(),
        vec![format!("{:?}", Error::DeadlineExceeded(ExecutionLimit::WallClock(Duration::from_millis(200))))]
    );
    assert_eq!(host.call("echo", b"after").unwrap(), b"after");
}

fn panicking_callback(engine: &dyn Engine) {
    let provider = engine.provider(Sdk::Ours.module(), &Options::default()).unwrap();
    let host = HostBuilder::new()
        .host_callback(|_, _, _, _, payload| {
            assert!(payload != b"panic", "the callback panics on request");
            Ok(b"calm".to_vec())
        })
        .build(provider)
        .unwrap();
    match failure(host.call("ping", b"panic")) {
        Error::HostCallback(source) => {
            assert_eq!(source.to_string(), "the host callback panicked: the callback panics on request");
        }
        other => panic!("expected a host callback error, got {other:?}"),
    }
    assert_eq!(host.call("ping", b"fine").unwrap(), b"pong:calm");
}

fn call_inside_tokio_runtimes(engine: &dyn Engine) {
    let stdout = wapc::OutputCapture::new(1024);
    let stdio = wapc::WasiStdio::Captured { stdout: stdout.clone(), stderr: wapc::OutputCapture::new(1024) };
    let options = Options { stdio, ..Options::default() };
    let (host, _) = host(engine, &crate::guests::tinygo_style_guest(), &options);
    let host = Arc::new(host);

    let multi_thread = tokio::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
    let on_worker = Arc::clone(&host);
    let answer = multi_thread
        .block_on(async move { tokio::spawn(async move { on_worker.call("echo", b"async") }).await.unwrap() });
    assert_eq!(answer.unwrap(), b"async");

    let current_thread = tokio::runtime::Builder::new_current_thread().build().unwrap();
    match current_thread.block_on(async { host.call("echo", b"current") }) {
        Ok(answer) => assert_eq!(answer, b"current"),
        Err(Error::Provider(_)) => {}
        Err(other) => panic!("a call from a current-thread runtime must work or fail cleanly, got {other:?}"),
    }
    assert_eq!(host.call("echo", b"outside").unwrap(), b"outside");
    // A failed call (and the fresh instance after it) may have started the guest again.
    let written = String::from_utf8(stdout.contents()).unwrap();
    assert!(written.starts_with("started\ncalled\n") && written.ends_with("called\n"), "{written:?}");
}
