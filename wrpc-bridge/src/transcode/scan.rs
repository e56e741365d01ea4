//! [`WireScanner`]: where a function's parameters (or results) end in wire bytes that arrive in pieces, and which
//! streams and futures they leave pending.
//!
//! A served function's parameters, and an invoked function's results, arrive over the network in chunks of any
//! size. Decoding the whole buffer again
//! at each chunk would cost time quadratic in its length (one byte per frame is enough); the scanner instead
//! walks the encoding once, keeping its place between chunks, and reads nothing but lengths, tags and
//! discriminants. When it reports the parameters complete, they are decoded once.
//!
//! A stream or future may be sent *pending* (an empty inline stream, a future tagged `pending`): its contents then
//! follow on the indexed path of its position, which the scanner notes ([`WireScanner::deferred`]). A scanner
//! made with [`WireScanner::contents`] finds the end of such contents on their path.

use super::error::{ErrorKind, TranscodeError};
use super::int_bits;
use super::wire::{self, WireReader};
use crate::wit::Type;

/// Finds the end of a function's parameters (or results) in a growing buffer, in time linear in its length, and
/// the streams and futures they leave pending.
///
/// Feed it the whole buffer received so far each time more arrives; it resumes where it stopped.
#[derive(Debug)]
pub struct WireScanner<'t> {
    /// What is still to be read, innermost last.
    pending: Vec<Pending<'t>>,
    /// Where the next unread item starts.
    position: usize,
    /// The most bytes the values may take.
    max_bytes: usize,
    /// The streams and futures sent pending so far, in the order they appear.
    deferred: Vec<PendingValue<'t>>,
    /// The elements of the stream chunks read so far.
    elements: usize,
}

/// A stream or future the values left pending: its contents follow on `path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingValue<'t> {
    /// The path its contents follow on: the value's index, then a record field's or tuple element's at each
    /// level.
    pub path: Box<[usize]>,
    /// Its type: a [`Type::Stream`] or a [`Type::Future`].
    pub ty: &'t Type,
}

