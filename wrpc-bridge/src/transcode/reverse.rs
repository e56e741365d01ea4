//! The reverse direction: a component client calls a waPC operation. The wire parameters become
//! the guest's msgpack payload, and its response goes back as the function's results.

use super::decode::Decoder;
use super::error::{ErrorKind, TranscodeError};
use super::msgpack::{Reader, Token};
use super::wire::{self, WireReader};
use super::{Options, Received, encode, msgpack, output_size, within};
use crate::wit::{Function, Type};

/// Transcodes `function`'s parameters from the wire bytes `wire` into the guest's msgpack
/// payload, and returns how many bytes they took. `received` holds the contents of the streams and futures they
/// left pending, in the order [`WireScanner::deferred`](super::WireScanner::deferred) lists them.
///
/// No parameters: nil. One: the bare value. More: a map by parameter name, names per
/// [`Options::names`].
///
/// # Errors
///
/// [`TranscodeError::is_incomplete`] when `wire` ends before the parameters do: read more and
/// retry. Otherwise a [`TranscodeError`] for malformed bytes, with the path (`params.key`).
pub fn decode_params(
    function: &Function,
    wire: &[u8],
    received: &[Received],
    options: &Options,
) -> Result<(usize, Vec<u8>), TranscodeError> {
    let limit = options.max_output_bytes;
    let mut decoder = Decoder { case: options.names, limit, received: received.iter() };
    let mut r = WireReader::new(wire);
    let mut out = Vec::with_capacity(output_size(wire, received).min(limit));
    match function.params.as_slice() {
        [] => {
            msgpack::write_nil(&mut out);
            Ok(())
        }
        [(name, ty)] => decoder.value(&mut r, ty, &mut out).map_err(|e| e.in_field(name)),
        params => decoder.named_values(&mut r, params, &mut out),
    }
    .and_then(|()| within(out.len(), limit))
    .map_err(|e| e.in_root("params"))?;
    Ok((r.position(), out))
}

/// Transcodes the guest's answer into the wire encoding of `function`'s results, appended to
/// `out`: `Ok` holds its msgpack response, `Err` its error text.
///
/// - A single `result<T, E>`: `Ok` becomes `ok`, carrying `T` read from the response (the
///   response is ignored without `T`); `Err` becomes `err`, carrying the text if `E` is a string
///   (nothing without `E`).
/// - No results: nothing is written, and the response is ignored.
/// - Otherwise the response is the single result's value, or an array of the results.
///
/// # Errors
///
/// [`ErrorKind::ErrorNotCarried`] for a guest error that the results cannot carry (no
/// `result<_, string>` or `result<_>`); otherwise a [`TranscodeError`] with the path
/// (`results[0].ok.name`) of a response value that does not fit. `out` is then left as it was.
pub fn encode_results(
    function: &Function,
    response: Result<&[u8], &str>,
    options: &Options,
    out: &mut Vec<u8>,
) -> Result<(), TranscodeError> {
    let start = out.len();
    let limit = options.max_output_bytes;
    let encoded = results(function, response, out, limit)
        .and_then(|()| within(out.len(), limit))
        .map_err(|e| e.in_root("results"));
    if encoded.is_err() {
        out.truncate(start);
    }
    encoded
}

fn results(
    function: &Function,
    response: Result<&[u8], &str>,
    out: &mut Vec<u8>,
    limit: usize,
) -> Result<(), TranscodeError> {
    match (function.results.as_slice(), response) {
        ([Type::Result { ok, .. }], Ok(msgpack)) => {
            out.push(0);
            if let Some(ty) = ok {
                encode::whole_value(msgpack, ty, out, limit).map_err(|e| e.in_field("ok").in_index(0))?;
            }
        }
        ([Type::Result { err, .. }], Err(text)) => match err.as_deref() {
            Some(Type::String) => {
                out.push(1);
                wire::write_len(out, text.len());
                out.extend_from_slice(text.as_bytes());
            }
            None => out.push(1),
            Some(_) => return Err(not_carried(text)),
        },
        (_, Err(text)) => return Err(not_carried(text)),
        ([], Ok(_)) => {}
        ([ty], Ok(msgpack)) => encode::whole_value(msgpack, ty, out, limit).map_err(|e| e.in_index(0))?,
        (types, Ok(msgpack)) => {
            out.reserve(msgpack.len());
            let mut r = Reader::new(msgpack);
            match r.next()? {
                Token::Array(n) if encode::count(n) == types.len() => {
                    for (i, ty) in types.iter().enumerate() {
                        encode::value(&mut r, ty, out, limit).map_err(|e| e.in_index(i))?;
                    }
                }
                Token::Array(n) => {
                    return Err(TranscodeError::new(ErrorKind::Length {
                        expected: types.len(),
                        found: encode::count(n),
                    }));
                }
                token => return Err(TranscodeError::mismatch("an array of the results", token.describe())),
            }
            encode::finish(&r)?;
        }
    }
    Ok(())
}

fn not_carried(text: &str) -> TranscodeError {
    TranscodeError::new(ErrorKind::ErrorNotCarried(text.to_owned()))
}
