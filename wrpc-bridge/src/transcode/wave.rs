//! wire → WAVE text (the WebAssembly Value Encoding), for error values that are not strings.
//!
//! The output is the same as `wasm_wave::to_string` for the same value.

use std::fmt::Write as _;

use super::error::TranscodeError;
use super::wire::{self, WireReader};
use super::{canonical_f32, canonical_f64, int_bits, within};
use crate::wit::Type;

/// Reads a `ty` at `r` and renders it as WAVE text of at most `limit` bytes.
pub(crate) fn to_text(r: &mut WireReader<'_>, ty: &Type, limit: usize) -> Result<String, TranscodeError> {
    let mut text = String::new();
    value(r, ty, &mut text, limit)?;
    within(text.len(), limit)?;
    Ok(text)
}

fn value(r: &mut WireReader<'_>, ty: &Type, out: &mut String, limit: usize) -> Result<(), TranscodeError> {
    match ty {
        Type::Bool => out.push_str(if r.flag("bool")? { "true" } else { "false" }),
        Type::S8 => display(out, i8::from_le_bytes(r.array()?)),
        Type::U8 => display(out, r.byte()?),
        Type::S16 | Type::S32 | Type::S64 => display(out, r.sleb(int_bits(ty))?),
        Type::U16 | Type::U32 | Type::U64 => display(out, r.uleb(int_bits(ty))?),
        Type::F32 => {
            let v = canonical_f32(f32::from_le_bytes(r.array()?));
            float(out, v, v.is_nan());
        }
        Type::F64 => {
            let v = canonical_f64(f64::from_le_bytes(r.array()?));
            float(out, v, v.is_nan());
        }
        Type::Char => {
            out.push('\'');
            escaped(out, r.char()?);
            out.push('\'');
        }
        Type::String => {
            out.push('"');
            r.string()?.chars().for_each(|c| escaped(out, c));
            out.push('"');
        }
        Type::List(element) | Type::Stream(element) => {
            let n = r.len()?;
            if n == 0 && matches!(ty, Type::Stream(_)) {
                return Err(shown_pending(ty));
            }
            if n > r.remaining() {
                return Err(TranscodeError::incomplete());
            }
            out.push('[');
            for i in 0..n {
                within(out.len(), limit)?;
                separate(out, i);
                value(r, element, out, limit).map_err(|e| e.in_index(i))?;
            }
            out.push(']');
        }
        // The handle's bytes, as `list<u8>` would show them.
        Type::Handle { .. } => value(r, &Type::List(Box::new(Type::U8)), out, limit)?,
        Type::Future(value_type) => match (r.flag("future tag")?, value_type) {
            (false, _) => return Err(shown_pending(ty)),
            (true, Some(value_type)) => value(r, value_type, out, limit)?,
            (true, None) => out.push_str("ready"),
        },
        Type::Tuple(types) => {
            out.push('(');
            for (i, ty) in types.iter().enumerate() {
                separate(out, i);
                value(r, ty, out, limit).map_err(|e| e.in_index(i))?;
            }
            out.push(')');
        }
        Type::Record(fields) => {
            // Fields that are `none` are left out; a record with nothing to show is `{:}`.
            out.push('{');
            let mut shown = 0;
            for (name, ty) in fields {
                if matches!(ty, Type::Option(_)) && !r.flag("option tag")? {
                    continue;
                }
                separate(out, shown);
                shown += 1;
                out.push_str(name);
                out.push_str(": ");
                match ty {
                    Type::Option(some) => some_value(r, some, out, limit),
                    ty => value(r, ty, out, limit),
                }
                .map_err(|e| e.in_field(name))?;
            }
            if shown == 0 {
                out.push(':');
            }
            out.push('}');
        }
        Type::Variant(cases) => {
            let index = r.discriminant(cases.len())?;
            if let Some((name, payload)) = cases.get(index) {
                label(out, name);
                if let Some(ty) = payload {
                    out.push('(');
                    value(r, ty, out, limit).map_err(|e| e.in_field(name))?;
                    out.push(')');
                }
            }
        }
        Type::Enum(cases) => {
            let index = r.discriminant(cases.len())?;
            if let Some(name) = cases.get(index) {
                label(out, name);
            }
        }
        Type::Flags(flags) => {
            let bits = r.take(wire::flags_len(flags.len()))?;
            out.push('{');
            let set = flags
                .iter()
                .enumerate()
                .filter(|(i, _)| bits.get(i / 8).is_some_and(|byte| byte & (1 << (i % 8)) != 0));
            for (shown, (_, flag)) in set.enumerate() {
                separate(out, shown);
                out.push_str(flag);
            }
            out.push('}');
        }
        Type::Option(some) => {
            if r.flag("option tag")? {
                some_value(r, some, out, limit)?;
            } else {
                out.push_str("none");
            }
        }
        Type::Result { ok, err } => {
            let (name, payload) = if r.flag("result tag")? { ("err", err) } else { ("ok", ok) };
            out.push_str(name);
            if let Some(ty) = payload {
                out.push('(');
                value(r, ty, out, limit).map_err(|e| e.in_field(name))?;
                out.push(')');
            }
        }
    }
    Ok(())
}

