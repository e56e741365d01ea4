//! The built `wapc` binary, run as a shell would: every command, JSON in and out, every exit code, on the
//! project's guests and on modules shaped as other toolchains make them.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use wapc_conformance::guests::GUEST_OURS;

/// A directory of this test's files, removed at the end.
struct Files(PathBuf);

impl Files {
    fn new(test: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("wapc-cli-{test}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Files(dir)
    }

    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }
}

impl Drop for Files {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn wapc(args: &[&str]) -> Output {
    wapc_with_stdin(args, b"")
}

fn wapc_with_stdin(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wapc"))
        .args(args)
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn path(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// A waPC guest in WAT whose `__guest_call` runs `body` (which leaves an i32 on the stack).
fn guest_calling(body: &str) -> Vec<u8> {
    wat::parse_str(format!(
        r#"(module
            (memory (export "memory") 1)
            (func (export "__guest_call") (param i32 i32) (result i32) {body}))"#
    ))
    .unwrap()
}

#[test]
fn call_takes_json_and_answers_json() {
    let files = Files::new("json");
    let guest = files.write("ours.wasm", GUEST_OURS);
    let out = wapc(&["call", path(&guest), "echo", r#"{"name": "Ada", "n": [1, -2, 2.5, null, true]}"#]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "{\"n\":[1,-2,2.5,null,true],\"name\":\"Ada\"}\n");
    // The same answer in the other forms.
    let out = wapc(&["call", path(&guest), "echo", "[1, 2]", "--output", "hex"]);
    assert_eq!(text(&out.stdout), "920102\n");
    let out = wapc(&["call", path(&guest), "echo", "[1, 2]", "--output", "raw"]);
    assert_eq!(out.stdout, [0x92, 1, 2]);
    let out = wapc(&["call", path(&guest), "echo", "[1, 2]", "--output", "msgpack"]);
    assert_eq!(out.stdout, [0x92, 1, 2]);
    // Bins become arrays of bytes.
    let payload = files.write("bin.msgpack", &[0xc4, 2, 7, 8]);
    let out = wapc(&["call", path(&guest), "echo", "--msgpack", path(&payload), "--output", "json"]);
    assert_eq!(text(&out.stdout), "[7,8]\n");
}

#[test]
fn call_sends_raw_bytes_and_answers_them_raw() {
    let files = Files::new("raw");
    let guest = files.write("ours.wasm", GUEST_OURS);
    let out = wapc(&["call", path(&guest), "reverse", "--raw", "hello"]);
    assert_eq!((out.status.code(), out.stdout), (Some(0), b"olleh".to_vec()));
    let out = wapc_with_stdin(&["call", path(&guest), "reverse", "-"], b"\x00\x01\xff");
    assert_eq!(out.stdout, [0xff, 0x01, 0x00]);
    // `auto` prints JSON only for a JSON payload: raw in, raw out, even when the answer is MessagePack.
    let out = wapc(&["call", path(&guest), "echo", "--raw", "\u{1}"]);
    assert_eq!(out.stdout, [1]);
    // An answer that is not one MessagePack value cannot be printed as JSON.
    let out = wapc(&["call", path(&guest), "echo", "--raw", "\u{92}\u{1}", "--output", "json"]);
    assert_eq!(out.status.code(), Some(4));
    assert!(
        text(&out.stderr).contains("not one MessagePack value: print it with --output raw"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_guest_error_exits_1_with_its_text() {
    let files = Files::new("guest-error");
    let guest = files.write("ours.wasm", GUEST_OURS);
    let out = wapc(&["call", path(&guest), "fail", "--raw", "no"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stderr), "wapc: the guest failed: deliberate failure: no\n");
    assert!(out.stdout.is_empty());
}

#[test]
fn usage_errors_exit_2() {
    let files = Files::new("usage");
    let guest = files.write("ours.wasm", GUEST_OURS);
    let out = wapc(&["call", path(&guest), "echo", "{not json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("the payload is not JSON"), "{}", text(&out.stderr));
    let out = wapc(&["call", path(&guest), "echo", "--engine", "wasmi", "--deadline", "1s"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("use --fuel N"), "{}", text(&out.stderr));
    let out = wapc(&["call", path(&guest), "echo", "--fuel", "1000"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("use --deadline 5s"), "{}", text(&out.stderr));
    let out = wapc(&["call", path(&guest), "echo", "--deadline", "5"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("has no unit of time"), "{}", text(&out.stderr));
    assert_eq!(wapc(&["call"]).status.code(), Some(2));
    assert_eq!(wapc(&["frobnicate"]).status.code(), Some(2));
}

#[test]
fn traps_deadlines_and_limits_exit_3_naming_the_kind() {
    let files = Files::new("runaway");
    let trapping = files.write("trap.wasm", &guest_calling("unreachable"));
    let out = wapc(&["call", path(&trapping), "op"]);
    assert_eq!(out.status.code(), Some(3));
    let stderr = text(&out.stderr);
    assert!(stderr.starts_with("wapc: the guest trapped (unreachable"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");

    let looping = files.write("loop.wasm", &guest_calling("(loop (br 0)) i32.const 1"));
    let out = wapc(&["call", path(&looping), "op", "--deadline", "200ms"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stderr).contains("ran out of time or fuel"), "{}", text(&out.stderr));
    let out = wapc(&["call", path(&looping), "op", "--engine", "wasmi", "--fuel", "100000"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stderr).contains("ran out of time or fuel"), "{}", text(&out.stderr));

    // Growing past --max-memory is a resource limit, named as such.
    let growing = files.write("grow.wasm", &guest_calling("(drop (memory.grow (i32.const 100))) i32.const 1"));
    let out = wapc(&["call", path(&growing), "op", "--max-memory", "1MiB"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(text(&out.stderr).starts_with("wapc: the guest hit a resource limit: "), "{}", text(&out.stderr));
}

#[test]
fn host_side_failures_exit_4() {
    let files = Files::new("host");
    let out = wapc(&["call", "/nonexistent/module.wasm", "op"]);
    assert_eq!(out.status.code(), Some(4));
    assert_eq!(
        text(&out.stderr),
        "wapc: cannot read the module /nonexistent/module.wasm: No such file or directory (os error 2)\n"
    );
    let junk = files.write("junk.wasm", b"not wasm");
    let out = wapc(&["call", path(&junk), "op"]);
    assert_eq!(out.status.code(), Some(4));
    assert!(text(&out.stderr).starts_with("wapc: the module cannot be loaded"), "{}", text(&out.stderr));
}

/// `wapc inspect --json` of `module`.
fn inspect(files: &Files, name: &str, module: &[u8]) -> serde_json::Value {
    let path = files.write(name, module);
    let out = wapc(&["inspect", path.to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn inspect_tells_the_flavours_apart() {
    let files = Files::new("inspect");
    let rust = inspect(&files, "ours.wasm", GUEST_OURS);
    assert_eq!(rust["host_call_params"], 8);
    assert!(rust["toolchain"].as_str().unwrap().starts_with("Rust (rustc "), "{rust}");
    assert_eq!(rust["start_functions"], serde_json::json!(["wapc_init"]));
    assert_eq!(rust["problems"], serde_json::json!([]));

    // As TinyGo builds them: WASI preview 0, a 6-argument __host_call, `_start`.
    let tinygo = wat::parse_str(
        r#"(module
            (import "wasi_unstable" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
            (import "wapc" "__host_call" (func (param i32 i32 i32 i32 i32 i32) (result i32)))
            (memory (export "memory") 2)
            (func (export "_start"))
            (func (export "__guest_call") (param i32 i32) (result i32) i32.const 1))"#,
    )
    .unwrap();
    let tinygo = inspect(&files, "tinygo.wasm", &tinygo);
    assert_eq!(tinygo["host_call_params"], 6);
    assert_eq!(tinygo["wasi"], "preview 0 (wasi_unstable)");
    assert_eq!(tinygo["start_functions"], serde_json::json!(["_start"]));
    assert!(tinygo["toolchain"].as_str().unwrap().starts_with("likely TinyGo"), "{tinygo}");
    assert_eq!(tinygo["problems"], serde_json::json!([]));

    // As AssemblyScript builds them: env.abort, and here an import no host provides and no memory export.
    let assemblyscript = wat::parse_str(
        r#"(module
            (import "env" "abort" (func (param i32 i32 i32 i32)))
            (import "env" "seed" (func (result f64)))
            (memory 1)
            (func (export "__guest_call") (param i32 i32) (result i32) i32.const 1))"#,
    )
    .unwrap();
    let assemblyscript = inspect(&files, "as.wasm", &assemblyscript);
    assert_eq!(assemblyscript["assemblyscript_abort"], true);
    assert_eq!(assemblyscript["toolchain"], "AssemblyScript (it imports env.abort)");
    assert_eq!(
        assemblyscript["problems"],
        serde_json::json!([
            "it does not export its memory as `memory`",
            "it imports `env.seed` (func, 0 params), which no host here provides"
        ])
    );

    let junk = inspect(&files, "junk.wasm", b"\0asm\x01\0\0\0\x99");
    assert!(junk["problems"][0].as_str().unwrap().starts_with("it is not a valid WebAssembly module"), "{junk}");
}

#[test]
fn inspect_prints_text_by_default() {
    let files = Files::new("inspect-text");
    let guest = files.write("ours.wasm", GUEST_OURS);
    let out = wapc(&["inspect", path(&guest)]);
    let report = text(&out.stdout);
    assert!(
        report.contains("\nABI: waPC, 8-argument __host_call (binding, namespace, operation, payload)\n"),
        "{report}"
    );
    assert!(report.contains("\n  wapc.__host_call (func, 8 params)\n"), "{report}");
    assert!(report.ends_with("problems: none: it runs here\n"), "{report}");
}

#[test]
fn completions_for_a_shell() {
    let out = wapc(&["completions", "bash"]);
    assert_eq!(out.status.code(), Some(0));
    let script = text(&out.stdout);
    assert!(script.contains("_wapc()") && script.contains("inspect"), "{script}");
}

#[test]
fn bench_reports_rate_and_latencies() {
    let files = Files::new("bench");
    let guest = files.write("ours.wasm", GUEST_OURS);
    let out = wapc(&["bench", path(&guest), "echo", "\"hello\"", "--duration", "300ms", "--concurrency", "2"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let summary = text(&out.stdout);
    let lines: Vec<&str> = summary.lines().collect();
    assert_eq!(lines.len(), 2, "{summary}");
    assert!(lines[0].contains(" calls in ") && lines[0].ends_with(" calls/s, 0 failed"), "{summary}");
    assert!(lines[0].contains("with 2 at once"), "{summary}");
    assert!(lines[1].starts_with("latency: p50 ") && lines[1].contains(", p99 "), "{summary}");
    // Not a terminal: no progress bar.
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    // An operation that fails is reported as a call would be, not measured.
    let out = wapc(&["bench", path(&guest), "fail", "--raw", "x", "--duration", "100ms"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
}

#[test]
fn trace_prints_the_spans_of_a_call() {
    let files = Files::new("trace");
    let guest = files.write("ours.wasm", GUEST_OURS);
    let out = wapc(&["call", path(&guest), "echo", "1", "--trace"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("wapc.call{host=1 operation=\"echo\" payload_bytes=1 outcome=\"ok\"}"), "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "colours on a pipe: {stderr}");
    assert_eq!(text(&out.stdout), "1\n");
}

#[test]
fn guests_of_other_sdks_and_toolchains_answer() {
    let files = Files::new("toolchains");
    // Upstream wapc-guest 1.2's conformance guest.
    let upstream = files.write("upstream.wasm", wapc_conformance::guests::GUEST_UPSTREAM);
    let out = wapc(&["call", path(&upstream), "echo", "--raw", "hi"]);
    assert_eq!((out.status.code(), out.stdout), (Some(0), b"hi".to_vec()), "{}", text(&out.stderr));
    // A TinyGo-shaped WASI command: what it prints goes to stderr, so stdout holds the answer alone.
    let tinygo = files.write("tinygo.wasm", &wapc_conformance::guests::tinygo_style_guest());
    let out = wapc(&["call", path(&tinygo), "echo", "[1]"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "[1]\n");
    assert_eq!(text(&out.stderr), "started\ncalled\n");
    let out = wapc(&["call", path(&tinygo), "echo", "[1]", "--engine", "wasmi"]);
    assert_eq!((text(&out.stdout), text(&out.stderr)), ("[1]\n".to_owned(), "started\ncalled\n".to_owned()));
}

#[test]
fn dir_and_env_reach_a_wasi_guest() {
    let files = Files::new("wasi");
    // Opens `hello.txt` in its first preopened directory and answers what it reads; fails naming the file if it
    // cannot open it.
    let reading = wat::parse_str(
        r#"(module
          (import "wasi_snapshot_preview1" "path_open"
            (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
          (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
          (import "wapc" "__guest_error" (func $guest_error (param i32 i32)))
          (memory (export "memory") 1)
          (data (i32.const 100) "hello.txt")
          (func (export "__guest_call") (param i32 i32) (result i32)
            (if (call $path_open (i32.const 3) (i32.const 0) (i32.const 100) (i32.const 9)
                                 (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 200))
              (then (call $guest_error (i32.const 100) (i32.const 9)) (return (i32.const 0))))
            (i32.store (i32.const 300) (i32.const 1000))
            (i32.store (i32.const 304) (i32.const 100))
            (drop (call $fd_read (i32.load (i32.const 200)) (i32.const 300) (i32.const 1) (i32.const 400)))
            (call $guest_response (i32.const 1000) (i32.load (i32.const 400)))
            (i32.const 1)))"#,
    )
    .unwrap();
    let reading = files.write("read.wasm", &reading);
    let shared = files.0.join("shared");
    std::fs::create_dir_all(&shared).unwrap();
    std::fs::write(shared.join("hello.txt"), "from the host").unwrap();
    for engine in ["wasmtime", "wasmi"] {
        let dir = format!("{}:/data", shared.display());
        let out = wapc(&["call", path(&reading), "read", "--dir", &dir, "--engine", engine]);
        assert_eq!((out.status.code(), text(&out.stdout)), (Some(0), "from the host".to_owned()), "{engine}");
        let out = wapc(&["call", path(&reading), "read", "--engine", engine]);
        assert_eq!((out.status.code(), text(&out.stderr)), (Some(1), "wapc: the guest failed: hello.txt\n".to_owned()));
    }

    // Answers its environment, as WASI gives it: `K=V\0` each.
    let environ = wat::parse_str(
        r#"(module
          (import "wasi_snapshot_preview1" "environ_sizes_get" (func $sizes (param i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "environ_get" (func $get (param i32 i32) (result i32)))
          (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
          (memory (export "memory") 1)
          (func (export "__guest_call") (param i32 i32) (result i32)
            (drop (call $sizes (i32.const 0) (i32.const 4)))
            (drop (call $get (i32.const 100) (i32.const 1000)))
            (call $guest_response (i32.const 1000) (i32.load (i32.const 4)))
            (i32.const 1)))"#,
    )
    .unwrap();
    let environ = files.write("env.wasm", &environ);
    let out = wapc(&["call", path(&environ), "env", "--env", "GREETING=hi", "--env", "EMPTY="]);
    assert_eq!(out.stdout, b"GREETING=hi\0EMPTY=\0");
    let out = wapc(&["call", path(&environ), "env", "--env", "=x"]);
    assert_eq!(out.status.code(), Some(2));
}
