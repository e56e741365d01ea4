//! The forward direction: a guest calls a component function. Its msgpack parameters go out on
//! the wire, and the results come back as msgpack.

use super::decode::Decoder;
use super::error::TranscodeError;
use super::msgpack::{Reader, Token};
use super::wire::WireReader;
use super::{Options, Outcome, Received, encode, msgpack, output_size, wave, within};
use crate::wit::{Function, Type};

/// Transcodes the guest's msgpack `msgpack` into the wire encoding of `function`'s parameters,
/// appended to `out`.
///
/// No parameters: nil, empty input, `[]` or `{}`. One: the bare value. More: an array in order,
/// or a map by parameter name (left-out `option` parameters are `none`). Input accepts every
/// [`NameCase`](super::NameCase); `out` may hold at most `options.max_output_bytes` in all.
///
/// # Errors
///
/// A [`TranscodeError`] with the path (`params.user.age`) of a value that does not fit; `out` is
/// then left as it was.
pub fn encode_params(
    function: &Function,
    msgpack: &[u8],
    options: &Options,
    out: &mut Vec<u8>,
) -> Result<(), TranscodeError> {
    let start = out.len();
    out.reserve(msgpack.len());
    let limit = options.max_output_bytes;
    let encoded =
        params(function, msgpack, out, limit).and_then(|()| within(out.len(), limit)).map_err(|e| e.in_root("params"));
    if encoded.is_err() {
        out.truncate(start);
    }
    encoded
}

fn params(function: &Function, msgpack: &[u8], out: &mut Vec<u8>, limit: usize) -> Result<(), TranscodeError> {
    let mut r = Reader::new(msgpack);
    match function.params.as_slice() {
        [] => {
            if r.remaining() > 0 {
                match r.next()? {
                    Token::Nil | Token::Array(0) | Token::Map(0) => {}
                    token => return Err(TranscodeError::mismatch("nil (there are no parameters)", token.describe())),
                }
            }
        }
        [(name, ty)] => encode::value(&mut r, ty, out, limit).map_err(|e| e.in_field(name))?,
        params => match r.next()? {
            Token::Array(n) => encode::fields_in_order(&mut r, params, encode::count(n), out, limit)?,
            Token::Map(n) => encode::fields_by_name(&mut r, params, encode::count(n), out, limit)?,
            token => {
                let expected = format!("an array or a map of the {} parameters", params.len());
                return Err(TranscodeError::mismatch(expected, token.describe()));
            }
        },
    }
    encode::finish(&r)
}

/// Transcodes `function`'s results from the wire bytes `wire` into msgpack for the guest, and
/// returns how many bytes they took. `received` holds the contents of the streams and futures they left pending,
/// in the order [`WireScanner::deferred`](super::WireScanner::deferred) lists them.
///
/// No results: nil. One: the bare value, except a `result<T, E>`: `ok` gives `T` (nil without
/// `T`), `err` gives [`Outcome::Err`] with `E`'s text if it is a string, else `E` in WAVE text
/// (`err` without `E`). More: an array.
///
/// # Errors
///
/// [`TranscodeError::is_incomplete`] when `wire` ends before the results do: read more and
/// retry. Otherwise a [`TranscodeError`] for malformed bytes, with the path (`results[0].ok`).
pub fn decode_results(
    function: &Function,
    wire: &[u8],
    received: &[Received],
    options: &Options,
) -> Result<(usize, Outcome), TranscodeError> {
    let mut r = WireReader::new(wire);
    let mut decoder = Decoder { case: options.names, limit: options.max_output_bytes, received: received.iter() };
    let outcome =
        results(function, &mut r, &mut decoder, output_size(wire, received)).map_err(|e| e.in_root("results"))?;
    Ok((r.position(), outcome))
}

fn results(
    function: &Function,
    r: &mut WireReader<'_>,
    decoder: &mut Decoder<'_>,
    expected: usize,
) -> Result<Outcome, TranscodeError> {
    let limit = decoder.limit;
    let mut out = Vec::with_capacity(expected.min(limit));
    match function.results.as_slice() {
        [] => msgpack::write_nil(&mut out),
        [Type::Result { ok, err }] => {
            if r.flag("result tag").map_err(|e| e.in_index(0))? {
                let text = error_text(r, err.as_deref(), limit).map_err(|e| e.in_field("err").in_index(0))?;
                return Ok(Outcome::Err(text));
            }
            match ok {
                Some(ty) => {
                    decoder.value(r, ty, &mut out).map_err(|e| e.in_field("ok").in_index(0))?;
                }
                None => msgpack::write_nil(&mut out),
            }
        }
        [ty] => decoder.value(r, ty, &mut out).map_err(|e| e.in_index(0))?,
        types => {
            msgpack::write_array_len(&mut out, types.len());
            for (i, ty) in types.iter().enumerate() {
                decoder.value(r, ty, &mut out).map_err(|e| e.in_index(i))?;
            }
        }
    }
    within(out.len(), limit)?;
    Ok(Outcome::Ok(out))
}

fn error_text(r: &mut WireReader<'_>, err: Option<&Type>, limit: usize) -> Result<String, TranscodeError> {
    match err {
        Some(Type::String) => Ok(r.string()?.to_owned()),
        Some(ty) => wave::to_text(r, ty, limit),
        None => Ok("err".to_owned()),
    }
}
