//! Long-running hosts keep their memory flat: 200,000 calls of every kind, 200 `replace_module`s, on each engine and
//! on a pool, each in a child process whose memory is its own. Past the first fifth of the calls, the process's peak
//! resident memory (`VmHWM`) may grow by at most 8 MiB.

use wapc::WapcHost;
use wapc_conformance::child;
use wapc_conformance::soak::{self, Plan, Sample};
use wapc_pool::Pool;

const PLAN: Plan = Plan { calls: 200_000, replace_every: 1_000, sample_every: 10_000 };

/// How much the peak may grow after the first fifth.
const MAX_GROWTH: u64 = 8 << 20;

const ROLE: &str = "soak";

/// Runs `soaking` in a child process of test `test`, which checks its own memory; in the parent, waits for it.
fn in_a_child(test: &str, soaking: impl FnOnce()) {
    if child::role().as_deref() == Some(ROLE) {
        soak::quiet_callback_panics();
        return soaking();
    }
    let running = child::spawn(test, ROLE).unwrap_or_else(|e| panic!("cannot start {test} in a child: {e}"));
    let output = running.wait_with_output().unwrap_or_else(|e| panic!("cannot wait for {test}: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    eprintln!("{stdout}");
    assert!(output.status.success(), "{test} failed in its child ({}):\n{stdout}", output.status);
    assert!(stdout.contains("test result: ok. 1 passed"), "{test} did not run in its child:\n{stdout}");
}

/// Runs the soak through `call` and `replace_module` and asserts that the peak grew by at most [`MAX_GROWTH`] after
/// the first fifth of the calls.
fn soak_flat(name: &str, module: &[u8], call: &soak::CallFn<'_>, replace_module: &soak::ReplaceFn<'_>) {
    let mut samples: Vec<Sample> = Vec::new();
    soak::run(module, call, replace_module, PLAN, |sample| {
        println!("{name}: {sample:?}");
        samples.push(sample);
    });
    let fifth = samples.iter().find(|sample| sample.calls >= PLAN.calls / 5).unwrap().peak_bytes;
    let last = samples.last().unwrap().peak_bytes;
    assert!(
        last <= fifth + MAX_GROWTH,
        "{name}: the peak grew from {} KiB at a fifth of the calls to {} KiB",
        fifth / 1024,
        last / 1024
    );
}

fn host_soak(name: &str, module: &[u8], host: &WapcHost) {
    soak_flat(name, module, &|operation, payload| host.call(operation, payload), &|module| host.replace_module(module));
}

#[test]
fn a_wasmtime_host_stays_flat() {
    in_a_child("a_wasmtime_host_stays_flat", || {
        let host = WapcHost::new(Box::new(soak::wasmtime_provider()), Some(Box::new(soak::callback))).unwrap();
        host_soak("wasmtime", &soak::WASMTIME_GUEST, &host);
    });
}

#[test]
fn a_wasmi_host_stays_flat() {
    in_a_child("a_wasmi_host_stays_flat", || {
        let host = WapcHost::new(Box::new(soak::wasmi_provider()), Some(Box::new(soak::callback))).unwrap();
        host_soak("wasmi", &soak::WASMI_GUEST, &host);
    });
}

#[test]
fn a_pool_stays_flat() {
    in_a_child("a_pool_stays_flat", || {
        let wasmtime: Box<dyn wapc::WebAssemblyEngineProvider> = Box::new(soak::wasmtime_provider());
        let wasmi: Box<dyn wapc::WebAssemblyEngineProvider> = Box::new(soak::wasmi_provider());
        for (name, module, provider) in
            [("pool of wasmtime", &*soak::WASMTIME_GUEST, wasmtime), ("pool of wasmi", &*soak::WASMI_GUEST, wasmi)]
        {
            let pool =
                Pool::builder().name(name).max_instances(2).host_callback(soak::callback).build(provider).unwrap();
            let call = |operation: &str, payload: &[u8]| pool.call(operation, payload);
            soak_flat(name, module, &call, &|module| pool.replace_module(module));
        }
    });
}
