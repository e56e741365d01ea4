//! Runnable examples of the `wapc` host; `cargo run -p wapc-examples --bin hello` is the first one to try.
//!
//! This library holds nothing but the project README, so that its examples are compiled (and the guest one
//! run) as doctests.
#![doc = include_str!("../README.md")]
