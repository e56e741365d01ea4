//! Rust guests, built with this project's `wapc-guest` and with upstream `wapc-guest` 1.2.

use std::sync::Arc;

use crate::HostBuilder;
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use wapc::codec::messagepack;
use wapc::errors::Error;

use super::{Check, failure, host};
use crate::guests::Sdk;
use crate::{Engine, Options};

/// The checks of this module.
pub const CHECKS: &[(&str, Check)] = &[
    ("sdk::echo", echo),
    ("sdk::reverse", reverse),
    ("sdk::host_call_round_trip", host_call_round_trip),
    ("sdk::host_error_reaches_the_guest", host_error_reaches_the_guest),
    ("sdk::guest_error", guest_error),
    ("sdk::console_log", console_log),
    ("sdk::empty_payload_and_response", empty_payload_and_response),
    ("sdk::one_mebibyte_payload", one_mebibyte_payload),
    ("sdk::messagepack_struct", messagepack_struct),
    ("sdk::unknown_operation", unknown_operation),
];

fn echo(engine: &dyn Engine) {
    for sdk in Sdk::ALL {
        let (host, _) = host(engine, sdk.module(), &Options::default());
        assert_eq!(host.call("echo", b"hello, waPC").unwrap(), b"hello, waPC", "{sdk:?}");
    }
    // Handlers taking the payload buffer by value (this project's SDK only) answer it, then reuse it for the
    // next request, whatever its size.
    let (host, _) = host(engine, Sdk::Ours.module(), &Options::default());
    for payload in [&b"owned"[..], &[7u8; 100_000], b"", b"small again"] {
        assert!(host.call("echo_owned", payload).unwrap() == payload, "owned echo of {} bytes", payload.len());
        assert!(host.call("echo", payload).unwrap() == payload, "echo after an owned echo of {} bytes", payload.len());
    }
}

fn reverse(engine: &dyn Engine) {
    for sdk in Sdk::ALL {
        let (host, _) = host(engine, sdk.module(), &Options::default());
        assert_eq!(host.call("reverse", b"\x00\x01\xffabc").unwrap(), b"cba\xff\x01\x00", "{sdk:?}");
    }
}

fn host_call_round_trip(engine: &dyn Engine) {
    for sdk in Sdk::ALL {
        let (host, seen) = host(engine, sdk.module(), &Options::default());
        assert_eq!(host.call("ping", b"abc").unwrap(), b"pong:cba", "{sdk:?}");
        let calls = seen.lock().clone();
        assert_eq!(calls, vec![("conformance".into(), "suite".into(), "pong".into(), b"abc".to_vec())], "{sdk:?}");
    }
}

fn host_error_reaches_the_guest(engine: &dyn Engine) {
    for sdk in Sdk::ALL {
        let (host, _) = host(engine, sdk.module(), &Options::default());
        match failure(host.call("ping", b"fail now")) {
            Error::GuestError(text) => assert_eq!(text, "Host error: refused fail now", "{sdk:?}"),
            other => panic!("{sdk:?}: expected a guest error, got {other:?}"),
        }
        assert_eq!(host.call("ping", b"ok").unwrap(), b"pong:ko", "{sdk:?}");
    }
}

fn guest_error(engine: &dyn Engine) {
    for sdk in Sdk::ALL {
        let (host, _) = host(engine, sdk.module(), &Options::default());
        match failure(host.call("fail", b"on purpose")) {
            Error::GuestError(text) => assert_eq!(text, "deliberate failure: on purpose", "{sdk:?}"),
            other => panic!("{sdk:?}: expected a guest error, got {other:?}"),
        }
        assert_eq!(host.call("echo", b"next").unwrap(), b"next", "{sdk:?}");
    }
}

fn console_log(engine: &dyn Engine) {
    for sdk in Sdk::ALL {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&lines);
        let provider = engine.provider(sdk.module(), &Options::default()).unwrap();
        let host = HostBuilder::new()
            .console_log(move |id, line| sink.lock().push((id, line.to_owned())))
            .build(provider)
            .unwrap();
        assert_eq!(host.call("log", "a line ✓".as_bytes()).unwrap(), b"logged", "{sdk:?}");
        assert_eq!(*lines.lock(), vec![(host.id(), "a line ✓".to_owned())], "{sdk:?}");
    }
}

fn empty_payload_and_response(engine: &dyn Engine) {
    for sdk in Sdk::ALL {
        let (host, _) = host(engine, sdk.module(), &Options::default());
        assert_eq!(host.call("echo", b"").unwrap(), b"", "{sdk:?}");
        assert_eq!(host.call("empty", b"ignored").unwrap(), b"", "{sdk:?}");
    }
}

fn one_mebibyte_payload(engine: &dyn Engine) {
    let payload: Vec<u8> = (0..1024 * 1024).map(|i: u32| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    for sdk in Sdk::ALL {
        let (host, _) = host(engine, sdk.module(), &Options::default());
        assert!(host.call("echo", &payload).unwrap() == payload, "{sdk:?}: 1 MiB echo differs");
        let reversed: Vec<u8> = payload.iter().rev().copied().collect();
        assert!(host.call("reverse", &payload).unwrap() == reversed, "{sdk:?}: 1 MiB reverse differs");
    }
}

#[derive(Serialize)]
struct Person<'a> {
    name: &'a str,
    age: u16,
}

#[derive(Deserialize, Debug, PartialEq)]
struct Greeting {
    message: String,
    next_age: u16,
}

fn messagepack_struct(engine: &dyn Engine) {
    let request = messagepack::serialize(Person { name: "Ada", age: 36 }).unwrap();
    for sdk in Sdk::ALL {
        let (host, _) = host(engine, sdk.module(), &Options::default());
        let response = host.call("greet_person", &request).unwrap();
        assert_eq!(response, b"\x82\xa7message\xabHello, Ada!\xa8next_age\x25", "{sdk:?}: struct as a map");
        let greeting: Greeting = messagepack::deserialize(&response).unwrap();
        assert_eq!(greeting, Greeting { message: "Hello, Ada!".into(), next_age: 37 }, "{sdk:?}");
        assert!(matches!(host.call("greet_person", b"\xc1"), Err(Error::GuestError(_))), "{sdk:?}");
    }
}

fn unknown_operation(engine: &dyn Engine) {
    for sdk in Sdk::ALL {
        let (host, _) = host(engine, sdk.module(), &Options::default());
        match failure(host.call("no_such_op", b"")) {
            Error::GuestError(text) => assert_eq!(text, "No handler registered for function no_such_op", "{sdk:?}"),
            other => panic!("{sdk:?}: expected a guest error, got {other:?}"),
        }
    }
}
