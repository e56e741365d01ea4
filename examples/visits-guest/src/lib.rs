//! A legacy waPC guest that counts page visits. It knows nothing of WIT or wRPC: it calls its host with
//! `host_call("kv", "example:keyvalue/store", "increment", msgpack)` as any waPC guest would, and the host's
//! wrpc-bridge turns that into a call of the keyvalue component service's `increment` function.

use serde::{Deserialize, Serialize};
use wapc_guest::prelude::*;

#[unsafe(no_mangle)]
pub extern "C" fn wapc_init() {
    register_function("visit", visit);
}

/// A visit to a page.
#[derive(Deserialize)]
struct Visit {
    page: String,
}

/// How many visits the page has had, this one included.
#[derive(Serialize)]
struct Visits {
    page: String,
    visits: u64,
}

fn visit(payload: &[u8]) -> CallResult {
    let Visit { page } = wapc_guest::codec::messagepack::deserialize(payload)?;
    // `increment(bucket, key, delta)`, its parameters in order.
    let visits: u64 = wapc_guest::codec::host_call("kv", "example:keyvalue/store", "increment", &("visits", &page, 1u64))?;
    console_log(&format!("visits-guest: {page} has had {visits} visits"));
    Ok(wapc_guest::codec::messagepack::serialize(Visits { page, visits })?)
}
