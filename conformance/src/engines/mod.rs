//! The engines the suite runs against, each adapted to [`Engine`](crate::Engine).

mod wasmi;
mod wasmtime;

pub use self::wasmi::{WASMI, WASMI_ASYNC, Wasmi};
pub use self::wasmtime::{WASMTIME, WASMTIME_ASYNC, Wasmtime};
