//! Arbitrary wire bytes for arbitrary WIT parameter types, from the wire: the parameter scanner agrees with the
//! decoder (and with itself, fed a byte at a time), decoding never panics and keeps to its cap, and what it
//! decodes encodes and decodes again to the same MessagePack. The same bytes read as results (with their WAVE
//! error texts) and a decoded value given back as the guest's response never panic either.

use wrpc_bridge::transcode::{
    ErrorKind, Options, WireScanner, decode_params, decode_results, encode_params, encode_results,
};

use crate::wit_types::{self, Input};

/// Fuzz input: the parameter types, then a byte choosing the output cap (64 bytes to 128 KiB), then the wire
/// bytes.
pub fn run(data: &[u8]) {
    let mut input = Input(data);
    let function = wit_types::function(&mut input);
    let cap = 64usize << (input.byte() % 12);
    let capped = Options { max_output_bytes: cap, ..Options::default() };
    let wire = input.rest();

    let scanned = WireScanner::params(&function.params, usize::MAX).scan(wire);
    assert_eq!(scanned, byte_at_a_time(&function.params, wire), "the scanner depends on how the bytes arrive");
    match decode_params(&function, wire, &[], &capped) {
        Ok((used, msgpack)) => {
            assert!(msgpack.len() <= cap, "{} bytes written under a cap of {cap}", msgpack.len());
            assert_eq!(scanned, Ok(Some(used)), "the scanner disagrees about where the parameters end");
            let mut again = Vec::new();
            encode_params(&function, &msgpack, &Options::default(), &mut again).expect("decoded parameters encode");
            let (used_again, msgpack_again) =
                decode_params(&function, &again, &[], &Options::default()).expect("encoded parameters decode");
            assert_eq!((used_again, &msgpack_again), (again.len(), &msgpack), "the round trip changed the value");
            let mut results = Vec::new();
            let _ = encode_results(&function, Ok(&msgpack), &capped, &mut results);
            assert!(results.len() <= cap);
        }
        Err(error) if error.is_incomplete() => {
            assert!(!matches!(scanned, Ok(Some(_))), "the scanner found complete parameters the decoder did not");
        }
        Err(error) => {
            if let ErrorKind::TooLarge { limit } = error.kind() {
                assert_eq!(*limit, cap);
            }
        }
    }
    if let Ok((_, wrpc_bridge::transcode::Outcome::Ok(msgpack))) = decode_results(&function, wire, &[], &capped) {
        assert!(msgpack.len() <= cap);
    }
}

/// What the scanner says when `wire` arrives a byte at a time.
fn byte_at_a_time(
    params: &[(String, wrpc_bridge::wit::Type)],
    wire: &[u8],
) -> Result<Option<usize>, wrpc_bridge::transcode::TranscodeError> {
    let mut scanner = WireScanner::params(params, usize::MAX);
    for end in 0..=wire.len() {
        match scanner.scan(wire.get(..end).unwrap_or_default())? {
            Some(length) => return Ok(Some(length)),
            None => continue,
        }
    }
    Ok(None)
}
