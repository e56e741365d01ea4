//! Runnable examples of the `wapc` host: `visits` (a waPC module calling a component service over wRPC) and
//! `hello` (a bare host callback).
//!
//! This library holds nothing but the project README, so that its examples are compiled (and the guest one
//! run) as doctests.
#![doc = include_str!("../README.md")]
