//! Builds the example guests for wasm32-unknown-unknown.

use std::path::Path;

fn main() {
    let wasm = guest_build::build(Path::new("hello-guest"), &["hello-guest"], &[Path::new("../guest-sdk")]);
    for path in wasm {
        println!("cargo:rustc-env=HELLO_GUEST_WASM={}", path.display());
    }
    let wasm = guest_build::build(Path::new("visits-guest"), &["visits-guest"], &[Path::new("../guest-sdk")]);
    for path in wasm {
        println!("cargo:rustc-env=VISITS_GUEST_WASM={}", path.display());
    }
}
