//! Builds guest crates for `wasm32-unknown-unknown` from a host crate's build script.
//!
//! Guests live in a cargo workspace of their own (with its own `Cargo.lock`), outside the host workspace, so
//! a host `cargo build` never compiles them for the host. A build script calls [`build`]; it runs a nested
//! `cargo build --release --locked --target wasm32-unknown-unknown` with a target directory of its own
//! (sharing the outer one would wait forever on the lock the outer build holds), with the outer build's
//! compiler wrapper and flags cleared (they are for the host, not for wasm), and tells cargo to run the build
//! script again when the guests or the given extra paths change.
//!
//! ```no_run
//! // build.rs
//! use std::path::Path;
//!
//! let wasm = guest_build::build(Path::new("guests"), &["echo-guest"], &[Path::new("../guest-sdk")]);
//! println!("cargo:rustc-env=ECHO_GUEST={}", wasm[0].display());
//! ```

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The target guests are compiled for.
pub const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// Environment the outer cargo sets for the host build that must not reach the nested wasm build.
const HOST_ONLY_ENV: [&str; 7] = [
    "RUSTC_WORKSPACE_WRAPPER",
    "RUSTC_WRAPPER",
    "CARGO_ENCODED_RUSTFLAGS",
    "RUSTFLAGS",
    "CARGO_BUILD_RUSTFLAGS",
    "CARGO_TARGET_DIR",
    "CARGO_BUILD_TARGET",
];

/// Builds `packages` of the guest workspace in `workspace` (a directory holding its `Cargo.toml` and
/// `Cargo.lock`) and returns the path of each package's `.wasm`, in the same order. `watch` lists paths
/// outside `workspace` the guests depend on (a path dependency such as the guest SDK).
///
/// # Panics
/// When the nested build fails (with its output, and the command that installs the wasm target when that is
/// what is missing): a build script has no better way to stop the build.
#[must_use]
pub fn build(workspace: &Path, packages: &[&str], watch: &[&Path]) -> Vec<PathBuf> {
    for path in std::iter::once(workspace).chain(watch.iter().copied()) {
        println!("cargo:rerun-if-changed={}", path.display());
    }
    let target_dir = guest_target_dir();
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .args(["build", "--release", "--locked", "--target", WASM_TARGET, "--manifest-path"])
        .arg(workspace.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target_dir);
    for package in packages {
        command.args(["--package", package]);
    }
    for variable in HOST_ONLY_ENV {
        command.env_remove(variable);
    }
    let output = command.output().unwrap_or_else(|e| panic!("cannot run cargo to build the wasm guests: {e}"));
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let hint = if stderr.contains("target may not be installed") {
            format!("\nThe wasm target is missing; install it with: rustup target add {WASM_TARGET}\n")
        } else {
            String::new()
        };
        panic!("building the wasm guests in {} failed:\n{stderr}{hint}", workspace.display());
    }
    let artifacts = target_dir.join(WASM_TARGET).join("release");
    packages.iter().map(|package| artifacts.join(format!("{}.wasm", package.replace('-', "_")))).collect()
}

/// `wasm-guests` beside the outer build's profile directories (found by the `CACHEDIR.TAG` cargo puts at the
/// root of every target directory), so every profile and build script shares one wasm build; `OUT_DIR` when
/// there is no such root.
fn guest_target_dir() -> PathBuf {
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").unwrap_or_else(|| "target".into()));
    let root = out_dir.ancestors().find(|dir| dir.join("CACHEDIR.TAG").is_file()).unwrap_or(&out_dir);
    root.join("wasm-guests")
}
