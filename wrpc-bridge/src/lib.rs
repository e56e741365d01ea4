//! Lets legacy waPC modules call WIT component services over [wRPC](https://github.com/bytecodealliance/wrpc),
//! and component clients call waPC modules.
//!
//! A waPC guest's `host_call(binding, namespace, operation, payload)` becomes a wRPC invocation of
//! `instance#function` on a target peer, its MessagePack payload transcoded to the function's WIT parameter
//! types, and the results back:
//!
//! ```no_run
//! use wrpc_bridge::{Bridge, Target};
//! use wrpc_bridge::wit::Catalog;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let bridge = Bridge::builder()
//!     .target("kv", Target::new("tcp://127.0.0.1:7761")?.wit(Catalog::load("wit/keyvalue".as_ref())?))
//!     .build()?;
//! # let engine: Box<dyn wapc::WebAssemblyEngineProvider> = unimplemented!();
//! // A guest's host_call("kv", "wasi:keyvalue/store@0.2.0-draft", "get", msgpack) now calls `get` on the peer.
//! let host = wapc::WapcHost::new(engine, Some(bridge.host_callback()))?;
//! # Ok(())
//! # }
//! ```
//!
//! # Concepts
//!
//! - [`routing`]: which target, interface and function a call reaches (a convention, explicit routes, a
//!   fallback); [`config`]: the same from a TOML file.
//! - [`transcode`]: MessagePack <-> the wRPC value encoding, by the function's [`wit`] types (or opaque bytes).
//! - [`transport`]: TCP (the default: no broker), Unix sockets and NATS, behind a small [`Transport`] trait;
//!   [`framing`]: the checks everything read from a socket passes first.
//! - [`runtime`]: the tokio runtime the I/O runs on, and how a guest's synchronous call waits for it.
//! - [`serve`]: the reverse direction, a [`WapcHost`](wapc::WapcHost) served as wRPC functions.
//! - [`error`]: [`ConfigError`] when building, [`CallError`] for a call (the guest's host error text).
//!
//! Each call has one deadline covering invoking, sending the parameters and reading the results, and a cap on
//! the result bytes.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic))]

mod address;
mod bridge;
pub mod config;
pub mod error;
pub mod framing;
pub mod naming;
mod receive;
pub mod routing;
pub mod runtime;
pub mod serve;
mod spans;
mod target;
mod trace_context;
pub mod transcode;
pub mod transport;
pub mod wit;

pub use address::Address;
pub use bridge::{Bridge, BridgeBuilder};
pub use config::BridgeConfig;
pub use error::{CallError, ConfigError};
pub use routing::Route;
pub use serve::{ServedGuest, Service, ServiceBuilder};
pub use target::Target;
pub use transport::Transport;
