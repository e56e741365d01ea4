//! WASI preview 1 guests: old TinyGo's `wasi_unstable` names, stdio, and directory permissions.

use std::path::PathBuf;

use wapc::errors::{Error, TrapKind};
use wapc::{OutputCapture, WasiParams, WasiStdio};

use crate::Host;

use super::{Check, host};
use crate::guests::{tinygo_style_guest, wat_to_wasm};
use crate::{Engine, Options};

/// The checks of this module.
pub const CHECKS: &[(&str, Check)] = &[
    ("wasi::tinygo_style_guest_on_wasi_unstable", tinygo_style_guest_on_wasi_unstable),
    ("wasi::nonzero_exit_in_start_fails_init", nonzero_exit_in_start_fails_init),
    ("wasi::closed_stdio_discards_output", closed_stdio_discards_output),
    ("wasi::read_only_directory_refuses_writes", read_only_directory_refuses_writes),
    ("wasi::read_only_directory_refuses_new_times", read_only_directory_refuses_new_times),
    ("wasi::writable_directories_accept_writes", writable_directories_accept_writes),
];

fn captured() -> (Options, OutputCapture) {
    let stdout = OutputCapture::new(4096);
    let stdio = WasiStdio::Captured { stdout: stdout.clone(), stderr: OutputCapture::new(4096) };
    (Options { stdio, ..Options::default() }, stdout)
}

fn tinygo_style_guest_on_wasi_unstable(engine: &dyn Engine) {
    let (options, stdout) = captured();
    let (host, _) = host(engine, &tinygo_style_guest(), &options);
    assert_eq!(host.call("echo", b"tiny").unwrap(), b"tiny");
    assert_eq!(stdout.contents(), b"started\ncalled\n");
}

fn nonzero_exit_in_start_fails_init(engine: &dyn Engine) {
    let guest = wat_to_wasm(
        r#"(module
          (import "wasi_unstable" "proc_exit" (func $proc_exit (param i32)))
          (memory (export "memory") 1)
          (func (export "_start") (call $proc_exit (i32.const 3)))
          (func (export "__guest_call") (param i32 i32) (result i32) (i32.const 0)))"#,
    );
    let provider = engine.provider(&guest, &Options::default()).unwrap();
    match Host::new(provider, None) {
        Err(Error::InitFailed { function: "_start", source }) => {
            assert!(matches!(*source, Error::Trap(ref trap) if trap.kind == TrapKind::Exit(3)), "{source:?}");
        }
        other => panic!("expected _start to fail with exit code 3, got {other:?}"),
    }
}

fn closed_stdio_discards_output(engine: &dyn Engine) {
    let options = Options { stdio: WasiStdio::Closed, ..Options::default() };
    let (host, _) = host(engine, &tinygo_style_guest(), &options);
    assert_eq!(host.call("echo", b"quiet").unwrap(), b"quiet");
}

