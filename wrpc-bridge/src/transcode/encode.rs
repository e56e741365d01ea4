//! msgpack → wire: one value of a WIT type, read from msgpack and written in the wRPC value
//! encoding.

use super::error::{ErrorKind, TranscodeError};
use super::msgpack::{self, Reader, Token};
use super::names;
use super::wire;
use super::{canonical_f32, canonical_f64, within, wraps_some};
use crate::wit::Type;

/// Transcodes the whole msgpack `msgpack` as one `ty`; nothing may follow it.
pub(crate) fn whole_value(msgpack: &[u8], ty: &Type, out: &mut Vec<u8>, limit: usize) -> Result<(), TranscodeError> {
    out.reserve(msgpack.len());
    let mut r = Reader::new(msgpack);
    value(&mut r, ty, out, limit)?;
    finish(&r)
}

/// Checks that nothing follows the value just read.
pub(crate) fn finish(r: &Reader<'_>) -> Result<(), TranscodeError> {
    match r.remaining() {
        0 => Ok(()),
        n => Err(TranscodeError::new(ErrorKind::TrailingBytes(n))),
    }
}

/// An array or map count as a `usize`.
pub(crate) fn count(n: u32) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// Transcodes the msgpack value at `r` as a `ty` and appends its wire encoding to `out`.
pub(crate) fn value(r: &mut Reader<'_>, ty: &Type, out: &mut Vec<u8>, limit: usize) -> Result<(), TranscodeError> {
    match ty {
        Type::Bool => match r.next()? {
            Token::Bool(b) => out.push(b.into()),
            token => return Err(mismatch(ty, &token)),
        },
        Type::S8 => out.extend_from_slice(&int::<i8>(r, ty)?.to_le_bytes()),
        Type::U8 => out.push(int(r, ty)?),
        Type::S16 => wire::write_sleb(out, int::<i16>(r, ty)?.into()),
        Type::U16 => wire::write_uleb(out, int::<u16>(r, ty)?.into()),
        Type::S32 => wire::write_sleb(out, int::<i32>(r, ty)?.into()),
        Type::U32 => wire::write_uleb(out, int::<u32>(r, ty)?.into()),
        Type::S64 => wire::write_sleb(out, int(r, ty)?),
        Type::U64 => wire::write_uleb(out, int(r, ty)?),
        Type::F32 => out.extend_from_slice(&canonical_f32(f32_value(r, ty)?).to_le_bytes()),
        Type::F64 => out.extend_from_slice(&canonical_f64(f64_value(r, ty)?).to_le_bytes()),
        Type::Char => {
            let s = str_value(r, ty)?;
            let mut chars = s.chars();
            if chars.next().is_none() || chars.next().is_some() {
                return Err(mismatch(ty, &Token::Str(s.as_bytes())));
            }
            // The UTF-8 of the one scalar value is its wire encoding.
            out.extend_from_slice(s.as_bytes());
        }
        Type::String => {
            let s = str_value(r, ty)?;
            wire::write_len(out, s.len());
            out.extend_from_slice(s.as_bytes());
        }
        Type::List(element) => list(r, ty, element, out, limit)?,
        Type::Tuple(types) => {
            let n = array_len(r, ty)?;
            if n != types.len() {
                return Err(TranscodeError::new(ErrorKind::Length { expected: types.len(), found: n }));
            }
            for (i, ty) in types.iter().enumerate() {
                value(r, ty, out, limit).map_err(|e| e.in_index(i))?;
            }
        }
        Type::Record(fields) => match r.next()? {
            Token::Map(n) => fields_by_name(r, fields, count(n), out, limit)?,
            Token::Array(n) => fields_in_order(r, fields, count(n), out, limit)?,
            token => return Err(mismatch(ty, &token)),
        },
        Type::Variant(cases) => variant(r, ty, cases, out, limit)?,
        Type::Enum(cases) => match r.next()? {
            Token::Str(name) => wire::write_uleb(out, case_index(cases.iter(), name)? as u64),
            token => return Err(mismatch(ty, &token)),
        },
        Type::Flags(flags) => self::flags(r, ty, flags, out)?,
        Type::Option(some) => option(r, ty, some, out, limit)?,
        Type::Result { ok, err } => result(r, ty, ok.as_deref(), err.as_deref(), out, limit)?,
        // Inline; an empty one is written pending (0x00 either way), its end left for the caller to send on its
        // path.
        Type::Stream(element) => list(r, ty, element, out, limit)?,
        // Always ready.
        Type::Future(value) => {
            out.push(1);
            payload_value(r, value.as_deref(), out, limit)?;
        }
        Type::Handle { .. } => match r.next()? {
            Token::Bin(bytes) => {
                wire::write_len(out, bytes.len());
                out.extend_from_slice(bytes);
            }
            token => return Err(mismatch(format_args!("bin (the bytes of a {ty})"), &token)),
        },
    }
    Ok(())
}

