//! `wapc serve` answering `wit-bindgen-wrpc` clients until SIGINT stops it, and `wapc call --bridge` reaching a
//! `wit-bindgen-wrpc` peer: the built binary, as a shell runs it.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use bytes::Bytes;
use wapc_conformance::guests::GUEST_OURS;
use wrpc_bridge_interop::peers::legacy_client::legacy::guest::api;
use wrpc_bridge_interop::peers::people_client::legacy::guest::people::{self, Greeting, Person};
use wrpc_bridge_interop::peers::{self, Which};
use wrpc_bridge_interop::relay::RELAY_GUEST;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

fn file(test: &str, name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wapc-cli-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn interop_wit(folder: &str) -> String {
    format!("{}/../wrpc-bridge/interop/wit/{folder}", env!("CARGO_MANIFEST_DIR"))
}

/// Starts `wapc serve` with `args` and returns it with the address it printed.
fn serve(args: &[&str]) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wapc"))
        .arg("serve")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap()).read_line(&mut line).unwrap();
    let address = line.trim().strip_prefix("serving on tcp://").unwrap_or_else(|| panic!("printed {line:?}"));
    (child, address.to_owned())
}

/// Sends SIGINT to `child`, as Ctrl-C does, and returns its exit code and stderr.
fn interrupt(mut child: Child) -> (Option<i32>, String) {
    let killed = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    (status.code(), stderr)
}

#[test]
fn serve_answers_wrpc_clients_until_sigint() {
    let module = file("serve", "ours.wasm", GUEST_OURS);
    let module = module.to_str().unwrap();
    let opaque = ["--listen", "tcp://127.0.0.1:0", "--instance", "legacy:guest/api@0.1.0", "--op", "echo"];
    let (child, address) = serve(&[&[module][..], &opaque, &["--op", "reverse", "--pool", "2"]].concat());
    let client = wrpc_transport::tcp::Client::from(address);
    runtime().block_on(async {
        let echoed = api::echo(&client, (), &Bytes::from_static(b"hello")).await.unwrap();
        assert_eq!(echoed, Ok(Bytes::from_static(b"hello")));
        let reversed = api::reverse(&client, (), &Bytes::from_static(b"abc")).await.unwrap();
        assert_eq!(reversed, Ok(Bytes::from_static(b"cba")));
    });
    let (code, stderr) = interrupt(child);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.ends_with("wapc: stopped\n"), "{stderr}");

    // Typed by WIT, with an alias.
    let wit = interop_wit("legacy");
    let typed = ["--listen", "tcp://127.0.0.1:0", "--wit", &wit, "--interface", "legacy:guest/people@0.1.0"];
    let (child, address) = serve(&[&[module][..], &typed, &["--alias", "greet=greet_person"]].concat());
    let client = wrpc_transport::tcp::Client::from(address);
    runtime().block_on(async {
        let person = Person { name: "Ada".to_owned(), age: 36 };
        let greeting = people::greet(&client, (), &person).await.unwrap();
        let Ok(Greeting { message, next_age }) = greeting else { panic!("expected a greeting, got {greeting:?}") };
        assert_eq!((message.as_str(), next_age), ("Hello, Ada!", 37));
    });
    assert_eq!(interrupt(child).0, Some(0));
}

#[test]
fn call_with_a_bridge_reaches_a_component_service() {
    let runtime = runtime();
    let peer = runtime.block_on(peers::serve_tcp(Which::Types)).unwrap();
    let config = format!("[targets.t]\naddress = \"{}\"\nwit = \"{}\"\n", peer.address, interop_wit("types"));
    let config = file("bridge", "bridge.toml", config.as_bytes());
    let relay = file("bridge", "relay.wasm", RELAY_GUEST);
    // The relay guest makes host_call("t", "test:bridge/types@0.1.0", "add", [40, 2]).
    let request =
        file("bridge", "request", &[b"t\0test:bridge/types@0.1.0\0add\0".as_slice(), &[0x92, 40, 2]].concat());
    let out = Command::new(env!("CARGO_BIN_EXE_wapc"))
        .args(["call", relay.to_str().unwrap(), "relay", "--msgpack", request.to_str().unwrap()])
        .args(["--bridge", config.to_str().unwrap(), "--output", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "42\n");
}
