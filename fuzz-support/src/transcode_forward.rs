//! Arbitrary MessagePack for arbitrary WIT parameter types, to the wire: transcoding never panics, keeps to its
//! cap, leaves nothing behind when it fails, and what it writes decodes to MessagePack that encodes to the same
//! bytes again; the parameter scanner finds their end exactly.

use wrpc_bridge::transcode::{ErrorKind, Options, WireScanner, decode_params, encode_params};

use crate::wit_types::{self, Input};

/// Fuzz input: the parameter types, then a byte choosing the output cap (64 bytes to 128 KiB), then the
/// MessagePack.
pub fn run(data: &[u8]) {
    let mut input = Input(data);
    let function = wit_types::function(&mut input);
    let cap = 64usize << (input.byte() % 12);
    let msgpack = input.rest();
    let mut wire = Vec::new();
    if let Err(error) =
        encode_params(&function, msgpack, &Options { max_output_bytes: cap, ..Options::default() }, &mut wire)
    {
        assert!(wire.is_empty(), "a failed transcoding left {} bytes: {error}", wire.len());
        if let ErrorKind::TooLarge { limit } = error.kind() {
            assert_eq!(*limit, cap);
        }
        return;
    }
    assert!(wire.len() <= cap, "{} bytes written under a cap of {cap}", wire.len());
    let scanned = WireScanner::params(&function.params, usize::MAX).scan(&wire);
    assert_eq!(scanned, Ok(Some(wire.len())), "the scanner disagrees about where the parameters end");
    let (used, decoded) = decode_params(&function, &wire, &[], &Options::default()).expect("written parameters decode");
    assert_eq!(used, wire.len());
    let mut again = Vec::new();
    encode_params(&function, &decoded, &Options::default(), &mut again).expect("decoded parameters encode");
    assert_eq!(again, wire, "decoding and encoding again changed the parameters");
}
