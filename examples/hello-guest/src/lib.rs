//! A waPC guest with two operations: `hello` asks the host how to greet, then greets the name it was given;
//! `echo` answers its payload unchanged (what the README's shell examples call, with no host needed).

use wapc_guest::prelude::*;

#[unsafe(no_mangle)]
pub extern "C" fn wapc_init() {
    register_function("hello", hello);
    register_function("echo", echo);
}

/// The payload, unchanged.
fn echo(payload: &[u8]) -> CallResult {
    Ok(payload.to_vec())
}

/// The payload is a name; the answer is a greeting whose salutation comes from the host.
fn hello(payload: &[u8]) -> CallResult {
    let name = std::str::from_utf8(payload)?;
    console_log(&format!("hello-guest: greeting {name}"));
    let salutation = host_call("demo", "greetings", "salutation", payload)?;
    Ok(format!("{}, {name}! (said a waPC guest)", String::from_utf8_lossy(&salutation)).into_bytes())
}
