//! wire → msgpack: one value of a WIT type, read from the wRPC value encoding and written as
//! msgpack.

use super::error::TranscodeError;
use super::names::{self, NameCase};
use super::wire::{self, WireReader};
use super::{Received, canonical_f32, canonical_f64, msgpack, within, wraps_some};
use crate::wit::Type;

/// Writes wire values as msgpack: record field names in `case`, at most `limit` bytes, and the contents of
/// streams and futures sent pending taken from `received`, in the order they appear.
pub(crate) struct Decoder<'d> {
    pub(crate) case: NameCase,
    pub(crate) limit: usize,
    pub(crate) received: std::slice::Iter<'d, Received>,
}

impl Decoder<'_> {
    /// Transcodes the wire value at `r` as a `ty` and appends its msgpack to `out`.
    pub(crate) fn value(&mut self, r: &mut WireReader<'_>, ty: &Type, out: &mut Vec<u8>) -> Result<(), TranscodeError> {
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
                let count = r.len()?;
                self.elements(r, element, count, out)?;
            }
            Type::Stream(element) => self.stream(r, element, out)?,
            Type::Future(value) => self.future(r, value.as_deref(), out)?,
            Type::Handle { .. } => {
                let n = r.len()?;
                msgpack::write_bin(out, r.take(n)?);
            }
            Type::Tuple(types) => {
                msgpack::write_array_len(out, types.len());
                for (i, ty) in types.iter().enumerate() {
                    self.value(r, ty, out).map_err(|e| e.in_index(i))?;
                }
            }
            Type::Record(fields) => self.named_values(r, fields, out)?,
            Type::Variant(cases) => {
                let index = r.discriminant(cases.len())?;
                if let Some((name, payload)) = cases.get(index) {
                    match payload {
                        None => msgpack::write_str(out, name),
                        Some(ty) => {
                            msgpack::write_map_len(out, 1);
                            msgpack::write_str(out, name);
                            self.value(r, ty, out).map_err(|e| e.in_field(name))?;
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
                    self.value(r, some, out).map_err(|e| e.in_field("some"))?;
                } else {
                    self.value(r, some, out)?;
                }
            }
            Type::Result { ok, err } => {
                let (name, payload) = if r.flag("result tag")? { ("err", err) } else { ("ok", ok) };
                msgpack::write_map_len(out, 1);
                msgpack::write_str(out, name);
                match payload {
                    Some(ty) => self.value(r, ty, out).map_err(|e| e.in_field(name))?,
                    None => msgpack::write_nil(out),
                }
            }
        }
        Ok(())
    }

    /// Transcodes consecutive wire values (a record's fields, or parameters) into a msgpack map keyed
    /// by their names.
    pub(crate) fn named_values(
        &mut self,
        r: &mut WireReader<'_>,
        fields: &[(String, Type)],
        out: &mut Vec<u8>,
    ) -> Result<(), TranscodeError> {
        msgpack::write_map_len(out, fields.len());
        for (name, ty) in fields {
            names::write(out, name, self.case);
            self.value(r, ty, out).map_err(|e| e.in_field(name))?;
        }
        Ok(())
    }

    /// A stream: inline (a non-empty list), or sent pending, its chunks received on its path.
    fn stream(&mut self, r: &mut WireReader<'_>, element: &Type, out: &mut Vec<u8>) -> Result<(), TranscodeError> {
        let inline = r.len()?;
        if inline > 0 {
            return self.elements(r, element, inline, out);
        }
        let received = self.next_received()?;
        if *element == Type::U8 {
            msgpack::write_bin_len(out, received.elements);
        } else {
            msgpack::write_array_len(out, received.elements);
        }
        let mut chunks = WireReader::new(&received.wire);
        let mut done = 0;
        loop {
            let count = chunks.len()?;
            if count == 0 {
                return Ok(());
            }
            self.chunk(&mut chunks, element, count, done, out)?;
            done += count;
        }
    }

    /// `count` elements of a list or an inline stream, with the msgpack header.
    fn elements(
        &mut self,
        r: &mut WireReader<'_>,
        element: &Type,
        count: usize,
        out: &mut Vec<u8>,
    ) -> Result<(), TranscodeError> {
        if *element == Type::U8 {
            msgpack::write_bin(out, r.take(count)?);
            return Ok(());
        }
        // Every element takes at least one byte (WIT has no empty tuples, records or flags): a
        // length beyond the bytes at hand means more must be read.
        if count > r.remaining() {
            return Err(TranscodeError::incomplete());
        }
        msgpack::write_array_len(out, count);
        self.chunk(r, element, count, 0, out)
    }

    /// `count` elements, without a header; the first is element `first` of its stream (for error paths).
    fn chunk(
        &mut self,
        r: &mut WireReader<'_>,
        element: &Type,
        count: usize,
        first: usize,
        out: &mut Vec<u8>,
    ) -> Result<(), TranscodeError> {
        if *element == Type::U8 {
            out.extend_from_slice(r.take(count)?);
            return within(out.len(), self.limit);
        }
        for i in 0..count {
            within(out.len(), self.limit)?;
            self.value(r, element, out).map_err(|e| e.in_index(first.saturating_add(i)))?;
        }
        Ok(())
    }

    /// A future: ready, or sent pending, its value received on its path.
    fn future(
        &mut self,
        r: &mut WireReader<'_>,
        value: Option<&Type>,
        out: &mut Vec<u8>,
    ) -> Result<(), TranscodeError> {
        let ready = r.flag("future tag")?;
        match (value, ready) {
            (None, ready) => {
                if !ready {
                    self.next_received()?;
                }
                msgpack::write_nil(out);
                Ok(())
            }
            (Some(ty), true) => self.value(r, ty, out),
            (Some(ty), false) => {
                let received = self.next_received()?;
                self.value(&mut WireReader::new(&received.wire), ty, out)
            }
        }
    }

    /// The contents of the next stream or future sent pending.
    fn next_received<'r>(&mut self) -> Result<&'r Received, TranscodeError>
    where
        Self: 'r,
    {
        self.received
            .next()
            .ok_or_else(|| TranscodeError::wire("a stream or future sent pending whose contents did not arrive"))
    }
}
