//! The wRPC value encoding's primitives: LEB128 integers, lengths and raw bytes.
//!
//! Readers return [`ErrorKind::Incomplete`](super::ErrorKind::Incomplete) when the bytes end
//! early, so that a caller reading from a socket can read more and retry.

use super::error::TranscodeError;

/// A cursor over wire bytes.
#[derive(Debug)]
pub(crate) struct WireReader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> WireReader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    /// The number of bytes read so far.
    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    /// The number of bytes not read yet.
    pub(crate) fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    pub(crate) fn byte(&mut self) -> Result<u8, TranscodeError> {
        let byte = *self.buf.get(self.pos).ok_or_else(TranscodeError::incomplete)?;
        self.pos += 1;
        Ok(byte)
    }

    /// Reads a 0/1 tag byte (bool, option, result); `what` names it in errors.
    pub(crate) fn flag(&mut self, what: &str) -> Result<bool, TranscodeError> {
        match self.byte()? {
            0 => Ok(false),
            1 => Ok(true),
            b => Err(TranscodeError::wire(format!("invalid {what} byte {b}"))),
        }
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], TranscodeError> {
        let end = self.pos.checked_add(n).ok_or_else(TranscodeError::incomplete)?;
        let bytes = self.buf.get(self.pos..end).ok_or_else(TranscodeError::incomplete)?;
        self.pos = end;
        Ok(bytes)
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], TranscodeError> {
        self.take(N)?.try_into().map_err(|_| TranscodeError::incomplete())
    }

    /// Reads an unsigned LEB128 integer of at most `bits` bits (16, 32 or 64).
    pub(crate) fn uleb(&mut self, bits: u32) -> Result<u64, TranscodeError> {
        let last = (bits - 1) / 7 * 7;
        let mut value = 0u64;
        let mut shift = 0;
        loop {
            let b = self.byte()?;
            if shift == last && u32::from(b) >= 1 << (bits - last) {
                return Err(TranscodeError::wire(format!("the LEB128 integer overflows u{bits}")));
            }
            value |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(value);
            }
            shift += 7;
        }
    }

    /// Reads a signed LEB128 integer of at most `bits` bits (16, 32 or 64).
    pub(crate) fn sleb(&mut self, bits: u32) -> Result<i64, TranscodeError> {
        let last = (bits - 1) / 7 * 7;
        let mut value = 0i64;
        let mut shift = 0;
        loop {
            let b = self.byte()?;
            if shift == last {
                let used = bits - last;
                let rest = (b & 0x7f) >> (used - 1);
                if b & 0x80 != 0 || (rest != 0 && rest != 0x7f >> (used - 1)) {
                    return Err(TranscodeError::wire(format!("the LEB128 integer overflows s{bits}")));
                }
            }
            value |= i64::from(b & 0x7f) << shift;
            shift += 7;
            if b & 0x80 == 0 {
                if shift < 64 && b & 0x40 != 0 {
                    value |= -1 << shift;
                }
                return Ok(value);
            }
        }
    }

    /// Reads a list or string length (a LEB128 u32).
    pub(crate) fn len(&mut self) -> Result<usize, TranscodeError> {
        let n = self.uleb(32)?;
        usize::try_from(n).map_err(|_| TranscodeError::wire("the length does not fit in memory"))
    }

    /// Reads a variant, enum or result discriminant below `cases`.
    pub(crate) fn discriminant(&mut self, cases: usize) -> Result<usize, TranscodeError> {
        let d = self.uleb(32)?;
        match usize::try_from(d) {
            Ok(d) if d < cases => Ok(d),
            _ => Err(TranscodeError::wire(format!("discriminant {d} is out of range: there are {cases} cases"))),
        }
    }

    /// Reads a UTF-8 string with its length prefix.
    pub(crate) fn string(&mut self) -> Result<&'a str, TranscodeError> {
        let n = self.len()?;
        let bytes = self.take(n)?;
        std::str::from_utf8(bytes).map_err(|_| TranscodeError::wire("a string that is not valid UTF-8"))
    }

    /// Reads a char: one scalar value, UTF-8 encoded.
    pub(crate) fn char(&mut self) -> Result<char, TranscodeError> {
        let first = *self.buf.get(self.pos).ok_or_else(TranscodeError::incomplete)?;
        let len = match first {
            0x00..=0x7f => 1,
            0xc0..=0xdf => 2,
            0xe0..=0xef => 3,
            0xf0..=0xf7 => 4,
            _ => return Err(invalid_char()),
        };
        let bytes = self.take(len)?;
        let s = std::str::from_utf8(bytes).map_err(|_| invalid_char())?;
        s.chars().next().ok_or_else(invalid_char)
    }
}