/// Transcodes `n` msgpack values in field order, each at its field's name in errors.
pub(crate) fn fields_in_order(
    r: &mut Reader<'_>,
    fields: &[(String, Type)],
    n: usize,
    out: &mut Vec<u8>,
    limit: usize,
) -> Result<(), TranscodeError> {
    if n != fields.len() {
        return Err(TranscodeError::new(ErrorKind::Length { expected: fields.len(), found: n }));
    }
    for (name, ty) in fields {
        value(r, ty, out, limit).map_err(|e| e.in_field(name))?;
    }
    Ok(())
}

/// Transcodes a msgpack map of `n` entries keyed by field name into the fields in declaration
/// order. Keys in declaration order stream straight through; otherwise the values are located
/// first. Missing `option` fields are `none`.
pub(crate) fn fields_by_name(
    r: &mut Reader<'_>,
    fields: &[(String, Type)],
    n: usize,
    out: &mut Vec<u8>,
    limit: usize,
) -> Result<(), TranscodeError> {
    let mut done = 0;
    for entry in 0..n {
        let key = key(r)?;
        match fields.get(done) {
            Some((name, ty)) if names::matches(name, key) => {
                value(r, ty, out, limit).map_err(|e| e.in_field(name))?;
                done += 1;
            }
            _ => return fields_out_of_order(r, fields, done, key, n - entry, out, limit),
        }
    }
    for (name, ty) in fields.get(done..).unwrap_or_default() {
        missing(name, ty, out)?;
    }
    Ok(())
}

/// The slow path of [`fields_by_name`]: `entries` map entries remain, the first one's key already
/// read; the fields before `done` are written.
fn fields_out_of_order<'a>(
    r: &mut Reader<'a>,
    fields: &[(String, Type)],
    done: usize,
    first_key: &[u8],
    entries: usize,
    out: &mut Vec<u8>,
    limit: usize,
) -> Result<(), TranscodeError> {
    let (written, rest) = fields.split_at(done.min(fields.len()));
    let mut values: Vec<Option<Reader<'a>>> = vec![None; rest.len()];
    let mut key = first_key;
    for entry in 0..entries {
        if entry > 0 {
            key = self::key(r)?;
        }
        let Some(slot) = rest.iter().position(|(name, _)| names::matches(name, key)).and_then(|i| values.get_mut(i))
        else {
            let name = String::from_utf8_lossy(key).into_owned();
            return Err(if written.iter().any(|(field, _)| names::matches(field, key)) {
                TranscodeError::new(ErrorKind::DuplicateField(name))
            } else {
                TranscodeError::new(ErrorKind::UnknownField(name))
            });
        };
        if slot.is_some() {
            return Err(TranscodeError::new(ErrorKind::DuplicateField(String::from_utf8_lossy(key).into_owned())));
        }
        *slot = Some(*r);
        r.skip()?;
    }
    for ((name, ty), at) in rest.iter().zip(values) {
        match at {
            Some(mut at) => value(&mut at, ty, out, limit).map_err(|e| e.in_field(name))?,
            None => missing(name, ty, out)?,
        }
    }
    Ok(())
}

