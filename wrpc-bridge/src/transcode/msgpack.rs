//! A minimal msgpack reader over `&[u8]` and writer into `Vec<u8>`, on rmp's [`Marker`]s.
//!
//! The writer picks the smallest encoding, as `rmp::encode` does, so its output is byte-equal to
//! rmp's.

use rmp::Marker;

use super::error::{ErrorKind, TranscodeError};

/// One msgpack item: a scalar, or the header of an array or map.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Token<'a> {
    Nil,
    Bool(bool),
    Int(i128),
    F32(f32),
    F64(f64),
    /// Raw bytes; not yet checked for UTF-8.
    Str(&'a [u8]),
    Bin(&'a [u8]),
    /// An array header with its element count.
    Array(u32),
    /// A map header with its entry count.
    Map(u32),
    Ext,
}

impl Token<'_> {
    /// Describes the token for error messages, e.g. "the integer 300".
    pub(crate) fn describe(&self) -> String {
        match self {
            Self::Nil => "nil".to_owned(),
            Self::Bool(b) => format!("the bool {b}"),
            Self::Int(i) => format!("the integer {i}"),
            Self::F32(v) => format!("the float {v:?}"),
            Self::F64(v) => format!("the float {v:?}"),
            Self::Str(s) => {
                let text = String::from_utf8_lossy(s);
                if text.chars().count() > 40 {
                    format!("the str \"{}…\"", text.chars().take(40).collect::<String>())
                } else {
                    format!("the str {text:?}")
                }
            }
            Self::Bin(b) => format!("a bin of {} bytes", b.len()),
            Self::Array(n) => format!("an array of {n} elements"),
            Self::Map(n) => format!("a map of {n} entries"),
            Self::Ext => "an ext value".to_owned(),
        }
    }
}

