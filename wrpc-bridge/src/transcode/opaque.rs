//! Opaque mode: the target function is `func(payload: list<u8>) -> result<list<u8>, string>`, and
//! the guest's bytes pass through untouched.

use super::Outcome;
use super::error::TranscodeError;
use super::wire::{self, WireReader};
use crate::wit::{Function, Type};

/// Writes the parameters: `payload` as the `list<u8>`.
pub fn encode_params(payload: &[u8], out: &mut Vec<u8>) {
    out.reserve(payload.len().saturating_add(5));
    write_bytes(out, payload);
}

/// Reads the results: `ok` bytes become [`Outcome::Ok`], the `err` string [`Outcome::Err`].
/// Returns how many bytes they took.
///
/// # Errors
///
/// [`TranscodeError::is_incomplete`] when `wire` ends early (read more and retry), or an error
/// for malformed bytes.
pub fn decode_results(wire: &[u8]) -> Result<(usize, Outcome), TranscodeError> {
    let mut r = WireReader::new(wire);
    let outcome = results(&mut r).map_err(|e| e.in_index(0).in_root("results"))?;
    Ok((r.position(), outcome))
}

fn results(r: &mut WireReader<'_>) -> Result<Outcome, TranscodeError> {
    Ok(if r.flag("result tag")? {
        Outcome::Err(r.string().map_err(|e| e.in_field("err"))?.to_owned())
    } else {
        Outcome::Ok(bytes(r).map_err(|e| e.in_field("ok"))?.to_vec())
    })
}

/// Reads the parameters: the payload bytes, borrowed from `wire`, and how many bytes they took.
///
/// # Errors
///
/// [`TranscodeError::is_incomplete`] when `wire` ends early (read more and retry).
pub fn decode_params(wire: &[u8]) -> Result<(usize, &[u8]), TranscodeError> {
    let mut r = WireReader::new(wire);
    let payload = bytes(&mut r).map_err(|e| e.in_field("payload").in_root("params"))?;
    Ok((r.position(), payload))
}

/// Writes the results: the guest's response bytes as `ok`, or its error text as `err`.
pub fn encode_results(response: Result<&[u8], &str>, out: &mut Vec<u8>) {
    match response {
        Ok(bytes) => {
            out.push(0);
            write_bytes(out, bytes);
        }
        Err(text) => {
            out.push(1);
            write_bytes(out, text.as_bytes());
        }
    }
}

/// The opaque function type, named `name`: `func(payload: list<u8>) -> result<list<u8>, string>`.
#[must_use]
pub fn signature(name: &str) -> Function {
    let bytes = || Box::new(Type::List(Box::new(Type::U8)));
    Function {
        name: name.to_owned(),
        params: vec![("payload".to_owned(), *bytes())],
        results: vec![Type::Result { ok: Some(bytes()), err: Some(Box::new(Type::String)) }],
    }
}

/// The result types of the opaque function type: `result<list<u8>, string>`.
#[must_use]
pub fn result_types() -> &'static [Type] {
    static RESULTS: std::sync::LazyLock<Vec<Type>> = std::sync::LazyLock::new(|| signature("").results);
    &RESULTS
}

fn bytes<'a>(r: &mut WireReader<'a>) -> Result<&'a [u8], TranscodeError> {
    let n = r.len()?;
    r.take(n)
}

fn write_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    wire::write_len(out, bytes.len());
    out.extend_from_slice(bytes);
}
