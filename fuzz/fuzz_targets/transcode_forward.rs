//! See `wapc_fuzz_support::transcode_forward`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| wapc_fuzz_support::transcode_forward::run(data));