#[derive(Debug)]
enum Pending<'t> {
    /// Values of these types, in order: parameters, or a record's fields; `next` is the index of the next one.
    Fields { fields: &'t [(String, Type)], next: usize },
    /// A tuple's elements, or results.
    Elements { types: &'t [Type], next: usize },
    /// `count` more values of a list's element type.
    Repeat { element: &'t Type, count: usize },
    /// One value.
    Value(&'t Type),
    /// `count` more raw bytes: a string's or a `list<u8>`'s contents.
    Bytes(usize),
    /// Chunks of a pending stream of this element type, up to the empty one that ends it.
    Chunks(&'t Type),
}

/// What follows a value's head.
enum Next<'t> {
    /// Nothing: the value is whole.
    Nothing,
    /// More to read.
    Then(Pending<'t>),
    /// Nothing here: the value is a stream or future sent pending.
    Deferred,
}

impl<'t> WireScanner<'t> {
    /// A scanner of parameters of these types, which may take at most `max_bytes` bytes.
    #[must_use]
    pub fn params(params: &'t [(String, Type)], max_bytes: usize) -> Self {
        Self::new(Pending::Fields { fields: params, next: 0 }, max_bytes)
    }

    /// A scanner of results of these types, which may take at most `max_bytes` bytes.
    #[must_use]
    pub fn results(results: &'t [Type], max_bytes: usize) -> Self {
        Self::new(Pending::Elements { types: results, next: 0 }, max_bytes)
    }

    /// A scanner of what follows on the path of a stream or future of type `ty` sent pending: a stream's chunks
    /// up to the empty one, or a future's value. At most `max_bytes` bytes.
    #[must_use]
    pub fn contents(ty: &'t Type, max_bytes: usize) -> Self {
        let first = match ty {
            Type::Stream(element) => Some(Pending::Chunks(element)),
            Type::Future(value) => value.as_deref().map(Pending::Value),
            ty => Some(Pending::Value(ty)),
        };
        WireScanner { pending: first.into_iter().collect(), position: 0, max_bytes, deferred: Vec::new(), elements: 0 }
    }

    fn new(first: Pending<'t>, max_bytes: usize) -> Self {
        WireScanner { pending: vec![first], position: 0, max_bytes, deferred: Vec::new(), elements: 0 }
    }

    /// The streams and futures left pending in what was scanned so far, in the order they appear: once the
    /// values are complete, all of them.
    #[must_use]
    pub fn deferred(&self) -> &[PendingValue<'t>] {
        &self.deferred
    }

    /// How many elements the stream chunks scanned so far held (a [`contents`](Self::contents) scanner's).
    #[must_use]
    pub fn elements(&self) -> usize {
        self.elements
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
                Pending::Fields { fields, next } => match fields.get(*next) {
                    Some((_, ty)) => {
                        *next += 1;
                        self.pending.push(Pending::Value(ty));
                    }
                    None => drop(self.pending.pop()),
                },
                Pending::Elements { types, next } => match types.get(*next) {
                    Some(ty) => {
                        *next += 1;
                        self.pending.push(Pending::Value(ty));
                    }
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
                Pending::Chunks(element) => {
                    let element = *element;
                    let mut r = WireReader::new(wire.get(self.position..).unwrap_or_default());
                    let count = match r.len() {
                        Ok(count) => count,
                        Err(e) if e.is_incomplete() => return Ok(None),
                        Err(e) => return Err(e),
                    };
                    self.position += r.position();
                    if count == 0 {
                        self.pending.pop();
                    } else {
                        self.elements = self.elements.saturating_add(count);
                        self.push(if *element == Type::U8 {
                            Pending::Bytes(count)
                        } else {
                            Pending::Repeat { element, count }
                        })?;
                    }
                }
                Pending::Value(ty) => {
                    let ty = *ty;
                    let mut r = WireReader::new(wire.get(self.position..).unwrap_or_default());
                    let next = match head(&mut r, ty) {
                        Ok(next) => next,
                        Err(e) if e.is_incomplete() => return Ok(None),
                        Err(e) => return Err(e),
                    };
                    self.position += r.position();
                    self.pending.pop();
                    match next {
                        Next::Nothing => {}
                        Next::Then(next) => self.push(next)?,
                        Next::Deferred => self.defer(ty)?,
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

    /// Notes a stream or future sent pending, with the path of its position.
    fn defer(&mut self, ty: &'t Type) -> Result<(), TranscodeError> {
        let mut path = Vec::with_capacity(self.pending.len());
        for frame in &self.pending {
            match frame {
                Pending::Fields { next, .. } | Pending::Elements { next, .. } => path.push(next.saturating_sub(1)),
                Pending::Repeat { .. } | Pending::Chunks(_) => {
                    return Err(TranscodeError::wire(format!(
                        "a {ty} sent pending inside a list or stream, which the bridge cannot carry"
                    )));
                }
                Pending::Value(_) | Pending::Bytes(_) => {}
            }
        }
        self.deferred.push(PendingValue { path: path.into_boxed_slice(), ty });
        Ok(())
    }
}

/// Reads the head of a `ty` (its fixed bytes, length, tag or discriminant) and says what follows it.
fn head<'t>(r: &mut WireReader<'_>, ty: &'t Type) -> Result<Next<'t>, TranscodeError> {
    let then = |pending: Option<Pending<'t>>| pending.map_or(Next::Nothing, Next::Then);
    Ok(match ty {
        Type::String | Type::Handle { .. } => Next::Then(Pending::Bytes(r.len()?)),
        Type::List(element) if **element == Type::U8 => Next::Then(Pending::Bytes(r.len()?)),
        Type::List(element) => Next::Then(Pending::Repeat { element, count: r.len()? }),
        // An empty inline stream is a pending one.
        Type::Stream(element) => match r.len()? {
            0 => Next::Deferred,
            count if **element == Type::U8 => Next::Then(Pending::Bytes(count)),
            count => Next::Then(Pending::Repeat { element, count }),
        },
        Type::Future(value) => match r.flag("future tag")? {
            true => then(value.as_deref().map(Pending::Value)),
            false => Next::Deferred,
        },
        Type::Tuple(types) => Next::Then(Pending::Elements { types, next: 0 }),
        Type::Record(fields) => Next::Then(Pending::Fields { fields, next: 0 }),
        Type::Variant(cases) => {
            let case = r.discriminant(cases.len())?;
            then(cases.get(case).and_then(|(_, payload)| payload.as_ref()).map(Pending::Value))
        }
        Type::Option(some) => then(r.flag("option tag")?.then_some(Pending::Value(some))),
        Type::Result { ok, err } => {
            let payload = if r.flag("result tag")? { err } else { ok };
            then(payload.as_deref().map(Pending::Value))
        }
        Type::Bool | Type::S8 | Type::U8 => r.byte().map(|_| Next::Nothing)?,
        Type::S16 | Type::S32 | Type::S64 => r.sleb(int_bits(ty)).map(|_| Next::Nothing)?,
        Type::U16 | Type::U32 | Type::U64 => r.uleb(int_bits(ty)).map(|_| Next::Nothing)?,
        Type::F32 => r.array::<4>().map(|_| Next::Nothing)?,
        Type::F64 => r.array::<8>().map(|_| Next::Nothing)?,
        Type::Char => r.char().map(|_| Next::Nothing)?,
        Type::Enum(cases) => r.discriminant(cases.len()).map(|_| Next::Nothing)?,
        Type::Flags(flags) => r.take(wire::flags_len(flags.len())).map(|_| Next::Nothing)?,
    })
}
