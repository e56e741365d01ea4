//! The demos run and print what their docs promise.

use std::process::Command;

fn run(binary: &str, args: &[&str]) -> String {
    let output = Command::new(binary).args(args).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn visits_counts_in_the_keyvalue_service() {
    let output = run(env!("CARGO_BIN_EXE_visits"), &["home", "about", "home"]);
    let counts: Vec<&str> = output.lines().filter(|line| !line.starts_with(' ') && line.contains(": ")).collect();
    assert_eq!(counts, ["home: 1 visit", "about: 1 visit", "home: 2 visits"], "{output}");
    assert!(output.starts_with("keyvalue service (wit-bindgen-wrpc) at tcp://127.0.0.1:"), "{output}");
}

#[test]
fn visits_exports_its_spans_through_opentelemetry() {
    let output = run(env!("CARGO_BIN_EXE_visits"), &["home", "--otel"]);
    assert!(output.contains("home: 1 visit"), "{output}");
    // One trace: the guest's call, its host call, the bridge's invocation; the stdout exporter prints each.
    for span in ["wapc.call", "wapc.host_call", "wrpc.invoke"] {
        assert!(output.contains(&format!("\tName         : {span}\n")), "no {span} in {output}");
    }
    let traces: std::collections::HashSet<&str> =
        output.lines().filter_map(|line| line.trim().strip_prefix("TraceId      : ")).collect();
    assert_eq!(traces.len(), 1, "{output}");
}

#[test]
fn hello_runs_on_both_engines() {
    for engine in ["wasmtime", "wasmi"] {
        let output = run(env!("CARGO_BIN_EXE_hello"), &["World", "--engine", engine]);
        assert!(output.ends_with("Hello, World! (said a waPC guest)\n"), "{engine}: {output}");
    }
    // Where its guest is, for the README's shell examples.
    let path = run(env!("CARGO_BIN_EXE_hello"), &["--guest-path"]);
    assert!(path.trim_end().ends_with("hello_guest.wasm") && std::path::Path::new(path.trim_end()).exists(), "{path}");
}

#[test]
fn crowd_greets_every_client_from_a_pool() {
    let output = run(env!("CARGO_BIN_EXE_crowd"), &["24", "--instances", "4"]);
    let mut lines = output.lines();
    assert!(
        lines
            .next()
            .is_some_and(|line| line.starts_with("hello guest served from a pool of 4 instances at tcp://127.0.0.1:")),
        "{output}"
    );
    assert_eq!(lines.next(), Some("  Hello, client 0! (said a waPC guest)"), "{output}");
    assert!(output.contains("\n24 of 24 clients greeted in "), "{output}");
}
