//! Builds the conformance guests (our SDK and upstream's, and upstream's basic guest) for wasm32-unknown-unknown.

use std::path::Path;

fn main() {
    let wasm = guest_build::build(
        Path::new("guests"),
        &["conformance-guest-ours", "conformance-guest-upstream", "conformance-guest-basic"],
        &[Path::new("../guest-sdk")],
    );
    for (variable, path) in ["GUEST_OURS_WASM", "GUEST_UPSTREAM_WASM", "GUEST_BASIC_WASM"].iter().zip(&wasm) {
        println!("cargo:rustc-env={variable}={}", path.display());
    }
}