/// A cursor over msgpack bytes. Cheap to copy, to come back to a value later.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    /// The number of bytes not read yet.
    pub(crate) fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    /// Reads nil if it comes next.
    pub(crate) fn take_nil(&mut self) -> bool {
        let nil = self.buf.get(self.pos) == Some(&Marker::Null.to_u8());
        if nil {
            self.pos += 1;
        }
        nil
    }

    /// Reads the next item.
    pub(crate) fn next(&mut self) -> Result<Token<'a>, TranscodeError> {
        Ok(match Marker::from_u8(self.byte()?) {
            Marker::FixPos(v) => Token::Int(v.into()),
            Marker::FixNeg(v) => Token::Int(v.into()),
            Marker::Null => Token::Nil,
            Marker::False => Token::Bool(false),
            Marker::True => Token::Bool(true),
            Marker::U8 => Token::Int(self.byte()?.into()),
            Marker::U16 => Token::Int(u16::from_be_bytes(self.array()?).into()),
            Marker::U32 => Token::Int(u32::from_be_bytes(self.array()?).into()),
            Marker::U64 => Token::Int(u64::from_be_bytes(self.array()?).into()),
            Marker::I8 => Token::Int(i8::from_be_bytes(self.array()?).into()),
            Marker::I16 => Token::Int(i16::from_be_bytes(self.array()?).into()),
            Marker::I32 => Token::Int(i32::from_be_bytes(self.array()?).into()),
            Marker::I64 => Token::Int(i64::from_be_bytes(self.array()?).into()),
            Marker::F32 => Token::F32(f32::from_be_bytes(self.array()?)),
            Marker::F64 => Token::F64(f64::from_be_bytes(self.array()?)),
            Marker::FixStr(n) => Token::Str(self.take(n.into())?),
            Marker::Str8 => Token::Str(self.take_len8()?),
            Marker::Str16 => Token::Str(self.take_len16()?),
            Marker::Str32 => Token::Str(self.take_len32()?),
            Marker::Bin8 => Token::Bin(self.take_len8()?),
            Marker::Bin16 => Token::Bin(self.take_len16()?),
            Marker::Bin32 => Token::Bin(self.take_len32()?),
            Marker::FixArray(n) => Token::Array(n.into()),
            Marker::Array16 => Token::Array(u16::from_be_bytes(self.array()?).into()),
            Marker::Array32 => Token::Array(u32::from_be_bytes(self.array()?)),
            Marker::FixMap(n) => Token::Map(n.into()),
            Marker::Map16 => Token::Map(u16::from_be_bytes(self.array()?).into()),
            Marker::Map32 => Token::Map(u32::from_be_bytes(self.array()?)),
            Marker::FixExt1 => self.ext(1)?,
            Marker::FixExt2 => self.ext(2)?,
            Marker::FixExt4 => self.ext(4)?,
            Marker::FixExt8 => self.ext(8)?,
            Marker::FixExt16 => self.ext(16)?,
            Marker::Ext8 => {
                let len = self.byte()?;
                self.ext(len.into())?
            }
            Marker::Ext16 => {
                let len = u16::from_be_bytes(self.array()?);
                self.ext(len.into())?
            }
            Marker::Ext32 => {
                let len = u32::from_be_bytes(self.array()?);
                self.ext(widen(len))?
            }
            Marker::Reserved => return Err(malformed("the reserved marker 0xc1")),
        })
    }

    /// Skips one whole value, however deeply nested.
    pub(crate) fn skip(&mut self) -> Result<(), TranscodeError> {
        let mut pending: u64 = 1;
        while pending > 0 {
            pending -= 1;
            match self.next()? {
                Token::Array(n) => pending += u64::from(n),
                Token::Map(n) => pending += 2 * u64::from(n),
                _ => {}
            }
        }
        Ok(())
    }

    fn byte(&mut self) -> Result<u8, TranscodeError> {
        let byte = *self.buf.get(self.pos).ok_or_else(truncated)?;
        self.pos += 1;
        Ok(byte)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], TranscodeError> {
        let end = self.pos.checked_add(n).ok_or_else(truncated)?;
        let bytes = self.buf.get(self.pos..end).ok_or_else(truncated)?;
        self.pos = end;
        Ok(bytes)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], TranscodeError> {
        self.take(N)?.try_into().map_err(|_| truncated())
    }

    fn take_len8(&mut self) -> Result<&'a [u8], TranscodeError> {
        let n = self.byte()?;
        self.take(n.into())
    }

    fn take_len16(&mut self) -> Result<&'a [u8], TranscodeError> {
        let n = u16::from_be_bytes(self.array()?);
        self.take(n.into())
    }

    fn take_len32(&mut self) -> Result<&'a [u8], TranscodeError> {
        let n = u32::from_be_bytes(self.array()?);
        self.take(widen(n))
    }

    fn ext(&mut self, len: usize) -> Result<Token<'a>, TranscodeError> {
        self.take(len.saturating_add(1))?;
        Ok(Token::Ext)
    }
}

fn widen(n: u32) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

fn malformed(what: &'static str) -> TranscodeError {
    TranscodeError::new(ErrorKind::MalformedMsgpack(what))
}

fn truncated() -> TranscodeError {
    malformed("the payload ends inside a value")
}

/// Checks that a str is UTF-8.
pub(crate) fn utf8(bytes: &[u8]) -> Result<&str, TranscodeError> {
    std::str::from_utf8(bytes).map_err(|_| malformed("a str that is not valid UTF-8"))
}

pub(crate) fn write_nil(out: &mut Vec<u8>) {
    out.push(Marker::Null.to_u8());
}

pub(crate) fn write_bool(out: &mut Vec<u8>, v: bool) {
    out.push(if v { Marker::True } else { Marker::False }.to_u8());
}

pub(crate) fn write_uint(out: &mut Vec<u8>, v: u64) {
    if let Ok(v) = u8::try_from(v) {
        if v < 0x80 {
            out.push(v);
        } else {
            out.extend_from_slice(&[Marker::U8.to_u8(), v]);
        }
    } else if let Ok(v) = u16::try_from(v) {
        write_marked(out, Marker::U16, &v.to_be_bytes());
    } else if let Ok(v) = u32::try_from(v) {
        write_marked(out, Marker::U32, &v.to_be_bytes());
    } else {
        write_marked(out, Marker::U64, &v.to_be_bytes());
    }
}