fn invalid_char() -> TranscodeError {
    TranscodeError::wire("a char that is not a valid UTF-8 scalar value")
}

/// The bytes of a flags value: one bit per flag, little-endian, at least one byte (as wrpc-wave
/// writes it).
pub(crate) fn flags_len(flags: usize) -> usize {
    flags.div_ceil(8).max(1)
}

/// Writes an unsigned LEB128 integer.
pub(crate) fn write_uleb(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Writes a signed LEB128 integer.
pub(crate) fn write_sleb(out: &mut Vec<u8>, mut v: i64) {
    loop {
        let b = (v as u8) & 0x7f;
        v >>= 7;
        if (v == 0 && b & 0x40 == 0) || (v == -1 && b & 0x40 != 0) {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

/// Writes a list or string length.
pub(crate) fn write_len(out: &mut Vec<u8>, len: usize) {
    write_uleb(out, len as u64);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sleb(v: i64) -> Vec<u8> {
        let mut out = Vec::new();
        write_sleb(&mut out, v);
        out
    }

    #[test]
    fn leb128_known_bytes() {
        let mut out = Vec::new();
        write_uleb(&mut out, 624_485);
        assert_eq!(out, [0xe5, 0x8e, 0x26]);
        assert_eq!(sleb(-123_456), [0xc0, 0xbb, 0x78]);
        assert_eq!(sleb(-1), [0x7f]);
        assert_eq!(sleb(63), [0x3f]);
        assert_eq!(sleb(64), [0xc0, 0x00]);
        assert_eq!(sleb(-64), [0x40]);
        assert_eq!(sleb(-65), [0xbf, 0x7f]);
    }

    #[test]
    fn leb128_round_trips_at_the_limits() {
        for v in [0, 1, -1, 63, 64, -64, -65, i64::MIN, i64::MAX, i64::from(i32::MIN), i64::from(i16::MAX)] {
            assert_eq!(WireReader::new(&sleb(v)).sleb(64).unwrap(), v);
        }
        for v in [0, 127, 128, u64::from(u32::MAX), u64::MAX] {
            let mut out = Vec::new();
            write_uleb(&mut out, v);
            assert_eq!(WireReader::new(&out).uleb(64).unwrap(), v);
        }
        assert_eq!(WireReader::new(&sleb(i16::MIN.into())).sleb(16).unwrap(), i64::from(i16::MIN));
    }

    #[test]
    fn leb128_refuses_overflow() {
        // u32::MAX + 1, and s16 values just out of range.
        let mut out = Vec::new();
        write_uleb(&mut out, u64::from(u32::MAX) + 1);
        assert!(WireReader::new(&out).uleb(32).is_err_and(|e| !e.is_incomplete()));
        assert!(WireReader::new(&sleb(32768)).sleb(16).is_err_and(|e| !e.is_incomplete()));
        assert!(WireReader::new(&sleb(-32769)).sleb(16).is_err_and(|e| !e.is_incomplete()));
        // An 11th byte for a u64.
        assert!(WireReader::new(&[0x80; 11]).uleb(64).is_err_and(|e| !e.is_incomplete()));
        // Non-minimal but in-range encodings are accepted, as wasm-tokio does.
        assert_eq!(WireReader::new(&[0x80, 0x00]).uleb(32).unwrap(), 0);
    }

    #[test]
    fn leb128_incomplete() {
        assert!(WireReader::new(&[0x80, 0x80]).uleb(32).unwrap_err().is_incomplete());
        assert!(WireReader::new(&[0xff]).sleb(64).unwrap_err().is_incomplete());
    }

    #[test]
    fn chars() {
        for c in ['a', 'é', '€', '😀', '\u{10ffff}'] {
            let mut buf = [0; 4];
            assert_eq!(WireReader::new(c.encode_utf8(&mut buf).as_bytes()).char().unwrap(), c);
        }
        for bad in [&[0x80][..], &[0xc0, 0x80], &[0xed, 0xa0, 0x80], &[0xf8, 0x80, 0x80, 0x80]] {
            assert!(WireReader::new(bad).char().is_err_and(|e| !e.is_incomplete()), "{bad:?}");
        }
        assert!(WireReader::new(&[0xf0, 0x9f]).char().unwrap_err().is_incomplete());
    }
}
