//! [`WireScanner`]: where a function's parameters (or results) end in wire bytes that arrive in pieces.
//!
//! A served function's parameters, and an invoked function's results, arrive over the network in chunks of any
//! size. Decoding the whole buffer again
//! at each chunk would cost time quadratic in its length (one byte per frame is enough); the scanner instead
//! walks the encoding once, keeping its place between chunks, and reads nothing but lengths, tags and
//! discriminants. When it reports the parameters complete, they are decoded once.

use super::error::{ErrorKind, TranscodeError};
use super::int_bits;
use super::wire::{self, WireReader};
use crate::wit::Type;

/// Finds the end of a function's parameters (or results) in a growing buffer, in time linear in its length.
///
/// Feed it the whole buffer received so far each time more arrives; it resumes where it stopped.
#[derive(Debug)]
pub struct WireScanner<'t> {
    /// What is still to be read, innermost last.
    pending: Vec<Pending<'t>>,
    /// Where the next unread item starts.
    position: usize,
    /// The most bytes the parameters may take.
    max_bytes: usize,
}

#[derive(Debug)]
enum Pending<'t> {
    /// Values of these types, in order: parameters, or a record's fields.
    Fields(std::slice::Iter<'t, (String, Type)>),
    /// A tuple's elements.
    Elements(std::slice::Iter<'t, Type>),
    /// `count` more values of a list's element type.
    Repeat { element: &'t Type, count: usize },
    /// One value.
    Value(&'t Type),
    /// `count` more raw bytes: a string's or a `list<u8>`'s contents.
    Bytes(usize),
}

impl<'t> WireScanner<'t> {
    /// A scanner of parameters of these types, which may take at most `max_bytes` bytes.
    #[must_use]
    pub fn params(params: &'t [(String, Type)], max_bytes: usize) -> Self {
        WireScanner { pending: vec![Pending::Fields(params.iter())], position: 0, max_bytes }
    }

    /// A scanner of results of these types, which may take at most `max_bytes` bytes.
    #[must_use]
    pub fn results(results: &'t [Type], max_bytes: usize) -> Self {
        WireScanner { pending: vec![Pending::Elements(results.iter())], position: 0, max_bytes }
    }

    /// Looks at `wire`, the bytes received so far (each call's `wire` begins with the previous one's), and
    /// returns how many bytes the values take once they are complete.
    ///
    /// # Errors
    /// A [`TranscodeError`] for bytes that cannot be the values: an invalid tag or discriminant, or a length
    /// beyond `max_bytes` ([`ErrorKind::TooLarge`]). The error has no path: decoding the same bytes gives one.
    pub fn scan(&mut self, wire: &[u8]) -> Result<Option<usize>, TranscodeError> {
        while let Some(top) = self.pending.last_mut() {
            match top {
                Pending::Fields(fields) => match fields.next() {
                    Some((_, ty)) => self.pending.push(Pending::Value(ty)),
                    None => drop(self.pending.pop()),
                },
                Pending::Elements(types) => match types.next() {
                    Some(ty) => self.pending.push(Pending::Value(ty)),
                    None => drop(self.pending.pop()),
                },
                Pending::Repeat { element, count } => match count.checked_sub(1) {
                    Some(left) => {
                        *count = left;
                        let element = *element;
                        self.pending.push(Pending::Value(element));
                    }
                    None => drop(self.pending.pop()),
                },
                Pending::Bytes(count) => {
                    let available = wire.len().saturating_sub(self.position);
                    let taken = (*count).min(available);
                    self.position += taken;
                    *count -= taken;
                    if *count > 0 {
                        return Ok(None);
                    }
                    self.pending.pop();
                }
                Pending::Value(ty) => {
                    let ty = *ty;
                    let rest = wire.get(self.position..).unwrap_or_default();
                    let mut r = WireReader::new(rest);
                    let next = match head(&mut r, ty) {
                        Ok(next) => next,
                        Err(e) if e.is_incomplete() => return Ok(None),
                        Err(e) => return Err(e),
                    };
                    self.position += r.position();
                    self.pending.pop();
                    if let Some(next) = next {
                        self.push(next)?;
                    }
                }
            }
        }
        Ok(Some(self.position))
    }

    /// Pushes what a value's head said follows it, refusing lengths past the cap: every value takes at least a
    /// byte, so a count is a length too.
    fn push(&mut self, next: Pending<'t>) -> Result<(), TranscodeError> {
        if let Pending::Bytes(count) | Pending::Repeat { count, .. } = next
            && count > self.max_bytes.saturating_sub(self.position)
        {
            return Err(TranscodeError::new(ErrorKind::TooLarge { limit: self.max_bytes }));
        }
        self.pending.push(next);
        Ok(())
    }
}

/// Reads the head of a `ty` (its fixed bytes, length, tag or discriminant) and says what follows it.
fn head<'t>(r: &mut WireReader<'_>, ty: &'t Type) -> Result<Option<Pending<'t>>, TranscodeError> {
    Ok(match ty {
        Type::String => Some(Pending::Bytes(r.len()?)),
        Type::List(element) if **element == Type::U8 => Some(Pending::Bytes(r.len()?)),
        Type::List(element) => Some(Pending::Repeat { element, count: r.len()? }),
        Type::Tuple(types) => Some(Pending::Elements(types.iter())),
        Type::Record(fields) => Some(Pending::Fields(fields.iter())),
        Type::Variant(cases) => {
            let case = r.discriminant(cases.len())?;
            cases.get(case).and_then(|(_, payload)| payload.as_ref()).map(Pending::Value)
        }
        Type::Option(some) => r.flag("option tag")?.then_some(Pending::Value(some)),
        Type::Result { ok, err } => {
            let payload = if r.flag("result tag")? { err } else { ok };
            payload.as_deref().map(Pending::Value)
        }
        Type::Bool | Type::S8 | Type::U8 => r.byte().map(|_| None)?,
        Type::S16 | Type::S32 | Type::S64 => r.sleb(int_bits(ty)).map(|_| None)?,
        Type::U16 | Type::U32 | Type::U64 => r.uleb(int_bits(ty)).map(|_| None)?,
        Type::F32 => r.array::<4>().map(|_| None)?,
        Type::F64 => r.array::<8>().map(|_| None)?,
        Type::Char => r.char().map(|_| None)?,
        Type::Enum(cases) => r.discriminant(cases.len()).map(|_| None)?,
        Type::Flags(flags) => r.take(wire::flags_len(flags.len())).map(|_| None)?,
    })
}