/// A field left out of a map: `none` if it is an option, else an error.
fn missing(name: &str, ty: &Type, out: &mut Vec<u8>) -> Result<(), TranscodeError> {
    match ty {
        Type::Option(_) => {
            out.push(0);
            Ok(())
        }
        _ => Err(TranscodeError::new(ErrorKind::MissingField(name.to_owned()))),
    }
}

fn list(r: &mut Reader<'_>, ty: &Type, element: &Type, out: &mut Vec<u8>, limit: usize) -> Result<(), TranscodeError> {
    match (r.next()?, element) {
        (Token::Bin(bytes), Type::U8) => {
            wire::write_len(out, bytes.len());
            out.extend_from_slice(bytes);
        }
        (Token::Array(n), _) => {
            let n = count(n);
            wire::write_len(out, n);
            // Every element takes at least one msgpack byte: never reserve more than is there.
            out.reserve(n.min(r.remaining()));
            for i in 0..n {
                within(out.len(), limit)?;
                value(r, element, out, limit).map_err(|e| e.in_index(i))?;
            }
        }
        (token, _) => return Err(mismatch(ty, &token)),
    }
    Ok(())
}

fn variant(
    r: &mut Reader<'_>,
    ty: &Type,
    cases: &[(String, Option<Type>)],
    out: &mut Vec<u8>,
    limit: usize,
) -> Result<(), TranscodeError> {
    let names = cases.iter().map(|(name, _)| name);
    match r.next()? {
        Token::Str(name) => {
            let index = case_index(names, name)?;
            if let Some((name, Some(_))) = cases.get(index) {
                return Err(TranscodeError::new(ErrorKind::MissingPayload(name.clone())));
            }
            wire::write_uleb(out, index as u64);
        }
        Token::Map(1) => {
            let index = case_index(names, key(r)?)?;
            wire::write_uleb(out, index as u64);
            if let Some((name, payload)) = cases.get(index) {
                payload_value(r, payload.as_ref(), out, limit).map_err(|e| e.in_field(name))?;
            }
        }
        token => return Err(mismatch(ty, &token)),
    }
    Ok(())
}

/// A case's payload, or nil for a case without one.
fn payload_value(
    r: &mut Reader<'_>,
    payload: Option<&Type>,
    out: &mut Vec<u8>,
    limit: usize,
) -> Result<(), TranscodeError> {
    match payload {
        Some(ty) => value(r, ty, out, limit),
        None => match r.next()? {
            Token::Nil => Ok(()),
            token => Err(mismatch("nil (the case has no payload)", &token)),
        },
    }
}

fn flags(r: &mut Reader<'_>, ty: &Type, flags: &[String], out: &mut Vec<u8>) -> Result<(), TranscodeError> {
    let n = array_len(r, ty)?;
    let start = out.len();
    out.resize(start + wire::flags_len(flags.len()), 0);
    for i in 0..n {
        let name = match r.next()? {
            Token::Str(name) => name,
            token => return Err(mismatch("a flag name", &token).in_index(i)),
        };
        let Some(bit) = flags.iter().position(|flag| names::matches(flag, name)) else {
            return Err(TranscodeError::new(ErrorKind::UnknownFlag(String::from_utf8_lossy(name).into_owned())));
        };
        if let Some(byte) = out.get_mut(start + bit / 8) {
            *byte |= 1 << (bit % 8);
        }
    }
    Ok(())
}

/// `option<T>`: nil is none, any other value is some; when `T` is itself an option, some is
/// written `{"some": value}`.
fn option(r: &mut Reader<'_>, ty: &Type, some: &Type, out: &mut Vec<u8>, limit: usize) -> Result<(), TranscodeError> {
    if r.take_nil() {
        out.push(0);
        return Ok(());
    }
    out.push(1);
    if !wraps_some(some) {
        return value(r, some, out, limit);
    }
    match r.next()? {
        Token::Map(1) => match key(r)? {
            b"some" => value(r, some, out, limit).map_err(|e| e.in_field("some")),
            other => Err(TranscodeError::new(ErrorKind::UnknownCase(String::from_utf8_lossy(other).into_owned()))),
        },
        token => Err(mismatch(format_args!("nil or {{\"some\": value}} for {ty}"), &token)),
    }
}

