//! The long soak: ten million calls of every kind on one host per engine, `replace_module` every 20,000 and every
//! 2,000 calls, printing the process's memory every million calls (see `wapc_conformance::soak`; CI runs 200,000
//! calls of the same mix and asserts the curve stays flat).
//!
//! `cargo bench -p wapc-benches --bench soak` runs all four; `-- wasmi` or `-- wasmtime` one engine's two. Each
//! line reads `<engine>/<replace every> <calls> <peak MiB> <resident MiB> <seconds>`. The process's memory is
//! shared by the runs, one after another: read each run's curve from its own start.

use wapc::WapcHost;
use wapc_conformance::soak::{self, Plan};

const CALLS: u64 = 10_000_000;

fn main() {
    soak::quiet_callback_panics();
    let filter: Vec<String> = std::env::args().skip(1).filter(|argument| !argument.starts_with('-')).collect();
    let wanted = |name: &str| filter.is_empty() || filter.iter().any(|f| name.contains(f.as_str()));
    for replace_every in [20_000, 2_000] {
        let plan = Plan { calls: CALLS, replace_every, sample_every: 1_000_000 };
        let name = format!("wasmtime/{replace_every}");
        if wanted(&name) {
            let host = WapcHost::new(Box::new(soak::wasmtime_provider()), Some(Box::new(soak::callback))).unwrap();
            let replace = |module: &[u8]| host.replace_module(module);
            soak::print_curve(
                &name,
                &soak::WASMTIME_GUEST,
                &|operation, payload| host.call(operation, payload),
                &replace,
                plan,
            );
        }
        let name = format!("wasmi/{replace_every}");
        if wanted(&name) {
            let host = WapcHost::new(Box::new(soak::wasmi_provider()), Some(Box::new(soak::callback))).unwrap();
            let replace = |module: &[u8]| host.replace_module(module);
            soak::print_curve(
                &name,
                &soak::WASMI_GUEST,
                &|operation, payload| host.call(operation, payload),
                &replace,
                plan,
            );
        }
    }
}
