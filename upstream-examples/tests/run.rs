//! Runs upstream's example programs as their READMEs say, on upstream's guests built from source, and checks
//! what they print.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use wapc_conformance::guests::{GUEST_BASIC_PATH, GUEST_HASH1_PATH, GUEST_HASH2_PATH};

/// Runs a program and returns its stdout, asserting that it succeeded.
fn run(program: &str, arguments: &[&str], directory: &Path) -> String {
  let output: Output = Command::new(program)
    .args(arguments)
    .current_dir(directory)
    .output()
    .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
  let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
  assert!(
    output.status.success(),
    "{program} failed ({}):\n{stdout}\n{}",
    output.status,
    String::from_utf8_lossy(&output.stderr)
  );
  stdout
}

/// The basic guest's `ping` calls the host (binding `binding`, namespace `sample:namespace`, operation `pong`)
/// and answers its payload.
fn demo(program: &str) {
  let stdout = run(program, &[GUEST_BASIC_PATH, "ping", "hello"], Path::new("."));
  assert!(stdout.contains("Calling guest (wasm) function 'ping'\n"), "{stdout}");
  assert!(
    stdout.contains("invoked 'binding->sample:namespace:pong' on the host with a payload of 'hello'\n"),
    "{stdout}"
  );
  assert!(stdout.contains("Result - hello\n"), "{stdout}");
}

#[test]
fn demo_runs() {
  demo(env!("CARGO_BIN_EXE_demo"));
}

#[test]
fn demo_async_runs() {
  demo(env!("CARGO_BIN_EXE_demo-async"));
}

/// The hash examples read `../../wasm/crates/wasm-calc-hash/module{1,2}/build/module{1,2}_hash.wasm`, relative to
/// upstream's `crates/wasmtime-provider`: a directory laid out the same way, holding the guests built here.
fn upstream_layout(name: &str) -> PathBuf {
  let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
  for (module, built) in [("module1", GUEST_HASH1_PATH), ("module2", GUEST_HASH2_PATH)] {
    let build = root.join(format!("wasm/crates/wasm-calc-hash/{module}/build"));
    std::fs::create_dir_all(&build).unwrap();
    std::fs::copy(built, build.join(format!("{module}_hash.wasm"))).unwrap();
  }
  let provider = root.join("crates/wasmtime-provider");
  std::fs::create_dir_all(&provider).unwrap();
  provider
}

/// Module 1 answers the name's hash, module 2 (after `replace_module`) 42; the program asserts they differ.
fn hash_mreplace(program: &str, name: &str) {
  let stdout = run(program, &["Ferris"], &upstream_layout(name));
  assert!(
    stdout.contains("---------------REPLACING MODULE------------------\n"),
    "{stdout}"
  );
  assert!(
    stdout.contains("Deserialized : PersonHashedRecv { first_name: \"Ferris\", hash: 42 }\n"),
    "{stdout}"
  );
  let first = stdout.lines().find(|line| line.starts_with("Deserialized : ")).unwrap();
  assert!(
    !first.ends_with("hash: 42 }"),
    "module 1 answered module 2's hash: {stdout}"
  );
}

#[test]
fn hash_mreplace_runs() {
  hash_mreplace(env!("CARGO_BIN_EXE_hash-mreplace"), "hash-mreplace");
}

#[test]
fn hash_mreplace_async_runs() {
  hash_mreplace(env!("CARGO_BIN_EXE_hash-mreplace-async"), "hash-mreplace-async");
}
