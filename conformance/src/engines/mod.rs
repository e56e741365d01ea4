//! The engines the suite runs against, each adapted to [`Engine`](crate::Engine).

mod wasmtime;

pub use self::wasmtime::{WASMTIME, Wasmtime};
