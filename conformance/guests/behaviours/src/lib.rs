//! The guest behaviours of the conformance suite. The same source is built against this project's
//! `wapc-guest` and against upstream `wapc-guest` 1.2, whose APIs it uses identically; what only this project's
//! SDK offers is behind the `ours` feature.

use serde::{Deserialize, Serialize};
use wapc_guest::prelude::*;

#[unsafe(no_mangle)]
pub extern "C" fn wapc_init() {
    register_function("echo", echo);
    register_function("reverse", reverse);
    register_function("ping", ping);
    register_function("fail", fail);
    register_function("log", log);
    register_function("empty", empty);
    register_function("greet_person", greet_person);
    #[cfg(feature = "ours")]
    register_owned_function("echo_owned", echo_owned);
}

/// The payload, unchanged.
fn echo(payload: &[u8]) -> CallResult {
    Ok(payload.to_vec())
}

/// The payload, unchanged and uncopied: the buffer itself goes back as the response.
#[cfg(feature = "ours")]
fn echo_owned(payload: Vec<u8>) -> CallResult {
    Ok(payload)
}

/// The payload's bytes in reverse order.
fn reverse(payload: &[u8]) -> CallResult {
    Ok(payload.iter().rev().copied().collect())
}

/// Calls the host with the payload (binding "conformance", namespace "suite", operation "pong") and answers
/// "pong:" followed by the host's response. A host error becomes this call's error.
fn ping(payload: &[u8]) -> CallResult {
    let answer = host_call("conformance", "suite", "pong", payload)?;
    Ok([b"pong:".as_slice(), &answer].concat())
}

/// Always fails, with the payload in the error text.
fn fail(payload: &[u8]) -> CallResult {
    Err(format!("deliberate failure: {}", String::from_utf8_lossy(payload)).into())
}

/// Logs the payload and answers "logged".
fn log(payload: &[u8]) -> CallResult {
    console_log(std::str::from_utf8(payload)?);
    Ok(b"logged".to_vec())
}

/// Answers nothing, successfully.
fn empty(_payload: &[u8]) -> CallResult {
    Ok(Vec::new())
}

#[derive(Deserialize)]
struct Person {
    name: String,
    age: u16,
}

#[derive(Serialize)]
struct Greeting {
    message: String,
    next_age: u16,
}

/// A MessagePack `Person` in, a MessagePack `Greeting` out.
fn greet_person(payload: &[u8]) -> CallResult {
    let person: Person = messagepack::deserialize(payload)?;
    let greeting = Greeting { message: format!("Hello, {}!", person.name), next_age: person.age + 1 };
    Ok(messagepack::serialize(&greeting)?)
}
