//! wire → msgpack: one value of a WIT type, read from the wRPC value encoding and written as
//! msgpack.

use super::error::TranscodeError;
use super::msgpack;
use super::names::{self, NameCase};
use super::wire::{self, WireReader};
use super::{canonical_f32, canonical_f64, within, wraps_some};
use crate::wit::Type;

/// Transcodes the wire value at `r` as a `ty` and appends its msgpack to `out`; record field names
/// are written in `case`.
pub(crate) fn value(
    r: &mut WireReader<'_>,
    ty: &Type,
    case: NameCase,
    out: &mut Vec<u8>,
    limit: usize,
) -> Result<(), TranscodeError> {
    match ty {
        Type::Bool => msgpack::write_bool(out, r.flag("bool")?),
        Type::S8 => msgpack::write_sint(out, i8::from_le_bytes(r.array()?).into()),
        Type::U8 => msgpack::write_uint(out, r.byte()?.into()),
        Type::S16 => msgpack::write_sint(out, r.sleb(16)?),
        Type::U16 => msgpack::write_uint(out, r.uleb(16)?),
        Type::S32 => msgpack::write_sint(out, r.sleb(32)?),
        Type::U32 => msgpack::write_uint(out, r.uleb(32)?),
        Type::S64 => msgpack::write_sint(out, r.sleb(64)?),
        Type::U64 => msgpack::write_uint(out, r.uleb(64)?),
        Type::F32 => msgpack::write_f32(out, canonical_f32(f32::from_le_bytes(r.array()?))),
        Type::F64 => msgpack::write_f64(out, canonical_f64(f64::from_le_bytes(r.array()?))),
        Type::Char => {
            let mut buf = [0; 4];
            msgpack::write_str(out, r.char()?.encode_utf8(&mut buf));
        }
        Type::String => msgpack::write_str(out, r.string()?),
        Type::List(element) => {
            let n = r.len()?;
            if **element == Type::U8 {
                msgpack::write_bin(out, r.take(n)?);
                return Ok(());
            }
            // Every element takes at least one byte (WIT has no empty tuples, records or flags): a
            // length beyond the bytes at hand means more must be read.
            if n > r.remaining() {
                return Err(TranscodeError::incomplete());
            }
            msgpack::write_array_len(out, n);
            for i in 0..n {
                within(out.len(), limit)?;
                value(r, element, case, out, limit).map_err(|e| e.in_index(i))?;
            }
        }
        Type::Tuple(types) => {
            msgpack::write_array_len(out, types.len());
            for (i, ty) in types.iter().enumerate() {
                value(r, ty, case, out, limit).map_err(|e| e.in_index(i))?;
            }
        }
        Type::Record(fields) => named_values(r, fields, case, out, limit)?,
        Type::Variant(cases) => {
            let index = r.discriminant(cases.len())?;
            if let Some((name, payload)) = cases.get(index) {
                match payload {
                    None => msgpack::write_str(out, name),
                    Some(ty) => {
                        msgpack::write_map_len(out, 1);
                        msgpack::write_str(out, name);
                        value(r, ty, case, out, limit).map_err(|e| e.in_field(name))?;
                    }
                }
            }
        }
        Type::Enum(cases) => {
            let index = r.discriminant(cases.len())?;
            if let Some(name) = cases.get(index) {
                msgpack::write_str(out, name);
            }
        }
        Type::Flags(flags) => {
            let bits = r.take(wire::flags_len(flags.len()))?;
            let set = |i: usize| bits.get(i / 8).is_some_and(|byte| byte & (1 << (i % 8)) != 0);
            if (flags.len()..bits.len() * 8).any(set) {
                return Err(TranscodeError::wire(format!("flags set beyond the {} flags of {ty}", flags.len())));
            }
            msgpack::write_array_len(out, (0..flags.len()).filter(|&i| set(i)).count());
            for (i, flag) in flags.iter().enumerate() {
                if set(i) {
                    msgpack::write_str(out, flag);
                }
            }
        }
        Type::Option(some) => {
            if !r.flag("option tag")? {
                msgpack::write_nil(out);
            } else if wraps_some(some) {
                msgpack::write_map_len(out, 1);
                msgpack::write_str(out, "some");
                value(r, some, case, out, limit).map_err(|e| e.in_field("some"))?;
            } else {
                value(r, some, case, out, limit)?;
            }
        }
        Type::Result { ok, err } => {
            let (name, payload) = if r.flag("result tag")? { ("err", err) } else { ("ok", ok) };
            msgpack::write_map_len(out, 1);
            msgpack::write_str(out, name);
            match payload {
                Some(ty) => value(r, ty, case, out, limit).map_err(|e| e.in_field(name))?,
                None => msgpack::write_nil(out),
            }
        }
    }
    Ok(())
}

/// Transcodes consecutive wire values (a record's fields, or parameters) into a msgpack map keyed
/// by their names in `case`.
pub(crate) fn named_values(
    r: &mut WireReader<'_>,
    fields: &[(String, Type)],
    case: NameCase,
    out: &mut Vec<u8>,
    limit: usize,
) -> Result<(), TranscodeError> {
    msgpack::write_map_len(out, fields.len());
    for (name, ty) in fields {
        names::write(out, name, case);
        value(r, ty, case, out, limit).map_err(|e| e.in_field(name))?;
    }
    Ok(())
}