pub(crate) fn write_sint(out: &mut Vec<u8>, v: i64) {
    if let Ok(v) = u64::try_from(v) {
        write_uint(out, v);
    } else if v >= -32 {
        out.extend_from_slice(&(v as i8).to_be_bytes());
    } else if let Ok(v) = i8::try_from(v) {
        write_marked(out, Marker::I8, &v.to_be_bytes());
    } else if let Ok(v) = i16::try_from(v) {
        write_marked(out, Marker::I16, &v.to_be_bytes());
    } else if let Ok(v) = i32::try_from(v) {
        write_marked(out, Marker::I32, &v.to_be_bytes());
    } else {
        write_marked(out, Marker::I64, &v.to_be_bytes());
    }
}

pub(crate) fn write_f32(out: &mut Vec<u8>, v: f32) {
    write_marked(out, Marker::F32, &v.to_be_bytes());
}

pub(crate) fn write_f64(out: &mut Vec<u8>, v: f64) {
    write_marked(out, Marker::F64, &v.to_be_bytes());
}

/// Writes a str header; the caller appends `len` bytes of UTF-8.
pub(crate) fn write_str_len(out: &mut Vec<u8>, len: usize) {
    let len = narrow(len);
    if len < 32 {
        out.push(Marker::FixStr(0).to_u8() | len as u8);
    } else if let Ok(len) = u8::try_from(len) {
        out.extend_from_slice(&[Marker::Str8.to_u8(), len]);
    } else {
        write_len(out, Marker::Str16, Marker::Str32, len);
    }
}

pub(crate) fn write_str(out: &mut Vec<u8>, s: &str) {
    write_str_len(out, s.len());
    out.extend_from_slice(s.as_bytes());
}

pub(crate) fn write_bin(out: &mut Vec<u8>, bytes: &[u8]) {
    write_bin_len(out, bytes.len());
    out.extend_from_slice(bytes);
}

/// Writes the header of a bin of `len` bytes, which the caller writes next.
pub(crate) fn write_bin_len(out: &mut Vec<u8>, len: usize) {
    let len = narrow(len);
    if let Ok(len) = u8::try_from(len) {
        out.extend_from_slice(&[Marker::Bin8.to_u8(), len]);
    } else {
        write_len(out, Marker::Bin16, Marker::Bin32, len);
    }
}

pub(crate) fn write_array_len(out: &mut Vec<u8>, len: usize) {
    let len = narrow(len);
    if len < 16 {
        out.push(Marker::FixArray(0).to_u8() | len as u8);
    } else {
        write_len(out, Marker::Array16, Marker::Array32, len);
    }
}

pub(crate) fn write_map_len(out: &mut Vec<u8>, len: usize) {
    let len = narrow(len);
    if len < 16 {
        out.push(Marker::FixMap(0).to_u8() | len as u8);
    } else {
        write_len(out, Marker::Map16, Marker::Map32, len);
    }
}

fn write_len(out: &mut Vec<u8>, marker16: Marker, marker32: Marker, len: u32) {
    match u16::try_from(len) {
        Ok(len) => write_marked(out, marker16, &len.to_be_bytes()),
        Err(_) => write_marked(out, marker32, &len.to_be_bytes()),
    }
}

fn write_marked(out: &mut Vec<u8>, marker: Marker, data: &[u8]) {
    out.push(marker.to_u8());
    out.extend_from_slice(data);
}

