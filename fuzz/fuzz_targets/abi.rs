//! See `wapc_fuzz_support::abi`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| wapc_fuzz_support::abi::run(data));
