//! Builds the conformance guests (our SDK and upstream's, and upstream's basic and hash guests) for
//! wasm32-unknown-unknown.

use std::path::Path;

fn main() {
    let wasm = guest_build::build(
        Path::new("guests"),
        &[
            "conformance-guest-ours",
            "conformance-guest-upstream",
            "conformance-guest-basic",
            "module1-hash",
            "module2-hash",
        ],
        &[Path::new("../guest-sdk")],
    );
    let variables =
        ["GUEST_OURS_WASM", "GUEST_UPSTREAM_WASM", "GUEST_BASIC_WASM", "GUEST_HASH1_WASM", "GUEST_HASH2_WASM"];
    for (variable, path) in variables.iter().zip(&wasm) {
        println!("cargo:rustc-env={variable}={}", path.display());
    }
}