/// msgpack lengths are 32-bit. Every length written here comes from a wRPC length (a u32) or a
/// WIT name, so saturating never changes it.
fn narrow(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rmp_bytes(write: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
        let mut out = Vec::new();
        write(&mut out);
        out
    }

    #[test]
    fn integers_match_rmp() {
        let edges: Vec<i64> = vec![
            0,
            1,
            31,
            32,
            127,
            128,
            255,
            256,
            65535,
            65536,
            -1,
            -32,
            -33,
            -128,
            -129,
            -32768,
            -32769,
            i64::from(i32::MIN),
            i64::from(i32::MIN) - 1,
            i64::MIN,
            i64::MAX,
            4_294_967_295,
            4_294_967_296,
        ];
        for v in edges {
            let ours = rmp_bytes(|out| write_sint(out, v));
            let theirs = rmp_bytes(|out| {
                rmp::encode::write_sint(out, v).unwrap();
            });
            assert_eq!(ours, theirs, "{v}");
            assert_eq!(Reader::new(&ours).next().unwrap(), Token::Int(v.into()));
        }
        for v in [0, 127, 128, 255, 256, 65535, 65536, u64::from(u32::MAX), u64::MAX] {
            let ours = rmp_bytes(|out| write_uint(out, v));
            let theirs = rmp_bytes(|out| {
                rmp::encode::write_uint(out, v).unwrap();
            });
            assert_eq!(ours, theirs, "{v}");
        }
    }

    #[test]
    fn lengths_match_rmp() {
        for len in [0usize, 15, 16, 31, 32, 255, 256, 65535, 65536] {
            let s = "x".repeat(len);
            assert_eq!(rmp_bytes(|out| write_str(out, &s)), rmp_bytes(|out| rmp::encode::write_str(out, &s).unwrap()));
            assert_eq!(
                rmp_bytes(|out| write_bin(out, s.as_bytes())),
                rmp_bytes(|out| rmp::encode::write_bin(out, s.as_bytes()).unwrap())
            );
            let n = u32::try_from(len).unwrap();
            assert_eq!(
                rmp_bytes(|out| write_array_len(out, len)),
                rmp_bytes(|out| {
                    rmp::encode::write_array_len(out, n).unwrap();
                })
            );
            assert_eq!(
                rmp_bytes(|out| write_map_len(out, len)),
                rmp_bytes(|out| {
                    rmp::encode::write_map_len(out, n).unwrap();
                })
            );
        }
    }

    #[test]
    fn reads_every_kind() {
        let mut buf = Vec::new();
        rmp::encode::write_nil(&mut buf).unwrap();
        rmp::encode::write_bool(&mut buf, true).unwrap();
        rmp::encode::write_f32(&mut buf, 1.5).unwrap();
        rmp::encode::write_f64(&mut buf, -2.5).unwrap();
        rmp::encode::write_str(&mut buf, "hé").unwrap();
        rmp::encode::write_bin(&mut buf, &[1, 2]).unwrap();
        rmp::encode::write_array_len(&mut buf, 70_000).unwrap();
        rmp::encode::write_map_len(&mut buf, 3).unwrap();
        rmp::encode::write_ext_meta(&mut buf, 2, 5).unwrap();
        buf.extend_from_slice(&[9, 9]);
        let mut r = Reader::new(&buf);
        let tokens: Vec<Token<'_>> = (0..9).map(|_| r.next().unwrap()).collect();
        assert_eq!(
            tokens,
            [
                Token::Nil,
                Token::Bool(true),
                Token::F32(1.5),
                Token::F64(-2.5),
                Token::Str("hé".as_bytes()),
                Token::Bin(&[1, 2]),
                Token::Array(70_000),
                Token::Map(3),
                Token::Ext
            ]
        );
        assert_eq!(r.remaining(), 0);
    }

    #[test]
    fn skips_nested_values() {
        // [{"a": [1, 2]}, "x"] then 7
        let buf = [0x92, 0x81, 0xa1, b'a', 0x92, 1, 2, 0xa1, b'x', 7];
        let mut r = Reader::new(&buf);
        r.skip().unwrap();
        assert_eq!(r.next().unwrap(), Token::Int(7));
    }

    #[test]
    fn refuses_truncated_and_reserved_input() {
        for buf in [&[0xc1][..], &[0xcd, 1], &[0xa3, b'a'], &[0xc6, 0, 0, 0]] {
            let err = Reader::new(buf).next().unwrap_err();
            assert!(matches!(err.kind(), ErrorKind::MalformedMsgpack(_)), "{buf:?}: {err}");
        }
        let err = Reader::new(&[0xdd, 0xff, 0xff, 0xff, 0xff]).skip().unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::MalformedMsgpack("the payload ends inside a value"));
    }
}