/// A guest whose every call tries to create `created.txt` for writing in its first preopened directory (fd 3)
/// and answers the WASI errno as one byte.
fn file_creating_guest() -> Vec<u8> {
    wat_to_wasm(
        r#"(module
          (import "wasi_snapshot_preview1" "path_open"
            (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
          (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
          (memory (export "memory") 1)
          (data (i32.const 100) "created.txt")
          (func (export "__guest_call") (param i32 i32) (result i32)
            ;; O_CREAT, rights: FD_WRITE
            (i32.store8 (i32.const 300)
              (call $path_open (i32.const 3) (i32.const 0) (i32.const 100) (i32.const 11)
                               (i32.const 1) (i64.const 64) (i64.const 0) (i32.const 0) (i32.const 304)))
            (call $guest_response (i32.const 300) (i32.const 1))
            (i32.const 1)))"#,
    )
}

/// A fresh, empty directory for one check.
fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wapc-conformance-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn read_only_directory_refuses_writes(engine: &dyn Engine) {
    let dir = scratch_dir(&format!("{}-read-only", engine.name()));
    let options = Options { read_only_dirs: vec![(dir.display().to_string(), "/data".into())], ..Options::default() };
    let (host, _) = host(engine, &file_creating_guest(), &options);
    let errno = host.call("create", b"").unwrap();
    assert_ne!(errno, [0], "creating a file in a read-only directory succeeded");
    assert!(!dir.join("created.txt").exists());
    std::fs::remove_dir_all(dir).unwrap();
}

/// A guest whose every call opens `existing.txt` in its first preopened directory (fd 3) for reading, with the
/// right to set its times, then sets them to the epoch through the file and through the directory, truncates
/// the file and writes to it, and answers the five WASI errnos.
fn times_setting_guest() -> Vec<u8> {
    wat_to_wasm(
        r#"(module
          (import "wasi_snapshot_preview1" "path_open"
            (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "fd_filestat_set_times"
            (func $fd_filestat_set_times (param i32 i64 i64 i32) (result i32)))
          (import "wasi_snapshot_preview1" "path_filestat_set_times"
            (func $path_filestat_set_times (param i32 i32 i32 i32 i64 i64 i32) (result i32)))
          (import "wasi_snapshot_preview1" "fd_filestat_set_size" (func $fd_filestat_set_size (param i32 i64) (result i32)))
          (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
          (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
          (memory (export "memory") 1)
          (data (i32.const 100) "existing.txt")
          (func (export "__guest_call") (param i32 i32) (result i32)
            ;; rights: FD_READ | FD_FILESTAT_SET_TIMES
            (i32.store8 (i32.const 300)
              (call $path_open (i32.const 3) (i32.const 0) (i32.const 100) (i32.const 12)
                               (i32.const 0) (i64.const 8388610) (i64.const 0) (i32.const 0) (i32.const 320)))
            ;; flags: ATIM | MTIM
            (i32.store8 (i32.const 301)
              (call $fd_filestat_set_times (i32.load (i32.const 320)) (i64.const 0) (i64.const 0) (i32.const 5)))
            (i32.store8 (i32.const 302)
              (call $path_filestat_set_times (i32.const 3) (i32.const 0) (i32.const 100) (i32.const 12)
                                             (i64.const 0) (i64.const 0) (i32.const 5)))
            (i32.store8 (i32.const 303) (call $fd_filestat_set_size (i32.load (i32.const 320)) (i64.const 0)))
            (i32.store (i32.const 400) (i32.const 100))
            (i32.store (i32.const 404) (i32.const 4))
            (i32.store8 (i32.const 304)
              (call $fd_write (i32.load (i32.const 320)) (i32.const 400) (i32.const 1) (i32.const 408)))
            (call $guest_response (i32.const 300) (i32.const 5))
            (i32.const 1)))"#,
    )
}

/// Setting a file's times or size changes it as writing does: a read-only directory refuses it, through a file
/// opened for reading as through the directory, with `EPERM`; writing to such a file is `EBADF`.
fn read_only_directory_refuses_new_times(engine: &dyn Engine) {
    const SUCCESS: u8 = 0;
    const EBADF: u8 = 8;
    const EPERM: u8 = 63;
    let dir = scratch_dir(&format!("{}-read-only-times", engine.name()));
    let file = dir.join("existing.txt");
    std::fs::write(&file, b"kept").unwrap();
    let modified = std::fs::metadata(&file).unwrap().modified().unwrap();
    let options = Options { read_only_dirs: vec![(dir.display().to_string(), "/data".into())], ..Options::default() };
    let (host, _) = host(engine, &times_setting_guest(), &options);
    assert_eq!(host.call("touch", b"").unwrap(), [SUCCESS, EPERM, EPERM, EPERM, EBADF]);
    assert_eq!(std::fs::metadata(&file).unwrap().modified().unwrap(), modified);
    assert_eq!(std::fs::read(&file).unwrap(), b"kept");
    std::fs::remove_dir_all(dir).unwrap();
}

fn writable_directories_accept_writes(engine: &dyn Engine) {
    let same_path = scratch_dir(&format!("{}-preopened", engine.name()));
    let mapped = scratch_dir(&format!("{}-mapped", engine.name()));
    let preopened = WasiParams { preopened_dirs: vec![same_path.display().to_string()], ..WasiParams::default() };
    let map = WasiParams { map_dirs: vec![("/data".into(), mapped.display().to_string())], ..WasiParams::default() };
    for (wasi, dir) in [(preopened, &same_path), (map, &mapped)] {
        let (host, _) = host(engine, &file_creating_guest(), &Options { wasi, ..Options::default() });
        assert_eq!(host.call("create", b"").unwrap(), [0]);
        assert!(dir.join("created.txt").is_file());
    }
    std::fs::remove_dir_all(same_path).unwrap();
    std::fs::remove_dir_all(mapped).unwrap();
}
