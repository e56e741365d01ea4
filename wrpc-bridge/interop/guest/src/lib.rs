//! Relays host calls: the `relay` operation's payload is `binding \0 namespace \0 operation \0 payload`, and
//! the guest makes exactly that `host_call`, answering its response (or failing with its error text).

use wapc_guest::prelude::*;

#[unsafe(no_mangle)]
pub extern "C" fn wapc_init() {
    register_function("relay", relay);
}

fn relay(request: &[u8]) -> CallResult {
    let mut parts = request.splitn(4, |&byte| byte == 0);
    let mut text = || -> Result<&str, Box<dyn std::error::Error + Sync + Send>> {
        Ok(std::str::from_utf8(parts.next().ok_or("the relay request has too few parts")?)?)
    };
    let (binding, namespace, operation) = (text()?, text()?, text()?);
    let payload = parts.next().unwrap_or_default();
    host_call(binding, namespace, operation, payload).map_err(|error| error.to_string().into())
}