/// `some(value)`, the tag already read.
fn some_value(r: &mut WireReader<'_>, some: &Type, out: &mut String, limit: usize) -> Result<(), TranscodeError> {
    out.push_str("some(");
    value(r, some, out, limit)?;
    out.push(')');
    Ok(())
}

/// An error value holding a stream or future sent pending: WAVE has no notation for them, and the error's text is
/// what the guest sees.
fn shown_pending(ty: &Type) -> TranscodeError {
    TranscodeError::wire(format!("an error value holds a {ty} sent pending, which cannot be shown as text"))
}

fn display(out: &mut String, v: impl std::fmt::Display) {
    // Writing to a String cannot fail.
    let _ = write!(out, "{v}");
}

/// Rust displays NaN as "NaN", WAVE as "nan"; the rest (`inf`, `-inf`, `-0`) agree.
fn float(out: &mut String, v: impl std::fmt::Display, is_nan: bool) {
    if is_nan {
        out.push_str("nan");
    } else {
        display(out, v);
    }
}

fn separate(out: &mut String, index: usize) {
    if index > 0 {
        out.push_str(", ");
    }
}

/// A case label; labels that are WAVE keywords get a `%` prefix.
fn label(out: &mut String, name: &str) {
    if matches!(name, "true" | "false" | "some" | "none" | "ok" | "err" | "inf" | "nan") {
        out.push('%');
    }
    out.push_str(name);
}

/// A char inside quotes, escaped as wasm-wave escapes it.
fn escaped(out: &mut String, c: char) {
    if "\\\"'\t\r\n".contains(c) {
        display(out, c.escape_default());
    } else if c.is_control() {
        display(out, c.escape_unicode());
    } else {
        display(out, c.escape_debug());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(ty: &Type, wire: &[u8]) -> String {
        let mut r = WireReader::new(wire);
        let text = to_text(&mut r, ty, usize::MAX).unwrap();
        assert_eq!(r.remaining(), 0);
        text
    }

    #[test]
    fn renders_scalars() {
        assert_eq!(text(&Type::Bool, &[1]), "true");
        assert_eq!(text(&Type::S8, &[0xff]), "-1");
        assert_eq!(text(&Type::S64, &[0x7f]), "-1");
        assert_eq!(text(&Type::F32, &f32::NAN.to_le_bytes()), "nan");
        assert_eq!(text(&Type::F64, &f64::NEG_INFINITY.to_le_bytes()), "-inf");
        assert_eq!(text(&Type::Char, b"'"), r"'\''");
        assert_eq!(text(&Type::String, b"\x03a\"\n"), r#""a\"\n""#);
    }

    #[test]
    fn renders_composites() {
        let record = Type::Record(vec![
            ("code".into(), Type::U16),
            ("hint".into(), Type::Option(Box::new(Type::String))),
            ("kind".into(), Type::Enum(vec!["ok".into(), "not-found".into()])),
        ]);
        assert_eq!(text(&record, &[0x94, 0x03, 0, 0]), "{code: 404, kind: %ok}");
        assert_eq!(text(&record, &[5, 1, 1, b'x', 1]), "{code: 5, hint: some(\"x\"), kind: not-found}");
        let all_none = Type::Record(vec![("a".into(), Type::Option(Box::new(Type::U8)))]);
        assert_eq!(text(&all_none, &[0]), "{:}");
        let flags = Type::Flags(vec!["read".into(), "write".into(), "exec".into()]);
        assert_eq!(text(&flags, &[0b101]), "{read, exec}");
        let result = Type::Result { ok: None, err: Some(Box::new(Type::Tuple(vec![Type::U8, Type::Bool]))) };
        assert_eq!(text(&result, &[1, 7, 0]), "err((7, false))");
    }
}