/// A nested `result<T, E>`: `{"ok": value}` or `{"err": value}` (nil for no payload); a bare
/// `"ok"` or `"err"` str is accepted for an arm without payload.
fn result(
    r: &mut Reader<'_>,
    ty: &Type,
    ok: Option<&Type>,
    err: Option<&Type>,
    out: &mut Vec<u8>,
    limit: usize,
) -> Result<(), TranscodeError> {
    let arm = |name: &[u8]| match name {
        b"ok" => Ok((0, "ok", ok)),
        b"err" => Ok((1, "err", err)),
        other => Err(TranscodeError::new(ErrorKind::UnknownCase(String::from_utf8_lossy(other).into_owned()))),
    };
    match r.next()? {
        Token::Map(1) => {
            let (tag, name, payload) = arm(key(r)?)?;
            out.push(tag);
            payload_value(r, payload, out, limit).map_err(|e| e.in_field(name))
        }
        Token::Str(name) => match arm(name)? {
            (tag, _, None) => {
                out.push(tag);
                Ok(())
            }
            (_, name, Some(_)) => Err(TranscodeError::new(ErrorKind::MissingPayload(name.to_owned()))),
        },
        token => Err(mismatch(ty, &token)),
    }
}

/// The index of the case named `name` (in any name case).
fn case_index<'n>(mut cases: impl Iterator<Item = &'n String>, name: &[u8]) -> Result<usize, TranscodeError> {
    cases
        .position(|case| names::matches(case, name))
        .ok_or_else(|| TranscodeError::new(ErrorKind::UnknownCase(String::from_utf8_lossy(name).into_owned())))
}

/// Reads a map key, which must be a str.
fn key<'a>(r: &mut Reader<'a>) -> Result<&'a [u8], TranscodeError> {
    match r.next()? {
        Token::Str(key) => Ok(key),
        token => Err(mismatch("a str key", &token)),
    }
}

fn array_len(r: &mut Reader<'_>, ty: &Type) -> Result<usize, TranscodeError> {
    match r.next()? {
        Token::Array(n) => Ok(count(n)),
        token => Err(mismatch(ty, &token)),
    }
}

fn int<T: TryFrom<i128>>(r: &mut Reader<'_>, ty: &Type) -> Result<T, TranscodeError> {
    match r.next()? {
        Token::Int(v) => T::try_from(v).map_err(|_| mismatch(ty, &Token::Int(v))),
        token => Err(mismatch(ty, &token)),
    }
}

fn str_value<'a>(r: &mut Reader<'a>, ty: &Type) -> Result<&'a str, TranscodeError> {
    match r.next()? {
        Token::Str(bytes) => msgpack::utf8(bytes),
        token => Err(mismatch(ty, &token)),
    }
}

/// An f32 from a float or an int, rounded to nearest; a finite f64 beyond f32's range is refused.
fn f32_value(r: &mut Reader<'_>, ty: &Type) -> Result<f32, TranscodeError> {
    match r.next()? {
        Token::F32(v) => Ok(v),
        Token::F64(v) => {
            let narrowed = v as f32;
            if narrowed.is_infinite() && v.is_finite() { Err(mismatch(ty, &Token::F64(v))) } else { Ok(narrowed) }
        }
        Token::Int(v) => Ok(v as f32),
        token => Err(mismatch(ty, &token)),
    }
}

/// An f64 from a float or an int, rounded to nearest.
fn f64_value(r: &mut Reader<'_>, ty: &Type) -> Result<f64, TranscodeError> {
    match r.next()? {
        Token::F32(v) => Ok(v.into()),
        Token::F64(v) => Ok(v),
        Token::Int(v) => Ok(v as f64),
        token => Err(mismatch(ty, &token)),
    }
}

fn mismatch(expected: impl std::fmt::Display, found: &Token<'_>) -> TranscodeError {
    TranscodeError::mismatch(expected, found.describe())
}
