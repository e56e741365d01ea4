//! Builds the relay guest for wasm32-unknown-unknown.

use std::path::Path;

fn main() {
    let wasm = guest_build::build(Path::new("guest"), &["bridge-relay-guest"], &[Path::new("../../guest-sdk")]);
    for path in wasm {
        println!("cargo:rustc-env=RELAY_GUEST_WASM={}", path.display());
    }
}
