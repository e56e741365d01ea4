//! Start functions, module replacement and precompiled modules.

use crate::{Host, HostBuilder};
use wapc::errors::{Error, TrapKind};

use super::{Check, assert_recovers, failure, host};
use crate::guests::{Sdk, wat_guest};
use crate::{Engine, Options};

/// The checks of this module.
pub const CHECKS: &[(&str, Check)] = &[
    ("lifecycle::start_functions_run_once_in_order", start_functions_run_once_in_order),
    ("lifecycle::initialize_reactor", initialize_reactor),
    ("lifecycle::failing_start_function", failing_start_function),
    ("lifecycle::replace_module_changes_behaviour", replace_module_changes_behaviour),
    ("lifecycle::bad_replacements_leave_the_old_module_serving", bad_replacements_leave_the_old_module_serving),
    ("lifecycle::precompiled_round_trip", precompiled_round_trip),
    ("lifecycle::hosts_have_distinct_ids", hosts_have_distinct_ids),
];

/// A start function `name` that appends `letter` to the log at 4000 (its length is at 3996).
fn logging_start(name: &str, letter: char) -> String {
    format!(
        r#"(func (export "{name}")
             (i32.store8 (i32.add (i32.const 4000) (i32.load (i32.const 3996))) (i32.const {code}))
             (i32.store (i32.const 3996) (i32.add (i32.load (i32.const 3996)) (i32.const 1))))"#,
        code = u32::from(letter)
    )
}

/// Answers the start-function log.
const REPORT_LOG: &str = "(call $guest_response (i32.const 4000) (i32.load (i32.const 3996))) (i32.const 1)";

fn start_functions_run_once_in_order(engine: &dyn Engine) {
    let starts =
        [logging_start("wapc_init", 'W'), logging_start("_initialize", 'I'), logging_start("_start", 'S')].concat();
    let (host, _) = host(engine, &wat_guest(REPORT_LOG, &starts), &Options::default());
    assert_eq!(host.call("log", b"").unwrap(), b"SIW");
    assert_eq!(host.call("log", b"").unwrap(), b"SIW", "start functions ran again");
}

fn initialize_reactor(engine: &dyn Engine) {
    let (host, _) = host(engine, &wat_guest(REPORT_LOG, &logging_start("_initialize", 'R')), &Options::default());
    assert_eq!(host.call("log", b"").unwrap(), b"R");
}

fn failing_start_function(engine: &dyn Engine) {
    let provider = engine
        .provider(&wat_guest("(i32.const 0)", r#"(func (export "wapc_init") (unreachable))"#), &Options::default());
    match Host::new(provider.unwrap(), None) {
        Err(Error::InitFailed { function: "wapc_init", source }) => {
            assert!(matches!(*source, Error::Trap(ref trap) if trap.kind == TrapKind::Unreachable), "{source:?}");
        }
        other => panic!("expected wapc_init to fail, got {other:?}"),
    }
}

/// A module answering `version` with `v2`.
fn version_two() -> Vec<u8> {
    wat_guest(
        r#"(call $guest_response (i32.const 4000) (i32.const 2)) (i32.const 1)"#,
        r#"(data (i32.const 4000) "v2")"#,
    )
}

fn replace_module_changes_behaviour(engine: &dyn Engine) {
    let (host, _) = host(engine, Sdk::Ours.module(), &Options::default());
    assert_eq!(host.call("reverse", b"ab").unwrap(), b"ba");
    host.replace_module(&version_two()).unwrap();
    assert_eq!(host.call("version", b"").unwrap(), b"v2");
    assert_recovers(&host);
    host.replace_module(Sdk::Upstream.module()).unwrap();
    assert_eq!(host.call("reverse", b"ab").unwrap(), b"ba");
}

fn bad_replacements_leave_the_old_module_serving(engine: &dyn Engine) {
    let (host, _) = host(engine, &version_two(), &Options::default());
    assert!(matches!(host.replace_module(b"\0asm but not really"), Err(Error::InvalidModule(_))));
    assert_eq!(host.call("version", b"").unwrap(), b"v2");

    let failing_init = wat_guest("(i32.const 0)", r#"(func (export "wapc_init") (unreachable))"#);
    assert!(matches!(host.replace_module(&failing_init), Err(Error::InitFailed { function: "wapc_init", .. })));
    assert_eq!(host.call("version", b"").unwrap(), b"v2");

    let no_guest_call = crate::guests::wat_module("");
    assert!(matches!(host.replace_module(&no_guest_call), Err(Error::MissingExport(_))));
    assert_eq!(host.call("version", b"").unwrap(), b"v2");

    // After a trap the next call gets a fresh instance of the module in service, not of a refused one.
    let (trapping, _) = super::host(engine, &wat_guest("(unreachable)", ""), &Options::default());
    assert!(trapping.replace_module(b"junk").is_err());
    assert!(matches!(failure(trapping.call("bad", b"")), Error::Trap(_)));
    assert_recovers(&trapping);
}

fn precompiled_round_trip(engine: &dyn Engine) {
    for sdk in Sdk::ALL {
        let provider = engine.precompiled_provider(sdk.module()).unwrap();
        let host = Host::new(provider, None).unwrap();
        assert_eq!(host.call("echo", b"precompiled").unwrap(), b"precompiled", "{sdk:?}");
    }
}

fn hosts_have_distinct_ids(engine: &dyn Engine) {
    let (first, _) = host(engine, Sdk::Ours.module(), &Options::default());
    let (second, _) = host(engine, Sdk::Ours.module(), &Options::default());
    assert_ne!(first.id(), second.id());
    let ids = std::sync::Arc::new(parking_lot::Mutex::new(Vec::new()));
    let sink = std::sync::Arc::clone(&ids);
    let provider = engine.provider(Sdk::Ours.module(), &Options::default()).unwrap();
    let third = HostBuilder::new()
        .host_callback(move |id, _, _, _, _| {
            sink.lock().push(id);
            Ok(Vec::new())
        })
        .build(provider)
        .unwrap();
    third.call("ping", b"").unwrap();
    assert_eq!(*ids.lock(), vec![third.id()]);
}
