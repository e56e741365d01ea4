//! See `wapc_fuzz_support::frame_reader`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| wapc_fuzz_support::frame_reader::run(data));
