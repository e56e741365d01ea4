//! The value types the bridge carries.

use std::fmt;

/// A WIT value type, with type aliases resolved. Names are kept as written in WIT (kebab-case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Type {
    /// `bool`
    Bool,
    /// `s8`
    S8,
    /// `s16`
    S16,
    /// `s32`
    S32,
    /// `s64`
    S64,
    /// `u8`
    U8,
    /// `u16`
    U16,
    /// `u32`
    U32,
    /// `u64`
    U64,
    /// `f32`
    F32,
    /// `f64`
    F64,
    /// `char`: one Unicode scalar value.
    Char,
    /// `string`
    String,
    /// `list<T>`
    List(Box<Type>),
    /// `tuple<T, ...>`
    Tuple(Vec<Type>),
    /// A record: field names and types, in declaration order.
    Record(Vec<(String, Type)>),
    /// A variant: case names and optional payload types, in declaration order.
    Variant(Vec<(String, Option<Type>)>),
    /// An enum: case names in declaration order.
    Enum(Vec<String>),
    /// Flags: flag names in declaration order.
    Flags(Vec<String>),
    /// `option<T>`
    Option(Box<Type>),
    /// `result<T, E>`, either payload optional.
    Result {
        /// The `ok` payload type, if any.
        ok: Option<Box<Type>>,
        /// The `err` payload type, if any.
        err: Option<Box<Type>>,
    },
}

/// WIT-like notation, short enough for error messages: records, variants, enums and flags show
/// their names only, e.g. `list<record { name, age }>`.
impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bool => f.write_str("bool"),
            Self::S8 => f.write_str("s8"),
            Self::S16 => f.write_str("s16"),
            Self::S32 => f.write_str("s32"),
            Self::S64 => f.write_str("s64"),
            Self::U8 => f.write_str("u8"),
            Self::U16 => f.write_str("u16"),
            Self::U32 => f.write_str("u32"),
            Self::U64 => f.write_str("u64"),
            Self::F32 => f.write_str("f32"),
            Self::F64 => f.write_str("f64"),
            Self::Char => f.write_str("char"),
            Self::String => f.write_str("string"),
            Self::List(element) => write!(f, "list<{element}>"),
            Self::Tuple(types) => {
                f.write_str("tuple<")?;
                write_list(f, types.iter())?;
                f.write_str(">")
            }
            Self::Record(fields) => write_names(f, "record", fields.iter().map(|(name, _)| name)),
            Self::Variant(cases) => write_names(f, "variant", cases.iter().map(|(name, _)| name)),
            Self::Enum(cases) => write_names(f, "enum", cases.iter()),
            Self::Flags(flags) => write_names(f, "flags", flags.iter()),
            Self::Option(some) => write!(f, "option<{some}>"),
            Self::Result { ok, err } => match (ok, err) {
                (Some(ok), Some(err)) => write!(f, "result<{ok}, {err}>"),
                (Some(ok), None) => write!(f, "result<{ok}>"),
                (None, Some(err)) => write!(f, "result<_, {err}>"),
                (None, None) => f.write_str("result"),
            },
        }
    }
}

fn write_list<T: fmt::Display>(f: &mut fmt::Formatter<'_>, items: impl Iterator<Item = T>) -> fmt::Result {
    for (i, item) in items.enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{item}")?;
    }
    Ok(())
}

fn write_names<'a>(f: &mut fmt::Formatter<'_>, keyword: &str, names: impl Iterator<Item = &'a String>) -> fmt::Result {
    write!(f, "{keyword} {{ ")?;
    write_list(f, names)?;
    f.write_str(" }")
}
