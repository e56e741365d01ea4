//! See `wapc_fuzz_support::transcode_reverse`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| wapc_fuzz_support::transcode_reverse::run(data));
